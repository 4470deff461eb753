"""The production profile's files and parts (bot/production.py), without starting anything."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.production import (
    event_broker_config,
    lock_store_config,
    portal_database_url,
    rasa_parts,
    rasa_ports,
    tracker_store_config,
    write_nginx_config,
    write_production_endpoints,
)
from bot.settings import Settings


def production(tmp_path: Path, **changes: object) -> Settings:
    settings = Settings.from_environment({"PROFILE": "production", "DATA_DIR": str(tmp_path)},
                                         env_file=tmp_path / "none")
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def test_the_profile_is_read_from_the_environment_and_checked(tmp_path: Path) -> None:
    assert production(tmp_path).is_production
    assert not Settings.from_environment({}, env_file=tmp_path / "none").is_production
    with pytest.raises(ValueError, match="PROFILE"):
        Settings.from_environment({"PROFILE": "prod"}, env_file=tmp_path / "none")


def test_nginx_takes_the_rest_channel_port_and_the_rasa_servers_the_ports_after_it(tmp_path: Path) -> None:
    settings = production(tmp_path, rasa_port=6005, rasa_processes=3)
    assert settings.entry_port == 6005 and settings.rasa_url == "http://127.0.0.1:6005"
    assert rasa_ports(settings) == [6006, 6007, 6008]
    assert rasa_ports(dataclasses.replace(settings, balancer_port=7000)) == [7001, 7002, 7003]
    assert [part.log_path.name for part in rasa_parts(settings, tmp_path / "m.tar.gz", tmp_path / "e.yml")] \
        == ["rasa-1.log", "rasa-2.log", "rasa-3.log"]


def test_store_urls_become_rasa_endpoint_configs() -> None:
    assert tracker_store_config("postgresql://rasa:p%40ss@db.internal:6543/conversations") == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 6543, "db": "conversations",
        "username": "rasa", "password": "p@ss"}
    assert lock_store_config("redis://:secret@cache:6380/2") == {
        "type": "redis", "url": "cache", "port": 6380, "db": 2, "key_prefix": "assistant",
        "password": "secret"}
    broker = event_broker_config("amqp://user:pw@mq:5673/%2F", "events")
    assert broker["port"] == 5673 and broker["queues"] == ["events"]
    assert (broker["username"], broker["password"]) == ("user", "pw")


def test_the_portal_database_sits_next_to_the_tracker_unless_set(tmp_path: Path) -> None:
    settings = production(tmp_path, tracker_store_url="postgresql://u:p@db:5432/assistant_tracker")
    assert portal_database_url(settings) == "postgresql+psycopg2://u:p@db:5432/assistant_portal"
    assert portal_database_url(dataclasses.replace(settings, portal_database_url="sqlite:///x.db")) \
        == "sqlite:///x.db"


def test_the_endpoints_file_is_one_rasa_reads(tmp_path: Path) -> None:
    from rasa.core.utils import read_endpoints_from_path

    path = write_production_endpoints(production(tmp_path))
    assert path.stat().st_mode & 0o077 == 0  # passwords: the owner's only
    endpoints = read_endpoints_from_path(path)
    assert endpoints.tracker_store is not None and endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.lock_store is not None and endpoints.lock_store.type == "redis"
    assert endpoints.event_broker is not None
    assert endpoints.event_broker.type == "bot.brokers.MaskingPikaEventBroker"
    assert endpoints.event_broker.kwargs["queues"] == ["assistant_events"]


def test_the_nginx_config_is_rendered_for_local_ports(tmp_path: Path) -> None:
    text = write_nginx_config(production(tmp_path, rasa_port=6005, web_port=6080)).read_text()
    assert "${" not in text
    assert "listen 127.0.0.1:6005;" in text
    assert "server 127.0.0.1:6006 " in text and "server 127.0.0.1:6007 " in text
    assert "server 127.0.0.1:6080 " in text
    assert "upstream=$upstream_addr" in text


def test_the_rasa_token_is_in_the_servers_environment_not_on_their_command_lines(tmp_path: Path) -> None:
    from bot.rasa_server import with_token_from_environment

    settings = production(tmp_path, rasa_auth_token="a-secret-rasa-token")
    for part in rasa_parts(settings, tmp_path / "model.tar.gz", tmp_path / "endpoints.yml"):
        assert not any("a-secret-rasa-token" in argument for argument in part.command)
        assert part.env["RASA_AUTH_TOKEN"] == "a-secret-rasa-token"
        arguments = with_token_from_environment(list(part.command[3:]), part.env)
        assert arguments[-2:] == ["--auth-token", "a-secret-rasa-token"] and arguments[0] == "run"


def test_the_rasa_server_takes_the_token_only_when_the_command_line_has_none() -> None:
    from bot.rasa_server import with_token_from_environment

    assert with_token_from_environment(["run", "--port", "5005"], {}) == ["run", "--port", "5005"]
    assert with_token_from_environment(["run"], {"RASA_AUTH_TOKEN": ""}) == ["run"]
    assert with_token_from_environment(["run", "--auth-token", "given"], {"RASA_AUTH_TOKEN": "env"}) \
        == ["run", "--auth-token", "given"]
    assert with_token_from_environment(["train"], {"RASA_AUTH_TOKEN": "env"}) == ["train"]
