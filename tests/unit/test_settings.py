from pathlib import Path

import pytest

from bot.settings import PROJECT_DIR, Settings, read_env_file


def test_defaults_match_the_contract_ports(tmp_path: Path) -> None:
    settings = Settings.from_environment({}, env_file=tmp_path / "missing.env")
    assert (settings.rasa_port, settings.action_server_port, settings.portal_port, settings.web_port) == (
        5005, 5055, 8000, 8080)
    assert settings.rasa_auth_token is None
    assert settings.data_dir == PROJECT_DIR / "var"


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\nRASA_PORT=6000\nexport PORTAL_API_TOKEN="secret"\nRASA_AUTH_TOKEN=\n'
                        "DATA_DIR=/srv/assistant\n", encoding="utf-8")
    settings = Settings.from_environment({"RASA_PORT": "7000"}, env_file=env_file)
    assert settings.rasa_port == 7000
    assert settings.portal_api_token == "secret"
    assert settings.rasa_auth_token is None
    assert settings.data_dir == Path("/srv/assistant")


def test_relative_paths_are_inside_the_project(tmp_path: Path) -> None:
    settings = Settings.from_environment({"MODELS_DIR": "models2"}, env_file=tmp_path / "none")
    assert settings.models_dir == PROJECT_DIR / "models2"


def test_a_bad_number_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RASA_PORT must be a number"):
        Settings.from_environment({"RASA_PORT": "five"}, env_file=tmp_path / "none")


def test_env_example_lists_every_setting() -> None:
    listed = read_env_file(PROJECT_DIR / ".env.example")
    assert {name.upper() for name in Settings.__dataclass_fields__} == set(listed)
