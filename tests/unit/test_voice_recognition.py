from pathlib import Path

import pytest

from bot.settings import Settings
from tests.unit.voice_helpers import KO_MODEL, KOREAN_WORDS, korean_pcm
from voice import recognition
from voice.recognition import (
    NOT_INSTALLED_MESSAGE,
    UNKNOWN,
    RecognitionSession,
    Transcript,
    VoiceUnavailable,
    VoskRecognizer,
    Word,
    join_cjk,
    load_model,
    model_folder,
    recognizer_for,
    require_recognizer,
)

SILENCE = bytes(16000 * 2)  # one second


@pytest.fixture(scope="module")
def korean() -> VoskRecognizer:
    """The real Korean model from PyPI (loaded once per process)."""
    return VoskRecognizer(KO_MODEL, language="ko")


def feed(session: RecognitionSession, pcm: bytes, chunk: int = 3200) -> list[str]:
    partials = []
    for start in range(0, len(pcm), chunk):
        heard = session.accept(pcm[start : start + chunk])
        if heard is not None:
            partials.append(heard)
        if session.ended:
            break
    return partials


def test_real_speech_is_transcribed(korean: VoskRecognizer) -> None:
    transcript = korean.transcribe(korean_pcm())
    assert transcript.text.strip()
    assert transcript.words
    assert 0.0 < transcript.confidence <= 1.0
    assert all(0.0 <= word.start <= word.end for word in transcript.words)


def test_silence_gives_an_empty_transcript(korean: VoskRecognizer) -> None:
    transcript = korean.transcribe(SILENCE * 2)
    assert transcript.text == "" and transcript.is_empty and transcript.confidence == 0.0


def test_a_grammar_allows_only_its_phrases(korean: VoskRecognizer) -> None:
    transcript = korean.transcribe(korean_pcm(), grammar=list(KOREAN_WORDS))
    assert transcript.words
    assert {word.word for word in transcript.words} <= {*KOREAN_WORDS, UNKNOWN}
    assert KOREAN_WORDS[0] in transcript.text


def test_a_session_gives_partials_and_waits_through_pauses(korean: VoskRecognizer) -> None:
    session = korean.session(grammar=list(KOREAN_WORDS))
    # speech, a 1.5 s pause to think (shorter than the 2.5 s allowed), speech again, then silence
    partials = feed(session, SILENCE[:8000] + korean_pcm() + SILENCE + SILENCE[:16000] + korean_pcm())
    assert not session.ended
    assert partials and partials[0]
    partials += feed(session, SILENCE * 4)
    assert session.ended
    # it ended about 2.5 s after the last word, not at the first pause
    assert session.seconds < 0.5 + 2 * len(korean_pcm()) / 32000 + 1.5 + 2.5 + 1.0
    transcript = session.finish()
    assert transcript.text == partials[-1]
    assert transcript.text.split().count(KOREAN_WORDS[0]) >= 2
    assert session.accept(korean_pcm()) is None
    assert session.finish() is transcript


def test_a_session_ends_at_the_maximum_length(korean: VoskRecognizer) -> None:
    session = VoskRecognizer(KO_MODEL, max_utterance=2.0).session()
    feed(session, korean_pcm() * 3)
    assert session.ended
    assert session.seconds == pytest.approx(2.0, abs=0.25)
    session.finish()


def test_silence_alone_does_not_end_a_session(korean: VoskRecognizer) -> None:
    session = korean.session()
    feed(session, SILENCE * 5)
    assert not session.ended  # nobody has spoken yet: keep listening
    assert session.finish().is_empty


def test_a_model_is_loaded_once_from_its_folder_and_shared(monkeypatch: pytest.MonkeyPatch,
                                                           korean: VoskRecognizer) -> None:
    assert load_model(KO_MODEL) is korean.model
    assert VoskRecognizer(KO_MODEL, language="ko").model is korean.model

    import vosk

    calls: list[tuple[object, ...]] = []

    def recording_model(*args: object, **kwargs: object) -> object:
        calls.append((args, kwargs))
        raise Exception("Failed to create a model")

    monkeypatch.setattr(vosk, "Model", recording_model)
    with pytest.raises(VoiceUnavailable) as raised:
        load_model(KO_MODEL / "graph")
    assert raised.value.reason == recognition.LOAD_FAILED
    assert calls == [((str((KO_MODEL / "graph").resolve()),), {})]  # a folder, never lang=


def test_a_model_folder_may_be_the_unpacked_archive_top_folder(tmp_path: Path) -> None:
    assert model_folder(KO_MODEL) == KO_MODEL
    (tmp_path / "vosk-model-small" / "am").mkdir(parents=True)
    (tmp_path / "vosk-model-small" / "am" / "final.mdl").write_bytes(b"x")
    (tmp_path / "vosk-model-small" / "conf").mkdir()
    assert model_folder(tmp_path) == tmp_path / "vosk-model-small"
    assert model_folder(tmp_path / "missing") is None
    (tmp_path / "other").mkdir()
    assert model_folder(tmp_path) is None


def settings(tmp_path: Path, **models: str) -> Settings:
    return Settings.from_environment({f"VOSK_MODEL_{key.upper()}": value for key, value in models.items()},
                                     env_file=tmp_path / "none.env")


@pytest.mark.parametrize(
    ("models", "reason"),
    [({}, recognition.UNSET), ({"zh": "/nonexistent/vosk-model-cn"}, recognition.MISSING),
     ({"zh": "{tmp}"}, recognition.NOT_A_MODEL)],
)
def test_no_recognizer_without_a_model(tmp_path: Path, models: dict[str, str], reason: str) -> None:
    configured = settings(tmp_path, **{key: value.format(tmp=tmp_path) for key, value in models.items()})
    assert recognizer_for("zh", configured) is None
    with pytest.raises(VoiceUnavailable) as raised:
        require_recognizer("zh", configured)
    assert raised.value.reason == reason
    assert "VOSK_MODEL_ZH" in raised.value.detail
    assert raised.value.message() == NOT_INSTALLED_MESSAGE["zh"]
    assert raised.value.message("en") == NOT_INSTALLED_MESSAGE["en"]
    assert all("VOSK_MODEL_ZH" in message for message in NOT_INSTALLED_MESSAGE.values())


def test_a_configured_model_gives_a_recognizer(tmp_path: Path, korean: VoskRecognizer) -> None:
    recognizer = recognizer_for("en", settings(tmp_path, en=str(KO_MODEL)))
    assert recognizer is not None and recognizer.model is korean.model and recognizer.language == "en"
    assert recognizer_for("zh", settings(tmp_path, en=str(KO_MODEL))) is None


@pytest.mark.parametrize(
    ("text", "joined"),
    [("你 好 吗", "你好吗"), ("我 要 办 身份证", "我要办身份证"), ("hello world", "hello world"),
     ("我 的 ID 丢 了", "我的 ID 丢了"), ("  你  好 ", "你好"), ("안녕하세요 좋네요", "안녕하세요 좋네요"),
     ("", "")],
)
def test_join_cjk(text: str, joined: str) -> None:
    assert join_cjk(text) == joined


def test_transcript_emptiness() -> None:
    assert Transcript("", 0.0).is_empty
    assert Transcript(UNKNOWN, 0.5, (Word(UNKNOWN, 0.0, 0.3, 0.5),)).is_empty
    assert not Transcript("是", 0.9, (Word("是", 0.0, 0.3, 0.9),)).is_empty
