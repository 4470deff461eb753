from datetime import date, datetime, timezone

import pytest

from portal.validation import (
    FieldError,
    check_application_fields,
    check_channel,
    check_id_number,
    check_mobile,
    check_name,
    check_text,
    id_check_character,
    is_idempotency_key,
    is_mobile_number,
    is_name,
    mask_phone,
    parse_id_number,
    parse_iso_date,
    parse_language,
    today_in_china,
)

TODAY = date(2026, 11, 24)


def valid_id(first17: str) -> str:
    return first17 + id_check_character(first17)


@pytest.mark.parametrize("name", [
    "王秀英", "李四", "欧阳娜娜", "阿依古丽·买买提", "爱新觉罗·溥仪", "𠮷野家", "王" * 20,
    "Mary Smith", "Mary-Jane O'Brien", "J. R. R. Tolkien", "Smith Jr.", "Zoë Müller", "Li",
])
def test_names_accepted(name: str) -> None:
    assert is_name(name)
    assert check_name(name, "name") == name


@pytest.mark.parametrize("name", [
    "", "王", "王" * 21, "·王秀英", "王秀英·", "王··秀英", " 王秀英", "王秀英 ", "王 秀英", "王秀英1",
    "王Mary", "M", "Mary  Smith", "-Mary", "Mary--Jane", "Mary\nSmith", "A" * 61, "13812345678",
    "Robert'); DROP TABLE", "张三<script>",
])
def test_names_refused(name: str) -> None:
    assert not is_name(name)
    with pytest.raises(FieldError) as error:
        check_name(name, "applicant.name")
    assert error.value.field == "applicant.name"
    assert str(error.value).startswith("applicant.name: ")


@pytest.mark.parametrize("phone", ["13812345678", "19900000000", "15012345678", "17712345678"])
def test_mobile_numbers_accepted(phone: str) -> None:
    assert is_mobile_number(phone)
    assert check_mobile(phone, "phone") == phone


@pytest.mark.parametrize("phone", [
    "", "1381234567", "138123456789", "12812345678", "23812345678", "138-1234-5678", "+8613812345678",
    " 13812345678", "1381234567a", "１３８１２３４５６７８", "138 1234 5678",
])
def test_mobile_numbers_refused(phone: str) -> None:
    assert not is_mobile_number(phone)
    with pytest.raises(FieldError, match="^phone: "):
        check_mobile(phone, "phone")


@pytest.mark.parametrize(("number", "birth", "male"), [
    ("11010519491231002X", date(1949, 12, 31), False),
    ("330106194905120022", date(1949, 5, 12), False),
    ("110101199003074514", date(1990, 3, 7), True),
    (valid_id("44030420261124001"), date(2026, 11, 24), True),
    (valid_id("81000019800101002"), date(1980, 1, 1), False),
])
def test_id_numbers_accepted(number: str, birth: date, male: bool) -> None:
    parsed = parse_id_number(number, today=TODAY)
    assert parsed is not None
    assert (parsed.birth_date, parsed.male, parsed.region) == (birth, male, number[:6])
    assert check_id_number(number, "id_number", today=TODAY) == number


@pytest.mark.parametrize("number", [
    "330106194905120028",                 # wrong check character
    "11010519491231002x",                 # lower-case x
    "1101051949123100",                   # too short
    "11010519491231002XX",                # too long
    valid_id("11010519490230001"),        # 30 February
    valid_id("11010519491301001"),        # month 13
    valid_id("11010518991231001"),        # before 1900
    valid_id("44030420261125001"),        # born tomorrow
    valid_id("99010519491231001"),        # no such province
    valid_id("00010519491231001"),
    "11010519491231002X ",
    "１１０１０５１９４９１２３１００２Ｘ",
    "",
])
def test_id_numbers_refused(number: str) -> None:
    assert parse_id_number(number, today=TODAY) is None
    with pytest.raises(FieldError, match="^applicant.id_number: "):
        check_id_number(number, "applicant.id_number", today=TODAY)


def test_check_character_follows_gb_11643() -> None:
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("33010619490512002") == "2"


@pytest.mark.parametrize(("raw", "expected"), [(None, "zh"), ("zh", "zh"), ("en", "en"), ("EN", None),
                                               ("", None), ("fr", None), ("zh-CN", None)])
