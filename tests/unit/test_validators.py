from datetime import date

import pytest

from bot.validators import (
    AFTERNOON,
    APPLICATION_NO_GROUPS,
    FEMALE,
    ID_NUMBER_GROUPS,
    ID_NUMBER_PROBLEMS,
    MALE,
    MORNING,
    PHONE_GROUPS,
    ResidentId,
    SpokenDate,
    group_digits,
    id_number_problem,
    mask_id_number,
    mask_phone,
    normalise_digits,
    parse_application_no,
    parse_date,
    parse_id_number,
    parse_mobile,
    parse_name,
    parse_time_of_day,
)

TUESDAY = date(2026, 3, 10)
SUNDAY = date(2026, 3, 15)
MONTH_END = date(2026, 1, 31)  # a Saturday
YEAR_END = date(2026, 12, 28)  # a Monday


def with_check_character(first17: str) -> str:
    """Complete an ID number the way GB 11643 describes it: weights 2^(17-i) mod 11, (12 - sum) mod 11."""
    total = sum(int(digit) * pow(2, 17 - position, 11) for position, digit in enumerate(first17))
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


def with_wrong_check_character(first17: str) -> str:
    right = with_check_character(first17)[-1]
    return first17 + ("0" if right != "0" else "1")


# --------------------------------------------------------------------------- normalise_digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138.1234.5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("幺三八幺二三四五六七八", "13812345678"),
        ("一三八，一二三四，五六七八。", "13812345678"),
        ("零〇洞", "000"),
        ("两二", "22"),
        ("我的手机号是 138 1234 5678", "13812345678"),
        ("号码是13812345678", "13812345678"),
        ("电话：13812345678", "13812345678"),
        ("嗯，我的电话号码是138 1234 5678", "13812345678"),
        ("My number is 138-1234-5678", "13812345678"),
        ("it's 13812345678", "13812345678"),
        ("It’s 138 1234 5678.", "13812345678"),
        ("11010519491231002x", "11010519491231002X"),
        ("11010519491231002叉", "11010519491231002X"),
        ("(010) 6512-3456", "01065123456"),
        ("", ""),
        ("   ", ""),
        ("---", ""),
        ("X", ""),
        ("1381234567八八八 ok", ""),
        ("138 abc 5678", ""),
        ("十三", ""),
        ("一百", ""),
        ("1x2", ""),
        ("138😀5678", ""),
        ("my name is Li", ""),
    ],
)
def test_normalise_digits(text: str, digits: str) -> None:
    assert normalise_digits(text) == digits


# --------------------------------------------------------------------------- parse_mobile


@pytest.mark.parametrize(
    ("text", "mobile"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("幺三八 幺二三四 五六七八", "13812345678"),
        ("我的手机号是一九九八七六五四三二一", "19987654321"),
        ("my mobile number is 159 0000 1111", "15900001111"),
        ("１５９００００１１１１", "15900001111"),
        ("12812345678", None),
        ("10012345678", None),
        ("1381234567", None),
        ("138123456789", None),
        ("+1 138 1234 5678", None),
        ("861381234567", None),
        ("010-65123456", None),
        ("1381234567X", None),
        ("手机号不知道", None),
        ("", None),
    ],
)
def test_parse_mobile(text: str, mobile: str | None) -> None:
    assert parse_mobile(text) == mobile


# --------------------------------------------------------------------------- resident ID numbers

VALID_1949 = with_check_character("11010519491231002")  # ends in X, a woman
VALID_LEAP = with_check_character("11010520000229003")  # born on 29 February 2000, ends in X, a man
VALID_1900 = with_check_character("44030419000101001")  # the earliest accepted year, a man
VALID_TODAY = with_check_character(f"440304{TUESDAY:%Y%m%d}002")  # born today


def test_the_test_helper_agrees_with_known_numbers() -> None:
    assert VALID_1949 == "11010519491231002X"
    assert VALID_LEAP == "11010520000229003X"
    # The example used for grouping and masking below is not a valid number.
    assert with_check_character("33010619490512002") == "330106194905120022"


