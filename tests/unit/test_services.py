from pathlib import Path
from typing import Literal

import pytest
import yaml

from bot.services import catalogue, combined_lexicon, find_services, lexicon, resolve_service

SPEC_CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "services.yml"
SERVICE_IDS = {
    "id_card", "hukou", "residence_permit", "social_security_card", "pension", "medical_insurance",
    "housing_fund", "driving_license", "exit_entry", "elderly_benefits", "marriage_registration",
    "real_estate",
}


def test_catalogue_has_the_twelve_services_with_both_names() -> None:
    services = catalogue()
    assert SERVICE_IDS <= set(services)
    for service in services.values():
        assert service.name("zh") and service.name("en")


@pytest.mark.skipif(not SPEC_CATALOGUE.is_file(), reason="product contracts not checked out beside the repo")
def test_catalogue_ids_match_the_contract() -> None:
    spec = yaml.safe_load(SPEC_CATALOGUE.read_text(encoding="utf-8"))["services"]
    assert {s["id"] for s in spec} <= set(catalogue())


@pytest.mark.parametrize("language", ["zh", "en"])
def test_lexicon_covers_every_service_and_only_catalogue_ids(language: Literal["zh", "en"]) -> None:
    ids = set(lexicon(language).values())
    assert ids == SERVICE_IDS


def test_no_term_names_two_services() -> None:
    seen: dict[str, str] = {}
    for language in ("zh", "en"):
        raw = yaml.safe_load((Path("bot/lexicon") / f"{language}.yml").read_text(encoding="utf-8"))
        for service_id, terms in raw.items():
            for term in terms:
                key = str(term).lower()
                assert seen.setdefault(key, service_id) == service_id, key


@pytest.mark.parametrize(
    ("phrase", "service_id"),
    [
        ("身份证", "id_card"),
        ("Driving Licence", "driving_license"),
        ("社报卡", "social_security_card"),
        ("住房公机金", "housing_fund"),  # homophone: 机/积
        ("pasport", "exit_entry"),
        ("天气", None),
        ("", None),
    ],
)
def test_resolve_service(phrase: str, service_id: str | None) -> None:
    assert resolve_service(phrase) == service_id


@pytest.mark.parametrize(
    ("text", "service_ids"),
    [
        ("我的身份证丢了怎么办", ["id_card"]),
        ("how do I renew my driving licence", ["driving_license"]),
        ("我爸的养老金资格认证在哪里做", ["pension"]),
        ("do i need my hukou book for a social security card", ["social_security_card"]),
        ("今天天气怎么样", []),
        ("tell me a joke", []),
        ("hukouxyz", []),
        ("sfz丢了咋办", ["id_card"]),  # pinyin initials
        ("move my yi bao to a new city", ["medical_insurance"]),  # spaced pinyin
        ("need a two way permit", ["exit_entry"]),  # "two-way permit"
        ("hi how are you", []),
        ("退休了公积金能全部取出来吗", ["housing_fund"]),  # "retired" describes the person
        ("办护照要带户口本吗", ["exit_entry"]),  # the hukou book is a document to bring
        ("我的户口本丢了", ["hukou"]),  # alone, a context term names its service
        ("my gang ao tong xing zheng expired", ["exit_entry"]),  # five typed syllables
        ("no thanks", []),
    ],
)
def test_find_services(text: str, service_ids: list[str]) -> None:
    assert [m.service_id for m in find_services(text)] == service_ids


def test_matches_point_at_the_phrase() -> None:
    text = "我想补办社保卡"
    (match,) = find_services(text)
    assert text[match.start:match.end] == "社保卡"
    assert match.how == "exact"


def test_every_term_resolves_to_itself() -> None:
    for term, service_id in combined_lexicon().items():
        assert resolve_service(term) == service_id


def test_short_homophones_only_when_lenient() -> None:
    assert find_services("假照换证要带什么") == []
    assert [m.service_id for m in find_services("假照换证要带什么", lenient=True)] == ["driving_license"]
