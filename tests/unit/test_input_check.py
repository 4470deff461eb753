import pytest

from bot.input_check import (
    MAX_UNDERSTOOD_CHARS,
    InputProblem,
    find_input_problem,
    is_button_payload,
    shorten_for_understanding,
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, InputProblem.EMPTY),
        ("", InputProblem.EMPTY),
        ("   \n\t ", InputProblem.EMPTY),
        ("😀🙏👍", InputProblem.NO_WORDS),
        ("？？？!!!", InputProblem.NO_WORDS),
        ("\x00\x01\x02abc", InputProblem.BINARY),
        ("ÿØÿà\ufffdJFIF", InputProblem.BINARY),
        ("aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IGJsb2IgPT0=", InputProblem.BINARY),
        ("你好", None),
        ("hi", None),
        ("我的ID card丢了😭", None),
        ("110101195003072316", None),
        ("https://example.org/a-very-long-address-that-someone-pasted-here", InputProblem.BINARY),
    ],
)
def test_find_input_problem(text: str | None, problem: InputProblem | None) -> None:
    assert find_input_problem(text) == problem


def test_long_text_is_shortened() -> None:
    text = "我想问一下身份证" * 2000
    assert find_input_problem(text) is None
    assert len(shorten_for_understanding(text)) <= MAX_UNDERSTOOD_CHARS + 1
    assert shorten_for_understanding("短句") == "短句"


def test_a_long_message_keeps_its_question_at_the_end() -> None:
    shortened = shorten_for_understanding("我家住在城东。" * 1000 + "请问社保卡丢了怎么补办")
    assert shortened.startswith("我家住在城东。")
    assert shortened.endswith("请问社保卡丢了怎么补办")


@pytest.mark.parametrize(("text", "expected"), [('/ask_service{"service":"id_card"}', True), ("/greet", True),
                                                ("你好 /", False), ("", False), (None, False)])
def test_is_button_payload(text: str | None, expected: bool) -> None:
    assert is_button_payload(text) is expected