@pytest.mark.parametrize(
    ("text", "number", "birth_date", "sex"),
    [
        (VALID_1949, VALID_1949, date(1949, 12, 31), FEMALE),
        (VALID_1949.lower(), VALID_1949, date(1949, 12, 31), FEMALE),
        (VALID_1949[:-1] + "叉", VALID_1949, date(1949, 12, 31), FEMALE),
        ("110105 19491231 002x", VALID_1949, date(1949, 12, 31), FEMALE),
        ("我的身份证号是" + VALID_1949, VALID_1949, date(1949, 12, 31), FEMALE),
        ("my ID number is " + VALID_1949, VALID_1949, date(1949, 12, 31), FEMALE),
        ("幺幺零幺零五幺九四九幺二三幺零零二叉", VALID_1949, date(1949, 12, 31), FEMALE),
        (VALID_LEAP, VALID_LEAP, date(2000, 2, 29), MALE),
        (VALID_1900, VALID_1900, date(1900, 1, 1), MALE),
        (VALID_TODAY, VALID_TODAY, TUESDAY, FEMALE),
        ("330106194905120022", "330106194905120022", date(1949, 5, 12), FEMALE),
        ("３３０１０６１９４９０５１２００２２", "330106194905120022", date(1949, 5, 12), FEMALE),
    ],
)
def test_parse_id_number_reads_valid_numbers(text: str, number: str, birth_date: date, sex: str) -> None:
    assert parse_id_number(text, today=TUESDAY) == ResidentId(number=number, birth_date=birth_date, sex=sex)
    assert id_number_problem(text, today=TUESDAY) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "length"),
        ("   ", "length"),
        (VALID_1949[:17], "length"),
        (VALID_1949[:17] + "00", "length"),
        (VALID_1949 + "0", "characters"),  # the X is not last
        ("110105491231002", "length"),  # an old 15-digit number
        ("1101051949123100", "length"),
        ("11010519491231002Y", "characters"),
        ("1101051949123100X2", "characters"),
        ("身份证 1101 abc", "characters"),
        ("11010519491231002X😀", "characters"),
        ("不知道", "characters"),
        (with_check_character("01010519491231002"), "check_digit"),  # no region code starts with 0
        (with_check_character("01010519490229002"), "birth_date"),
        (with_check_character("11010519490229002"), "birth_date"),  # 1949 is not a leap year
        (with_check_character("11010519000229002"), "birth_date"),  # nor is 1900
        (with_check_character("11010518991231002"), "birth_date"),
        (with_check_character("11010520260311002"), "birth_date"),  # tomorrow
        (with_check_character("11010520301231002"), "birth_date"),
        (with_check_character("11010519491301002"), "birth_date"),
        (with_check_character("11010519491200002"), "birth_date"),
        (with_check_character("11010519490431002"), "birth_date"),
        (with_wrong_check_character("11010519491231002"), "check_digit"),
        (with_wrong_check_character("11010520000229003"), "check_digit"),
        ("330106194905120028", "check_digit"),
        ("11010519491231002" + "1", "check_digit"),
    ],
)
def test_id_number_problem(text: str, problem: str) -> None:
    assert problem in ID_NUMBER_PROBLEMS
    assert id_number_problem(text, today=TUESDAY) == problem
    assert parse_id_number(text, today=TUESDAY) is None


def test_the_birth_date_limit_follows_today() -> None:
    born_tomorrow = with_check_character("11010520260311002")
    assert id_number_problem(born_tomorrow, today=date(2026, 3, 11)) is None
    assert id_number_problem(born_tomorrow, today=TUESDAY) == "birth_date"
    assert parse_id_number(VALID_1949) is not None  # without today: the system date


