"""Personal data masked in everything operators see or export.

Conversations under review carry what citizens typed or said: ID numbers,
phone numbers and names. :func:`mask_text` masks them before any text leaves
the review module, however they were written:

- resident ID numbers (18 characters with a final X, or the old 15 digits),
  also full-width or grouped ("330106 19490101 0028"): ``330106********0028``
  (``bot.validators.mask_id_number``);
- mainland mobile numbers, with or without +86 / 0086, spaced or dashed
  ("+86 138-1234-5678"): ``138****5678`` (``bot.validators.mask_phone``);
- any other run of seven or more digits (landlines, numbers read out), also
  spoken in Chinese ("幺三八 幺二三四 五六七八") or English ("one three
  eight…");
- known addresses (form answers): the first three characters stay;
- names: every known name of the conversation (the form answers), and names
  after "名字是", "我是" or "我叫" + a common surname, "my name is", "I am"…:
  the first character stays (王秀英 → 王**, John Smith → J*** S****).

:func:`mask_identifiers` masks only ID numbers and mobile numbers, and needs
no conversation: it is the masking of log lines and of the events published to
the event broker, where other numbers (times, counts, identifiers of events)
must stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.validators import mask_id_number, mask_phone, parse_mobile

#: Full-width digits, plus, minus, X and space as ASCII, one character for one (offsets hold).
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                       "＋": "+", "－": "-", "Ｘ": "X", "ｘ": "x", "\u3000": " "})

_ID_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{6}[ -][0-9]{8}[ -][0-9]{3}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}")
_MIN_DIGITS = 7

_SPOKEN_ZH = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "兩": "2",
              "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9",
              "勾": "9"}
_ZH_DIGIT_CLASS = "0-9" + "".join(_SPOKEN_ZH)
#: Digits read out one by one, Chinese numerals among them, single separators allowed between.
_SPOKEN_ZH_NUMBER = re.compile(rf"[{_ZH_DIGIT_CLASS}](?:[ \-、，,]?[{_ZH_DIGIT_CLASS}]){{6,}}(?:[ ]?[Xx叉])?")

_SPOKEN_EN = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
              "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_EN_DIGIT_WORD = "(?:" + "|".join(_SPOKEN_EN) + ")"
_SPOKEN_EN_NUMBER = re.compile(rf"\b{_EN_DIGIT_WORD}(?:[\s,\-]+{_EN_DIGIT_WORD}){{6,}}\b", re.IGNORECASE)

#: Lead-ins after which a Chinese name follows.
_ZH_NAME_LEAD_INS = ("我的名字叫", "我的名字是", "我的姓名是", "名字叫", "名字是", "姓名是", "姓名",
                     "申请人是", "代办人是")
#: Common surnames: after "我是" or "我叫" ("帮我叫个人" calls someone) only a word starting
#: with one of these is taken for a name.
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙胡朱郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧蔡潘袁蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟"
    "谭陆汪范廖贾邹熊孟秦邱江尹薛阎闫段雷侯龙邵郝孔毛常万顾赖武康贺严覃钱施牛洪龚汤陶黎温莫易樊乔"
    "殷颜庄章鲁倪庞邢俞翟蓝聂齐葛柴伍骆关焦柳欧祝纪尚毕耿芦左季管符辛苗詹曲马")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_GAP = r"[\s:：,，]*"
_ZH_NAME_AFTER_LEAD_IN = re.compile(
    "(?:" + "|".join(_ZH_NAME_LEAD_INS) + f"){_ZH_GAP}(?P<name>[{_HAN}]{{2,4}})")
_ZH_NAME_AFTER_I_AM = re.compile(f"我[是叫]{_ZH_GAP}(?P<name>[{_HAN}]{{2,4}})")

_EN_WORD = r"[A-Za-z][A-Za-z'\-]*"
_EN_STRONG = re.compile(r"\b(?:(?:my (?:full )?name is|my name's|name is|call me)\s+|name\s*[:：]\s*)"
                        rf"(?P<name>{_EN_WORD}(?:\s+{_EN_WORD}){{0,2}})", re.IGNORECASE)
_EN_WEAK = re.compile(r"\b(?:[Ii] am|[Ii]'m|[Ii]’m|[Tt]his is)\s+"
                      r"(?P<name>[A-Z][A-Za-z'\-]*(?:\s+[A-Z][A-Za-z'\-]*){0,2})")
#: Words that end a name read after a lead-in ("my name is john and I…").
_EN_NOT_NAME = frozenset(
    "and or but i i'm my me is am are was the a an to for from of in on at with please thanks thank you "
    "here there calling speaking not".split())


def mask_name(name: str) -> str:
    """Mask a name: each word keeps its first character ("王秀英" → "王**", "John Smith" → "J*** S****")."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split(" "))


