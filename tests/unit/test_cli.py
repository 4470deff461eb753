import pytest

from bot.cli import NOT_YET, build_parser, main

SPEC_VERBS = ["run", "train", "evaluate", "kiosk", "say", "transcribe", "operator"]


def test_help_lists_every_verb_of_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for verb in SPEC_VERBS:
        assert verb in shown


@pytest.mark.parametrize(
    "argv",
    [["kiosk"], ["kiosk", "--wav", "a.wav"], ["say", "你好", "--lang", "zh", "--out", "x.wav", "--elderly"],
     ["transcribe", "a.wav", "--lang", "en"], ["operator", "review"]],
)
def test_verbs_of_parts_not_built_yet_say_so(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == NOT_YET
    assert "not yet available" in capsys.readouterr().err


def test_an_unknown_verb_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["fly"])
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_evaluate_without_a_model_explains_what_to_do(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import settings

    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    settings.get_settings.cache_clear()
    try:
        assert main(["evaluate"]) == 1
    finally:
        settings.get_settings.cache_clear()
    assert "python -m bot train" in capsys.readouterr().err