@pytest.mark.parametrize(
    ("birth_date", "day", "age"),
    [
        (date(1949, 12, 31), date(2026, 3, 10), 76),
        (date(1949, 12, 31), date(2026, 12, 30), 76),
        (date(1949, 12, 31), date(2026, 12, 31), 77),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2028, 2, 29), 28),
        (date(2026, 3, 10), date(2026, 3, 10), 0),
    ],
)
def test_age_on(birth_date: date, day: date, age: int) -> None:
    assert ResidentId(number="x", birth_date=birth_date, sex=MALE).age_on(day) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        ResidentId(number="x", birth_date=date(2000, 1, 1), sex=MALE).age_on(date(1999, 12, 31))


# --------------------------------------------------------------------------- parse_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("张三", "张三"),
        ("  张三。", "张三"),
        ("“王小明”", "王小明"),
        ("我叫张三", "张三"),
        ("我的名字是李四", "李四"),
        ("名字是欧阳娜娜", "欧阳娜娜"),
        ("姓名：赵钱孙", "赵钱孙"),
        ("我是王五", "王五"),
        ("张 三", "张三"),
        ("爱新觉罗溥仪", "爱新觉罗溥仪"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提·", "买买提"),  # a dot at either end is punctuation
        ("·艾力", "艾力"),
        ("我叫 买买提 · 艾力", "买买提·艾力"),
        ("迪丽热巴·迪力木拉提", "迪丽热巴·迪力木拉提"),
        ("𠮷野", "𠮷野"),
        ("my name is john smith", "John Smith"),
        ("My name is John Smith.", "John Smith"),
        ("I'm Mary O'Brien", "Mary O'Brien"),
        ("I’m mary o’brien", "Mary O'Brien"),
        ("I am JEAN-LUC PICARD", "Jean-Luc Picard"),
        ("name: Zoë Saldaña", "Zoë Saldaña"),
        ("José  Álvarez", "José Álvarez"),
        ("Ronald McDonald", "Ronald McDonald"),
        ("j. r. r. tolkien", "J. R. R. Tolkien"),
        ("Li", "Li"),
        ("Ｊｏｈｎ", "John"),
    ],
)
def test_parse_name_accepts(text: str, name: str) -> None:
    assert parse_name(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "张",
        "我叫张",
        "我叫",
        "张三丰张三丰张",  # seven characters without a dot
        "买买提··艾力",
        "阿" * 8 + "·" + "阿" * 8,
        "张3",
        "张三123",
        "John2",
        "12345",
        "张三😀",
        "😀😀",
        "张三abc",
        "Li 张",
        "J",
        "J.",
        "-'.",
        "A" * 61,
        "John, Smith",
        "John_Smith",
        "Иван Петров",
        "不知道",
        "不告诉你",
        "没有",
        "取消",
        "好的",
        "No",
        "none",
        "CANCEL",
        "I don't know",
        "my name is none",
    ],
)
def test_parse_name_rejects(text: str) -> None:
    assert parse_name(text) is None


