from datetime import date

import pytest

from voice.speech_text import (
    identifier_groups,
    read_identifier,
    speak_time,
    speakable,
    spell_digits,
    split_sentences,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("language", "written", "spoken"),
    [
        # identifiers: digit by digit, in groups, a pause (comma) between groups
        ("zh", "手机 13812345678", "手机幺三八，幺二三四，五六七八。"),
        ("en", "phone 13812345678", "phone 1 3 8, 1 2 3 4, 5 6 7 8."),
        ("zh", "号码13812345678。", "号码幺三八，幺二三四，五六七八。"),
        ("zh", "身份证 11010519491231002X", "身份证幺幺零幺零五，幺九四九幺二三幺，零零二叉。"),
        ("en", "ID 11010519491231002x", "ID 1 1 0 1 0 5, 1 9 4 9 1 2 3 1, 0 0 2 X."),
        ("zh", "申请号：202405120001", "申请号：二零二四，零五幺二，零零零幺。"),
        ("zh", "申请号：2024 0512 0001（请记下来）。", "申请号：二零二四，零五幺二，零零零幺（请记下来）。"),
        ("en", "Application number: 2024 0512 0001.", "Application number: 2 0 2 4, 0 5 1 2, 0 0 0 1."),
        ("zh", "电话 0571-87654321", "电话零五七幺，八七六五四三二幺。"),
        ("zh", "１３８１２３４５６７８", "幺三八，幺二三四，五六七八。"),
        # short numbers, decimals and codes are left to the voice
        ("zh", "3个工作日", "3个工作日。"),
        ("en", "3 working days", "3 working days."),
        ("en", "version 3.14159265", "version 3.14159265."),
        ("en", "code ABC1234567", "code ABC1234567."),
        # dates: this year's without the year; years digit by digit in Chinese
        ("zh", "2026-11-24", "11月24日。"),
        ("en", "2026-11-24", "24 November."),
        ("zh", "2027/1/5", "二零二七年1月5日。"),
        ("en", "2027-01-05", "5 January 2027."),
        ("zh", "1949年出生", "一九四九年出生。"),
        # times and time ranges
        ("zh", "09:00-11:30", "9点到11点30分。"),
        ("en", "09:00-11:30", "9 am to 11:30 am."),
        ("zh", "14:00", "下午2点。"),
        ("en", "14:05", "2 oh 5 pm."),
        ("zh", "12:00", "中午12点。"),
        ("zh", "19:30", "晚上7点30分。"),
        ("en", "00:30", "12:30 am."),
        # amounts
        ("zh", "20元", "20元。"),
        ("zh", "¥2", "两元。"),
        ("zh", "￥20.50", "20.5元。"),
        ("zh", "1000000元", "1000000元。"),
        ("en", "20元", "20 yuan."),
        ("en", "¥35", "35 yuan."),
        ("en", "RMB 100", "100 yuan."),
        # masked numbers: only the visible end is read
        ("zh", "手机 138****5678", "手机尾号五六七八。"),
        ("en", "phone 138****5678", "phone ending in 5 6 7 8."),
        ("zh", "身份证 330106********0028", "身份证尾号零零二八。"),
        # things not to read: links, emoji, button markers, "|", markdown
        ("zh", "详见 https://zwfw.example.gov.cn/guide?id=3 。", "详见。"),
        ("en", "See https://example.gov.cn/a.html.", "See."),
        ("en", "Visit www.example.gov.cn, then", "Visit, then."),
        ("zh", "好的😀👍🏻", "好的。"),
        ("en", "Done ✅", "Done."),
        ("zh", "[1] 是 | [2] 不是", "是，不是。"),
        ("en", "[1] Yes | [2] No", "Yes, No."),
        ("zh", "**重要**：请带 `身份证`", "重要：请带身份证。"),
        # every line ends a sentence; nothing left means nothing to say
        ("zh", "第一行\n第二行", "第一行。\n第二行。"),
        ("en", "First line\nSecond line", "First line.\nSecond line."),
        ("zh", "  ", ""),
        ("en", "👍", ""),
    ],
)
def test_speakable(language: str, written: str, spoken: str) -> None:
    assert speakable(written, language, TODAY) == spoken


def test_a_reply_with_everything_reads_naturally() -> None:
    reply = ("预约好了！预约号：202611240007。\n时间：2026-11-24 09:00-11:30。\n"
             "到了以后在取号机上输入手机号 138 1234 5678 就能取号。费用 20元 👍")
    assert speakable(reply, "zh", TODAY) == (
        "预约好了！预约号：二零二六，幺幺二四，零零零七。\n时间：11月24日9点到11点30分。\n"
        "到了以后在取号机上输入手机号幺三八，幺二三四，五六七八就能取号。费用20元。")


@pytest.mark.parametrize(
    ("number", "language", "spoken"),
    [("138", "zh", "幺三八"), ("138", "en", "1 3 8"), ("002X", "zh", "零零二叉"), ("002x", "en", "0 0 2 X"),
     ("", "zh", "")],
)
def test_spell_digits(number: str, language: str, spoken: str) -> None:
    assert spell_digits(number, language) == spoken


@pytest.mark.parametrize(
    ("digits", "groups"),
    [("11010519491231002X", (6, 8, 4)), ("13812345678", (3, 4, 4)), ("202405120001", (4, 4, 4)),
     ("87654321", (4, 4)), ("23456789012", (4, 4))],
)
def test_identifier_groups(digits: str, groups: tuple[int, ...]) -> None:
    assert identifier_groups(digits) == groups


@pytest.mark.parametrize(
    ("number", "language", "spoken"),
    [("13812345678", "en", "1 3 8, 1 2 3 4, 5 6 7 8"),
     ("0571-8765 4321", "zh", "零五七幺，八七六五，四三二幺"),
     ("1234567", "en", "1 2 3 4, 5 6 7")],
)
def test_read_identifier_keeps_written_groups(number: str, language: str, spoken: str) -> None:
    assert read_identifier(number, language) == spoken


@pytest.mark.parametrize(
    ("clock", "language", "spoken"),
    [("9:00", "zh", "9点"), ("09:05", "zh", "9点零5分"), ("13:30", "zh", "下午1点30分"),
     ("0:00", "en", "12 am"),
     ("11:45", "en", "11:45 am"), ("18:00", "zh", "晚上6点")],
)
def test_speak_time(clock: str, language: str, spoken: str) -> None:
    assert speak_time(clock, language) == spoken


@pytest.mark.parametrize(
    ("text", "sentences"),
    [("您好。请问您要办理什么业务？我可以帮您！", ["您好。", "请问您要办理什么业务？", "我可以帮您！"]),
     ("Hello. Yes! No?\nA new line", ["Hello.", "Yes!", "No?", "A new line"]),
     ("3.5元。Version 2.0 is out. Thanks", ["3.5元。", "Version 2.0 is out.", "Thanks"]),
     ("。。\n！", []), ("", [])],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences
