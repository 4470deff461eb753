import pytest

from bot.language import detect_language, normalise_language, other_language, requested_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的身份证丢了怎么办", "zh"),
        ("how do I renew my driving licence", "en"),
        ("我的ID card丢了", "zh"),
        ("how do I get a 社保卡", "en"),
        ("hello", "en"),
        ("好", "zh"),
        ("ok", None),
        ("yes", None),
        ("123456", None),
        ("😀😀", None),
        ("", None),
        ("   ", None),
        ("wo yao ban shen fen zheng", "en"),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("说英语", "en"),
        ("换成英文吧", "en"),
        ("切换中文", "zh"),
        ("我要用普通话", "zh"),
        ("switch to English please", "en"),
        ("can we speak Chinese", "zh"),
        ("Mandarin please", "zh"),
        ("switch language", None),
        ("english or chinese?", None),
    ],
)
def test_requested_language(text: str, expected: str | None) -> None:
    assert requested_language(text) == expected


def test_other_and_normalised_language() -> None:
    assert other_language("zh") == "en"
    assert other_language("en") == "zh"
    assert other_language(None) == "en"
    assert normalise_language("en") == "en"
    assert normalise_language("fr") == "zh"
    assert normalise_language(None) == "zh"