def test_latin_names_may_be_sixty_characters() -> None:
    assert parse_name("a" * 60) == "A" + "a" * 59


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "today", "day", "part"),
    [
        ("今天", TUESDAY, date(2026, 3, 10), None),
        ("明天", TUESDAY, date(2026, 3, 11), None),
        ("后天", TUESDAY, date(2026, 3, 12), None),
        ("大后天", TUESDAY, date(2026, 3, 13), None),
        ("明天上午", TUESDAY, date(2026, 3, 11), MORNING),
        ("明天早上", TUESDAY, date(2026, 3, 11), MORNING),
        ("明早", TUESDAY, date(2026, 3, 11), MORNING),
        ("今天下午", TUESDAY, date(2026, 3, 10), AFTERNOON),
        ("明天中午", TUESDAY, date(2026, 3, 11), AFTERNOON),
        ("明天晚上", TUESDAY, date(2026, 3, 11), None),
        ("那就明天下午吧", TUESDAY, date(2026, 3, 11), AFTERNOON),
        # A bare weekday is the next one from tomorrow on.
        ("周二", TUESDAY, date(2026, 3, 17), None),
        ("星期三", TUESDAY, date(2026, 3, 11), None),
        ("礼拜一", TUESDAY, date(2026, 3, 16), None),
        ("周日", TUESDAY, date(2026, 3, 15), None),
        ("星期天", TUESDAY, date(2026, 3, 15), None),
        ("礼拜天", SUNDAY, date(2026, 3, 22), None),
        ("周一", SUNDAY, date(2026, 3, 16), None),
        ("星期3", TUESDAY, date(2026, 3, 11), None),
        # 这周 / 本周: the current ISO week; 下周: the next one.
        ("这周二", TUESDAY, date(2026, 3, 10), None),
        ("本周五", TUESDAY, date(2026, 3, 13), None),
        ("这个礼拜天", TUESDAY, date(2026, 3, 15), None),
        ("这周日", SUNDAY, date(2026, 3, 15), None),
        ("下周二", TUESDAY, date(2026, 3, 17), None),
        ("下周一", SUNDAY, date(2026, 3, 16), None),
        ("下个星期二", TUESDAY, date(2026, 3, 17), None),
        ("下礼拜天", TUESDAY, date(2026, 3, 22), None),
        ("下周二下午", TUESDAY, date(2026, 3, 17), AFTERNOON),
        ("下下周二", TUESDAY, date(2026, 3, 24), None),
        ("下下个礼拜一", SUNDAY, date(2026, 3, 23), None),
        # Month and day.
        ("12月5日", TUESDAY, date(2026, 12, 5), None),
        ("12月5号", TUESDAY, date(2026, 12, 5), None),
        ("十二月五号", TUESDAY, date(2026, 12, 5), None),
        ("十二月二十五日上午", TUESDAY, date(2026, 12, 25), MORNING),
        ("3月10号", TUESDAY, date(2026, 3, 10), None),
        ("3月9号", TUESDAY, date(2027, 3, 9), None),
        ("1月5号", YEAR_END, date(2027, 1, 5), None),
        ("2月28日", MONTH_END, date(2026, 2, 28), None),
        ("2月29日", date(2028, 1, 10), date(2028, 2, 29), None),
        # Day of the month.
        ("5号", TUESDAY, date(2026, 4, 5), None),
        ("十五号", TUESDAY, date(2026, 3, 15), None),
        ("三十一号", TUESDAY, date(2026, 3, 31), None),
        ("廿五号", TUESDAY, date(2026, 3, 25), None),
        ("10号", TUESDAY, date(2026, 3, 10), None),
        ("31号", MONTH_END, date(2026, 1, 31), None),
        ("2号", MONTH_END, date(2026, 2, 2), None),
        ("5号", YEAR_END, date(2027, 1, 5), None),
        ("30号", YEAR_END, date(2026, 12, 30), None),
        # Full dates.
        ("2026-12-05", TUESDAY, date(2026, 12, 5), None),
        ("2026/12/05", TUESDAY, date(2026, 12, 5), None),
        ("2026.3.10", TUESDAY, date(2026, 3, 10), None),
        ("2026年12月5日", TUESDAY, date(2026, 12, 5), None),
        ("2027年1月5号下午", YEAR_END, date(2027, 1, 5), AFTERNOON),
        ("二〇二六年十二月五日", TUESDAY, date(2026, 12, 5), None),
        ("２０２６年１２月５日", TUESDAY, date(2026, 12, 5), None),
        ("2026 年 12 月 5 日", TUESDAY, date(2026, 12, 5), None),
        ("2026-12-05 上午", TUESDAY, date(2026, 12, 5), MORNING),
        # English.
        ("today", TUESDAY, date(2026, 3, 10), None),
        ("Tomorrow", TUESDAY, date(2026, 3, 11), None),
        ("the day after tomorrow", TUESDAY, date(2026, 3, 12), None),
        ("tomorrow morning", TUESDAY, date(2026, 3, 11), MORNING),
        ("tomorrow in the afternoon", TUESDAY, date(2026, 3, 11), AFTERNOON),
        ("this afternoon", TUESDAY, date(2026, 3, 10), AFTERNOON),
        ("tonight", TUESDAY, date(2026, 3, 10), None),
        ("Tuesday", TUESDAY, date(2026, 3, 17), None),
        ("on Friday", TUESDAY, date(2026, 3, 13), None),
        ("Tuesday afternoon", TUESDAY, date(2026, 3, 17), AFTERNOON),
        ("next Tuesday", TUESDAY, date(2026, 3, 17), None),
        ("next Monday", SUNDAY, date(2026, 3, 16), None),
        ("this Friday", TUESDAY, date(2026, 3, 13), None),
        ("this coming Monday", TUESDAY, date(2026, 3, 16), None),
        ("sun", SUNDAY, date(2026, 3, 22), None),
        ("December 5", TUESDAY, date(2026, 12, 5), None),
        ("5 December", TUESDAY, date(2026, 12, 5), None),
        ("Dec 5th", TUESDAY, date(2026, 12, 5), None),
        ("Dec. 5", TUESDAY, date(2026, 12, 5), None),
        ("5th of December", TUESDAY, date(2026, 12, 5), None),
        ("the 5th of December in the morning", TUESDAY, date(2026, 12, 5), MORNING),
        ("December 5, 2026", TUESDAY, date(2026, 12, 5), None),
        ("January 5th", YEAR_END, date(2027, 1, 5), None),
        ("the 5th", TUESDAY, date(2026, 4, 5), None),
        ("on the 31st", MONTH_END, date(2026, 1, 31), None),
        ("2026-12-05", YEAR_END, None, None),
    ],
)
def test_parse_date(text: str, today: date, day: date | None, part: str | None) -> None:
    expected = None if day is None else SpokenDate(day=day, part_of_day=part)
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today"),
    [
        ("", TUESDAY),
        ("上午", TUESDAY),
        ("下周", TUESDAY),
        ("昨天", TUESDAY),
        ("yesterday", TUESDAY),
        ("这周一", TUESDAY),  # already past
        ("本周六", SUNDAY),
        ("this Monday", TUESDAY),
        ("上周二", TUESDAY),
        ("2月30日", TUESDAY),
        ("2月29日", TUESDAY),  # 2026 is not a leap year
        ("2026-02-29", TUESDAY),
        ("2025-12-05", TUESDAY),
        ("2026年3月9日", TUESDAY),
        ("13月5日", TUESDAY),
        ("十二月三十二号", TUESDAY),
        ("32号", TUESDAY),
        ("31号", date(2026, 4, 10)),  # April has no 31st
        ("30号", MONTH_END),  # 30 January is past and February has no 30th
        ("12/05", TUESDAY),
        ("05/12/2026", TUESDAY),
        ("Smarch 5", TUESDAY),
        ("the 5", TUESDAY),
        ("周八", TUESDAY),
        ("明天或者后天", TUESDAY),
        ("随便哪天", TUESDAY),
        ("next week", TUESDAY),
    ],
)
def test_parse_date_rejects(text: str, today: date) -> None:
    assert parse_date(text, today) is None