def _substitute(text: str, pattern: re.Pattern[str], replace: Callable[[str], str | None],
                skip_fractions: bool = False) -> str:
    """Replace the matches of a pattern found in the ASCII-folded text, keeping text the matcher skips.

    With ``skip_fractions``, digits right after a decimal point ("0.123456789012345") are no match.
    """
    folded = text.translate(_FOLD)
    pieces, end = [], 0
    for match in pattern.finditer(folded):
        start = match.start()
        if skip_fractions and start >= 2 and folded[start - 1] == "." and folded[start - 2].isdigit():
            continue
        masked = replace(match.group())
        if masked is None:
            continue
        pieces += [text[end:match.start()], masked]
        end = match.end()
    return "".join(pieces) + text[end:]


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _mask_id(found: str) -> str:
    number = "".join(char for char in found if char.isdigit() or char in "Xx").upper()
    return mask_id_number(number)


def _mask_mobile(found: str) -> str:
    return mask_phone(parse_mobile(found) or _digits(found)[-11:])


def _mask_spoken_zh(found: str) -> str | None:
    if not any(char in _SPOKEN_ZH for char in found):
        return None  # digits and separators only: left to the patterns above (dates stay readable)
    digits = "".join(_SPOKEN_ZH.get(char, char) for char in found if char in _SPOKEN_ZH or char.isdigit())
    if found.rstrip()[-1] in "Xx叉":
        return mask_id_number(digits + "X")
    return _mask_number(digits)


def _mask_spoken_en(found: str) -> str:
    return _mask_number("".join(_SPOKEN_EN[word.lower()] for word in re.findall(r"[A-Za-z]+", found)))


def _mask_number(digits: str) -> str:
    """Mask a number of seven or more digits: an ID number or phone number as such, others like phones."""
    if len(digits) in (15, 18):
        return mask_id_number(digits)
    return mask_phone(parse_mobile(digits) or digits)


def _mask_identifier_digits(digits: str) -> str | None:
    """Mask digits that make an ID number or a mobile number (+86 / 0086 too); None for other numbers."""
    mobile = parse_mobile(digits)
    if mobile is not None:
        return mask_phone(mobile)
    return mask_id_number(digits) if len(digits) in (15, 18) else None


def _mask_grouped_identifier(found: str) -> str | None:
    """Digits or Chinese numerals with single separators ("3301 0619 4901 0100 28", "幺三八…")."""
    digits = "".join(_SPOKEN_ZH.get(char, char) for char in found if char in _SPOKEN_ZH or char.isdigit())
    if found[-1] not in "Xx叉":
        return _mask_identifier_digits(digits)
    if len(digits) == 17:
        return mask_id_number(digits + "X")
    masked = _mask_identifier_digits(digits)  # a letter after some other number: it stays
    return None if masked is None else masked + found[len(found.rstrip("Xx叉").rstrip()):]


def _mask_spoken_en_identifier(found: str) -> str | None:
    words = re.findall(r"[A-Za-z]+", found)
    return _mask_identifier_digits("".join(_SPOKEN_EN[word.lower()] for word in words))


def _known_name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Patterns for the conversation's names (and their parts), longest first."""
    found: dict[str, bool] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if len(name) < 2:
            continue
        found[name] = True
        words = name.split(" ")
        if len(words) > 1:
            found.update({word: False for word in words if len(word) >= 3 and word not in found})
        elif re.fullmatch(f"[{_HAN}]{{3,}}", name):
            found.setdefault(name[1:], False)  # the given name alone ("秀英")
    patterns = []
    for name in sorted(found, key=len, reverse=True):
        body = re.escape(name).replace(r"\ ", r"\s+")
        if re.search("[A-Za-z]", name):
            flags = re.IGNORECASE if found[name] else 0
            patterns.append(re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])", flags))
        else:
            patterns.append(re.compile(body))
    return patterns


