"""Check and tidy what citizens type or say while filling in an application form.

Speech recognisers write numbers as digits, as Chinese numerals ("幺三八") or
as words, and people add lead-ins ("我的手机号是…", "my name is…"). The
functions here turn such answers into clean values, or return None (or a
reason code) so the assistant can ask again kindly. They are pure: no I/O,
and the current date is passed in wherever an answer depends on it.

- ``text`` — tidying answers, dropping lead-ins ("我的…是") and tails ("吧");
- ``numbers`` — digits read out one by one (:func:`normalise_digits`) and
  small numbers in Chinese or English words;
- ``identity`` — mobile numbers, resident ID numbers (GB 11643), names and
  application numbers;
- ``dates`` — days said naturally (:func:`parse_date`);
- ``times`` — times of day said naturally (:func:`parse_time_of_day`);
- ``readback`` — numbers grouped for reading back, or masked for logs.
"""

from bot.validators.dates import AFTERNOON, MORNING, SpokenDate, parse_date
from bot.validators.identity import (
    APPLICATION_NO_LENGTH,
    FEMALE,
    ID_NUMBER_PROBLEMS,
    ID_PROBLEM_BIRTH_DATE,
    ID_PROBLEM_CHARACTERS,
    ID_PROBLEM_CHECK_DIGIT,
    ID_PROBLEM_LENGTH,
    MALE,
    MAX_DOTTED_NAME_CHARS,
    MAX_HAN_NAME_CHARS,
    MAX_LATIN_NAME_CHARS,
    ResidentId,
    id_birth_date,
    id_check_character,
    id_number_problem,
    parse_application_no,
    parse_id_number,
    parse_mobile,
    parse_name,
)
from bot.validators.numbers import normalise_digits
from bot.validators.readback import (
    APPLICATION_NO_GROUPS,
    ID_NUMBER_GROUPS,
    PHONE_GROUPS,
    group_digits,
    mask_id_number,
    mask_phone,
)
from bot.validators.times import parse_time_of_day

__all__ = [
    "AFTERNOON",
    "APPLICATION_NO_GROUPS",
    "APPLICATION_NO_LENGTH",
    "FEMALE",
    "ID_NUMBER_GROUPS",
    "ID_NUMBER_PROBLEMS",
    "ID_PROBLEM_BIRTH_DATE",
    "ID_PROBLEM_CHARACTERS",
    "ID_PROBLEM_CHECK_DIGIT",
    "ID_PROBLEM_LENGTH",
    "MALE",
    "MAX_DOTTED_NAME_CHARS",
    "MAX_HAN_NAME_CHARS",
    "MAX_LATIN_NAME_CHARS",
    "MORNING",
    "PHONE_GROUPS",
    "ResidentId",
    "SpokenDate",
    "group_digits",
    "id_birth_date",
    "id_check_character",
    "id_number_problem",
    "mask_id_number",
    "mask_phone",
    "normalise_digits",
    "parse_application_no",
    "parse_date",
    "parse_id_number",
    "parse_mobile",
    "parse_name",
    "parse_time_of_day",
]