# --------------------------------------------------------------------------- parse_time_of_day


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("9点", (9, 0)),
        ("9点钟", (9, 0)),
        ("九点", (9, 0)),
        ("九点半", (9, 30)),
        ("上午十点", (10, 0)),
        ("下午两点", (14, 0)),
        ("下午2点15", (14, 15)),
        ("下午2点15分", (14, 15)),
        ("下午 2 点 15", (14, 15)),
        ("下午14点", (14, 0)),
        ("中午12点半", (12, 30)),
        ("中午一点", (13, 0)),
        ("晚上七点", (19, 0)),
        ("晚上十二点", (0, 0)),
        ("凌晨三点", (3, 0)),
        ("十二点", (12, 0)),
        ("零点", (0, 0)),
        ("10点一刻", (10, 15)),
        ("十点三刻", (10, 45)),
        ("两点零五", (2, 5)),
        ("两点过五分", (2, 5)),
        ("14点30分", (14, 30)),
        ("十四时三十分", (14, 30)),
        ("大概十点左右", (10, 0)),
        ("14:30", (14, 30)),
        ("14：30", (14, 30)),
        ("9:30", (9, 30)),
        ("9.30", (9, 30)),
        ("下午2:30", (14, 30)),
        ("half past nine", (9, 30)),
        ("quarter past ten", (10, 15)),
        ("a quarter to ten", (9, 45)),
        ("ten minutes past nine", (9, 10)),
        ("twenty-five to three", (2, 35)),
        ("half past two in the afternoon", (14, 30)),
        ("2 pm", (14, 0)),
        ("2pm", (14, 0)),
        ("2 p.m.", (14, 0)),
        ("2:30pm", (14, 30)),
        ("9 am", (9, 0)),
        ("12 pm", (12, 0)),
        ("12 am", (0, 0)),
        ("10 o'clock", (10, 0)),
        ("ten o'clock", (10, 0)),
        ("ten", (10, 0)),
        ("nine thirty", (9, 30)),
        ("two fifteen pm", (14, 15)),
        ("nine oh five", (9, 5)),
        ("3 in the afternoon", (15, 0)),
        ("8 tonight", (20, 0)),
        ("at 10", (10, 0)),
        ("noon", (12, 0)),
        ("midnight", (0, 0)),
    ],
)
def test_parse_time_of_day(text: str, time: tuple[int, int]) -> None:
    assert parse_time_of_day(text) == time


