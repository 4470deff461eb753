"""Rolling deployments and rollbacks across several Rasa servers, and where the servers come from."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot import production
from bot.operators import deployment
from bot.operators.deployment import RasaServer, rasa_servers
from bot.operators.model_commands import add_model_commands, run_model_command
from bot.operators.models import ModelError, ModelRegistry
from bot.settings import Settings
from tests.unit.rasa_stand_in import RasaStandIn
from tests.unit.test_operator_models import (
    CANDIDATE,
    CURRENT,
    OLD,
    TOKEN,
    better_rows,
    make_settings,
    prepare_models,
)


@pytest.fixture
def servers() -> Iterator[list[RasaStandIn]]:
    events: list[tuple[Any, ...]] = []
    group: list[RasaStandIn] = []
    group += [RasaStandIn(CURRENT, TOKEN, number, events, group, load_seconds=0.05) for number in (1, 2)]
    yield group
    for stand_in in group:
        stand_in.close()


@pytest.fixture(autouse=True)
def quick_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deployment, "STATUS_POLL", 0.02)


def two_server_settings(tmp_path: Path, urls: list[str]) -> Settings:
    return replace(make_settings(tmp_path), rasa_api_urls=" , ".join(urls) + ",")


def registry_for(tmp_path: Path, servers: list[RasaStandIn]) -> ModelRegistry:
    settings = two_server_settings(tmp_path, [s.url for s in servers])
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    return registry


def closed_url() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


# --- where the servers come from ----------------------------------------------------------------

def settings_from(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_environment(environ, env_file=tmp_path / "none")


def test_the_servers_are_the_one_rasa_server_unless_production_or_listed(tmp_path: Path) -> None:
    assert settings_from(tmp_path).rasa_server_urls == ["http://127.0.0.1:5005"]
    assert settings_from(tmp_path, RASA_PORT="6005").rasa_server_urls == ["http://127.0.0.1:6005"]
    # production: the Rasa processes on the ports after nginx's, whose API nginx does not pass
    prod = settings_from(tmp_path, PROFILE="production", RASA_PORT="6005", RASA_PROCESSES="3")
    assert prod.rasa_server_urls == ["http://127.0.0.1:6006", "http://127.0.0.1:6007", "http://127.0.0.1:6008"]
    assert settings_from(tmp_path, PROFILE="production", BALANCER_PORT="7000").rasa_server_urls == [
        "http://127.0.0.1:7001", "http://127.0.0.1:7002"]
    assert production.rasa_ports(prod) == [6006, 6007, 6008]  # the same ports nginx balances
    listed = settings_from(tmp_path, PROFILE="production",
                           RASA_API_URLS=" http://10.0.0.5:5005/ ,https://rasa-2.internal,")
    assert listed.rasa_server_urls == ["http://10.0.0.5:5005", "https://rasa-2.internal"]
    with pytest.raises(ValueError, match="RASA_API_URLS"):
        settings_from(tmp_path, RASA_API_URLS="10.0.0.5:5005")


def test_several_servers_are_named_by_number_and_one_as_before(tmp_path: Path) -> None:
    [one] = rasa_servers(make_settings(tmp_path, rasa_port=6005))
    assert one == RasaServer("http://127.0.0.1:6005", TOKEN)
    assert one.subject == "The Rasa server at http://127.0.0.1:6005"
    two = rasa_servers(two_server_settings(tmp_path, ["http://a:1", "http://b:2"]))
    assert [s.subject for s in two] == ["Rasa server 1 of 2 (http://a:1)", "Rasa server 2 of 2 (http://b:2)"]
    assert {s.token for s in two} == {TOKEN}


def test_the_production_web_pages_are_given_every_rasa_server(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(production, "find_nginx", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(production, "check_reachable", lambda *args: None)
    monkeypatch.setattr(production, "prepare_databases", lambda settings: None)
    settings = replace(settings_from(tmp_path, PROFILE="production", DATA_DIR=str(tmp_path)),
                       rasa_port=6005, rasa_processes=3, rasa_auth_token="a-rasa-token",
                       portal_api_token="a-portal-token")
    parts, _ = production.production_parts(settings, tmp_path / "model.tar.gz")
    [web] = [part for part in parts if part.name == "web pages"]
    assert web.env["RASA_API_URLS"] == "http://127.0.0.1:6006,http://127.0.0.1:6007,http://127.0.0.1:6008"
    in_web = Settings.from_environment({**web.env, "PROFILE": "production"}, env_file=tmp_path / "none")
    assert in_web.rasa_server_urls == settings.rasa_server_urls


# --- rolling ------------------------------------------------------------------------------------

def test_a_deployment_goes_to_one_server_after_the_other(tmp_path: Path, servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    info = registry.deploy(CANDIDATE, "li.na")
    assert info.name == CANDIDATE and info.deployed
    # server 2 is asked only once server 1 serves the new model; server 2 serves the old one meanwhile
    assert [event[:3] for event in first.events] == [("put", 1, CANDIDATE), ("put", 2, CANDIDATE)]
    assert first.events[0][3] == {1: CURRENT, 2: CURRENT}
    assert first.events[1][3] == {1: CANDIDATE, 2: CURRENT}
    assert (first.model_file, second.model_file) == (CANDIDATE, CANDIDATE)
    [record] = registry.history()
    assert (record["action"], record["from"], record["to"]) == ("deploy", CURRENT, CANDIDATE)
    assert record["servers"] == [first.url, second.url]
    assert registry.deployed_name() == CANDIDATE
    with pytest.raises(ModelError, match="deployed already"):
        registry.deploy(CANDIDATE, "li.na")


def test_a_rollback_goes_to_every_server_in_turn(tmp_path: Path, servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    registry.rollback(OLD, "li.na")
    assert [event[:3] for event in first.events] == [("put", 1, OLD), ("put", 2, OLD)]
    assert (first.model_file, second.model_file) == (OLD, OLD)
    assert [(r["action"], r["from"], r["to"]) for r in registry.history()] == [("rollback", CURRENT, OLD)]


def test_each_server_counts_only_once_its_status_names_the_model(tmp_path: Path,
                                                                 servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    registry.servers = [replace(s, label=f"server {n}") for n, s in enumerate(registry.servers, start=1)]
    second.never_switches = True  # accepts the model but goes on serving the old one
    with pytest.raises(ModelError) as failed:
        deployment.roll_out(registry.servers, registry.settings.models_dir / CANDIDATE, [CURRENT, CURRENT],
                            registry.settings.models_dir, wait=0.3)
    message = str(failed.value)
    assert f"Server 2 accepted {CANDIDATE} but still reports {CURRENT}" in message
    assert f"Server 1 runs {CURRENT} again." in message
    assert first.puts == [CANDIDATE, CURRENT] and second.puts == [CANDIDATE]
    assert (first.model_file, second.model_file) == (CURRENT, CURRENT)


def test_a_server_that_does_not_answer_stops_it_before_anything_changes(tmp_path: Path,
                                                                        servers: list[RasaStandIn]) -> None:
    first, _ = servers
    down = closed_url()
    settings = two_server_settings(tmp_path, [first.url, down])
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    for attempt in (lambda: registry.deploy(CANDIDATE, "li.na"), lambda: registry.rollback(OLD, "li.na")):
        with pytest.raises(ModelError) as refused:
            attempt()
        assert str(refused.value).startswith(f"Rasa server 2 of 2 ({down}) does not answer")
        assert "Nothing was changed." in str(refused.value)
    assert first.puts == [] and registry.history() == []
    assert registry.deployed_name() == CURRENT  # the first server that answers says which


def test_when_the_second_cannot_load_it_the_first_goes_back(tmp_path: Path,
                                                           servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    second.failing_puts = 1
    with pytest.raises(ModelError) as failed:
        registry.deploy(CANDIDATE, "li.na")
    message = str(failed.value)
    assert message.startswith(f"Rasa server 2 of 2 ({second.url}) could not load {CANDIDATE} (HTTP 400)")
    assert message.endswith(f"Rasa server 1 of 2 ({first.url}) runs {CURRENT} again.")
    assert first.puts == [CANDIDATE, CURRENT] and second.puts == [CANDIDATE]
    assert (first.model_file, second.model_file) == (CURRENT, CURRENT)
    assert registry.history() == [] and registry.deployed_name() == CURRENT
    registry.deploy(CANDIDATE, "li.na")  # once it can, the deployment goes through
    assert (first.model_file, second.model_file) == (CANDIDATE, CANDIDATE)


def test_when_the_old_model_cannot_be_put_back_the_error_says_so(tmp_path: Path,
                                                                 servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    registry.deploy(CANDIDATE, "li.na")
    second.failing_puts = 1  # and the first switches to OLD, then cannot go back to CANDIDATE
    original_load = RasaServer.load

    def first_cannot_go_back(server: RasaServer, path: Path, wait: float = deployment.STATUS_WAIT) -> None:
        if server.url == first.url and path.name == CANDIDATE:
            raise ModelError(f"{server.subject} could not load {path.name} (HTTP 500): out of memory")
        original_load(server, path, wait)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RasaServer, "load", first_cannot_go_back)
        with pytest.raises(ModelError) as failed:
            registry.rollback(OLD, "li.na")
    message = str(failed.value)
    assert f"Could not put {CANDIDATE} back on Rasa server 1 of 2 ({first.url})" in message
    assert "out of memory" in message and "may now run different models" in message
    assert (first.model_file, second.model_file) == (OLD, CANDIDATE)
    assert [r["to"] for r in registry.history()] == [CANDIDATE]  # the failed rollbacks are not recorded


def test_servers_left_running_different_models_are_brought_together(tmp_path: Path,
                                                                    servers: list[RasaStandIn]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    first.model_file = CANDIDATE  # e.g. after a deployment was interrupted
    registry.deploy(CANDIDATE, "li.na")
    assert first.puts == [] and second.puts == [CANDIDATE]
    [record] = registry.history()
    assert record["from"] == CURRENT
    second.model_file = None  # a server running no model is loaded too
    registry.rollback(CURRENT, "li.na")
    assert (first.model_file, second.model_file) == (CURRENT, CURRENT)


def test_deploy_on_the_command_line_reaches_every_server(tmp_path: Path, servers: list[RasaStandIn],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    first, second = servers
    registry = registry_for(tmp_path, servers)
    parser = argparse.ArgumentParser(prog="operator")
    add_model_commands(parser.add_subparsers(dest="action", required=True))
    deploy = parser.parse_args(["deploy", CANDIDATE, "--as", "li.na"])
    second.failing_puts = 1
    assert run_model_command(deploy, registry.settings) == 1
    err = capsys.readouterr().err
    assert "Error: Rasa server 2 of 2" in err and f"runs {CURRENT} again" in err
    assert run_model_command(deploy, registry.settings) == 0
    assert f"{CANDIDATE} is deployed" in capsys.readouterr().out
    assert (first.model_file, second.model_file) == (CANDIDATE, CANDIDATE)