def _name_words(found: str) -> str:
    """The words of a name read after an English lead-in, up to the first word that is no name."""
    words = []
    for word in found.split():
        if word.lower() in _EN_NOT_NAME:
            break
        words.append(word)
    return " ".join(words)


def _mask_names_after_lead_ins(text: str) -> str:
    def zh(match: re.Match[str], surname_needed: bool) -> str:
        name = match.group("name")
        compound = name[:2] in _COMPOUND_SURNAMES
        if surname_needed and not compound and name[0] not in _COMMON_SURNAMES:
            return match.group()
        name = name[:4] if compound else name[:3]
        start = match.start("name") - match.start()
        return match.group()[:start] + mask_name(name) + match.group()[start + len(name):]

    def en(match: re.Match[str]) -> str:
        name = _name_words(match.group("name"))
        if not name:
            return match.group()
        start = match.start("name") - match.start()
        return match.group()[:start] + mask_name(name) + match.group()[start + len(name):]

    text = _ZH_NAME_AFTER_LEAD_IN.sub(lambda m: zh(m, False), text)
    text = _ZH_NAME_AFTER_I_AM.sub(lambda m: zh(m, True), text)
    text = _EN_STRONG.sub(en, text)
    return _EN_WEAK.sub(en, text)


def mask_address(address: str) -> str:
    """Mask an address: the first three characters (the city, usually) stay."""
    return address[:3] + "*" * (len(address) - 3)


def mask_text(text: str, names: Iterable[str] = (), addresses: Iterable[str] = ()) -> str:
    """Mask the personal data in a message.

    Args:
        text: What a citizen or the assistant said.
        names: Names known in the conversation (form answers such as the
            applicant's name); each is masked wherever it occurs, as are
            names said after lead-ins ("我叫…", "my name is…").
        addresses: Addresses known in the conversation (form answers); each
            is masked wherever it occurs.

    Returns:
        The text with ID numbers, phone numbers, long numbers and names
        masked; everything else as it was.

    """
    if not text:
        return text
    for address in sorted({" ".join(str(a).split()) for a in addresses}, key=len, reverse=True):
        if len(address) >= 4:
            text = text.replace(address, mask_address(address))
    for pattern in _known_name_patterns(names):
        text = pattern.sub(lambda match: mask_name(" ".join(match.group().split())), text)
    text = _mask_names_after_lead_ins(text)
    text = _substitute(text, _MOBILE, _mask_mobile)
    text = _substitute(text, _ID_NUMBER, _mask_id)
    text = _substitute(text, _LONG_NUMBER, _mask_number)
    text = _substitute(text, _SPOKEN_ZH_NUMBER, _mask_spoken_zh)
    return _substitute(text, _SPOKEN_EN_NUMBER, _mask_spoken_en)


def mask_identifiers(text: str) -> str:
    """Mask the ID numbers and mainland mobile numbers in any text, without knowing the conversation.

    For log lines and published events: ID numbers (18 characters, 17 digits
    and X, the old 15 digits) and mobile numbers (with +86 or 0086) are masked
    however they are written (full-width, grouped by spaces or dashes, digits
    spelt out in Chinese or English numerals); every other number (times,
    counts, fractions, identifiers of events) stays.

    Args:
        text: Any text.

    Returns:
        The text with ``330106********0028`` for ID numbers and ``138****5678``
        for mobile numbers.

    """
    if not text:
        return text
    text = _substitute(text, _MOBILE, _mask_mobile, skip_fractions=True)
    text = _substitute(text, _ID_NUMBER, _mask_id, skip_fractions=True)
    text = _substitute(text, _SPOKEN_ZH_NUMBER, _mask_grouped_identifier, skip_fractions=True)
    return _substitute(text, _SPOKEN_EN_NUMBER, _mask_spoken_en_identifier)