def test_language(raw: str | None, expected: str | None) -> None:
    assert parse_language(raw) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-24", date(2026, 11, 24)), ("2024-02-29", date(2024, 2, 29)), ("2026-02-29", None),
    ("2026-11-4", None), ("20261124", None), ("2026/11/24", None), ("", None), ("2026-11-24T09:00", None),
])
def test_iso_dates(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


@pytest.mark.parametrize(("key", "ok"), [
    ("abcdefgh", True), ("a" * 128, True), ("3f2b-11ee-9a:x y", True), ("abcdefg", False),
    ("a" * 129, False), ("abcdefgh\n", False), ("密钥密钥密钥密钥", False), ("", False),
])
def test_idempotency_keys(key: str, ok: bool) -> None:
    assert is_idempotency_key(key) is ok


def test_phones_are_masked() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"


def test_today_is_china_standard_time() -> None:
    assert today_in_china(datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)) == date(2026, 11, 24)
    assert today_in_china(datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)) == date(2026, 11, 23)


@pytest.mark.parametrize(("text", "ok"), [("女儿", True), ("daughter", True), ("", False), (" son", False),
                                          ("a\nb", False), ("x" * 21, False), ("son\u2028", False),
                                          ("女儿\U0001f600", True), ("son\ud800", False)])
def test_short_texts(text: str, ok: bool) -> None:
    if ok:
        assert check_text(text, "proxy.relationship", max_length=20) == text
    else:
        with pytest.raises(FieldError, match="^proxy.relationship: "):
            check_text(text, "proxy.relationship", max_length=20)


@pytest.mark.parametrize(("channel", "ok"), [("rest", True), ("telegram", True), ("voice-zh", True),
                                             ("socket.io", True), ("x" * 32, True), ("", False),
                                             ("web chat", False), ("-x", False), ("x" * 33, False),
                                             ("微信", False)])
def test_channels(channel: str, ok: bool) -> None:
    if ok:
        assert check_channel(channel) == channel
    else:
        with pytest.raises(FieldError, match="^channel: "):
            check_channel(channel)


@pytest.mark.parametrize(("service", "kind", "fields"), [
    ("id_card", "renewal", {"reason": "expired", "collection_office_id": "xihu"}),
    ("id_card", "replacement", {"reason": "lost", "collection_office_id": "binjiang"}),
    ("id_card", "replacement", {"reason": "info_changed", "collection_office_id": "xihu"}),
    ("pension", "qualification_certification", {"method": "hall"}),
    ("pension", "qualification_certification", {"method": "online_face"}),
    ("pension", "qualification_certification", {"method": "home_visit", "address": "文三路1号3幢201"}),
])
def test_application_fields_accepted(service: str, kind: str, fields: dict[str, str]) -> None:
    assert check_application_fields(service, kind, fields, {"xihu", "binjiang"}) == fields


@pytest.mark.parametrize(("service", "kind", "fields", "field"), [
    ("id_card", "renewal", {"collection_office_id": "xihu"}, "fields.reason"),
    ("id_card", "renewal", {"reason": "stolen", "collection_office_id": "xihu"}, "fields.reason"),
    ("id_card", "renewal", {"reason": "lost"}, "fields.collection_office_id"),
    ("id_card", "renewal", {"reason": "lost", "collection_office_id": "gongshu"},
     "fields.collection_office_id"),
    ("id_card", "renewal", {"reason": "lost", "collection_office_id": "xihu", "x": "1"}, "fields.x"),
    ("pension", "qualification_certification", {}, "fields.method"),
    ("pension", "qualification_certification", {"method": "phone"}, "fields.method"),
    ("pension", "qualification_certification", {"method": "home_visit"}, "fields.address"),
    ("pension", "qualification_certification", {"method": "home_visit", "address": " 1号"}, "fields.address"),
    ("pension", "qualification_certification", {"method": "hall", "reason": "lost"}, "fields.reason"),
    ("hukou", "move", {}, "service_id"),
])
def test_application_fields_refused(service: str, kind: str, fields: dict[str, str], field: str) -> None:
    with pytest.raises(FieldError) as error:
        check_application_fields(service, kind, fields, {"xihu", "binjiang"})
    assert error.value.field == field