@pytest.mark.parametrize(
    "text",
    [
        "",
        "下午",
        "25点",
        "24:00",
        "9:75",
        "9:5",
        "十点六十分",
        "上午14点",
        "13 pm",
        "0 am",
        "twenty five",
        "nine five",
        "half to ten",
        "sometime",
        "明天",
        "9点😀",
    ],
)
def test_parse_time_of_day_rejects(text: str) -> None:
    assert parse_time_of_day(text) is None


# --------------------------------------------------------------------------- parse_application_no


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("202405120001", "202405120001"),
        ("2024 0512 0001", "202405120001"),
        ("2024-0512-0001", "202405120001"),
        ("二零二四零五幺二零零零幺", "202405120001"),
        ("受理号是202405120001", "202405120001"),
        ("my application number is 2024 0512 0001", "202405120001"),
        ("20240512000", None),
        ("2024051200011", None),
        ("20240512000X", None),
        ("2024O5120001", None),
        ("", None),
    ],
)
def test_parse_application_no(text: str, number: str | None) -> None:
    assert parse_application_no(text) == number


# --------------------------------------------------------------------------- grouping and masking


@pytest.mark.parametrize(
    ("number", "groups", "separator", "grouped"),
    [
        ("330106194905120028", ID_NUMBER_GROUPS, " ", "330106 19490512 0028"),
        ("11010519491231002X", (6, 8, 4), " ", "110105 19491231 002X"),
        ("13812345678", PHONE_GROUPS, " ", "138 1234 5678"),
        ("13812345678", (3, 4, 4), "-", "138-1234-5678"),
        ("202405120001", APPLICATION_NO_GROUPS, " ", "2024 0512 0001"),
        ("8613812345678", (3, 4, 4), " ", "861 3812 3456 78"),
        ("1381234", (3, 4, 4), " ", "138 1234"),
        ("13812", (3, 4, 4), " ", "138 12"),
        ("12", (3, 4, 4), " ", "12"),
        ("", (3, 4, 4), " ", ""),
        ("123456", (), " ", "123456"),
    ],
)
def test_group_digits(number: str, groups: tuple[int, ...], separator: str, grouped: str) -> None:
    assert group_digits(number, groups, separator) == grouped


@pytest.mark.parametrize("groups", [(3, 0, 4), (-1,)])
def test_group_sizes_must_be_positive(groups: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        group_digits("13812345678", groups)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("330106194905120028", "330106********0028"),
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("1234567890", "**********"),
        ("", ""),
    ],
)
def test_mask_id_number(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("8613812345678", "861******5678"),
        ("65123456", "651*3456"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
