"""The service catalogue and the words citizens use for each service.

The lexicon (``bot/lexicon/zh.yml`` and ``en.yml``) maps every catalogue id to
the names, synonyms, nicknames, typos and homophones people use. It is the one
source for resolving a phrase to a service id: exact words first, then (for
Chinese) words that sound the same, then (for English) near spellings.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import yaml

from bot.language import Language

LEXICON_DIR = Path(__file__).parent / "lexicon"
CATALOGUE_FILE = Path(__file__).parent / "catalogue.yml"

# Pinyin initials and finals that many speakers (and speech recognisers) mix up:
# zh/z, ch/c, sh/s, n/l, and front/back nasal finals.
_FUZZY_PINYIN = [(re.compile(r"^zh"), "z"), (re.compile(r"^ch"), "c"), (re.compile(r"^sh"), "s"),
                 (re.compile(r"^l"), "n"), (re.compile(r"ng$"), "n")]
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
_EN_WORD = re.compile(r"[a-z0-9']+")
_LATIN_TERM = re.compile(r"^[a-z0-9' -]+$")
_SPELLING_RATIO = 0.86


@dataclass(frozen=True)
class Service:
    """One public service of the catalogue."""

    id: str
    name_zh: str
    name_en: str

    def name(self, language: Language) -> str:
        """Return the service's name in a language."""
        return self.name_en if language == "en" else self.name_zh


@dataclass(frozen=True)
class ServiceMatch:
    """A service named in a text: which one, where, and how it was found."""

    service_id: str
    start: int
    end: int
    how: str  # "exact", "sound" or "spelling"


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Service]:
    """Return the catalogue's services by id, in catalogue order."""
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))["services"]
    return {item["id"]: Service(item["id"], item["zh"], item["en"]) for item in raw}


@functools.lru_cache(maxsize=2)
def lexicon(language: Language) -> dict[str, str]:
    """Return the lexicon of a language as lower-cased term -> service id."""
    raw = yaml.safe_load((LEXICON_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    terms: dict[str, str] = {}
    for service_id, words in raw.items():
        for word in words:
            terms[str(word).lower()] = service_id
    return terms


@functools.lru_cache(maxsize=1)
def context_terms() -> frozenset[str]:
    """Terms that name a service only when no other service is named (``lexicon/context.yml``)."""
    raw = yaml.safe_load((LEXICON_DIR / "context.yml").read_text(encoding="utf-8")) or []
    return frozenset(_normalised(str(term)) for term in raw)


def is_context_term(phrase: str) -> bool:
    """Whether a phrase is a context term ("退休", "户口本")."""
    return _normalised(phrase.strip()) in context_terms()


def main_services(phrases_and_ids: list[tuple[str, str]]) -> list[str]:
    """Return the services a message is about, given the phrases naming services in it.

    Context terms count only when nothing else names a service: in
    "退休了公积金能取吗" the housing fund is meant, not the pension.

    Args:
        phrases_and_ids: Each service phrase of the message with its id, in order.

    Returns:
        The service ids, in order, without repeats.
    """
    main = [sid for phrase, sid in phrases_and_ids if not is_context_term(phrase)]
    chosen = main or [sid for _, sid in phrases_and_ids]
    return list(dict.fromkeys(chosen))


@functools.lru_cache(maxsize=1)
def combined_lexicon() -> dict[str, str]:
    """Return the terms of both languages (people mix them) -> service id."""
    return {**lexicon("en"), **lexicon("zh")}


def _pinyin(text: str) -> list[str]:
    from pypinyin import lazy_pinyin  # imported lazily: its dictionaries are large

    # One syllable per character: callers pass runs of Chinese characters only.
    syllables = lazy_pinyin(text)
    return [_fuzz(s) for s in syllables]


def _fuzz(syllable: str) -> str:
    for pattern, replacement in _FUZZY_PINYIN:
        syllable = pattern.sub(replacement, syllable)
    return syllable


@functools.lru_cache(maxsize=2)
def _sound_index(min_chars: int) -> dict[tuple[str, ...], str]:
    """Fuzzy pinyin of Chinese terms of at least ``min_chars`` characters -> service id.

    Terms that sound alike but name different services are left out.
    """
    index: dict[tuple[str, ...], str] = {}
    clashes: set[tuple[str, ...]] = set()
    for term, service_id in combined_lexicon().items():
        if len(term) >= min_chars and _CJK_ONLY.match(term):
            key = tuple(_pinyin(term))
            if index.setdefault(key, service_id) != service_id:
                clashes.add(key)
    return {key: sid for key, sid in index.items() if key not in clashes}


@functools.lru_cache(maxsize=1)
def _typed_pinyin_index() -> dict[str, str]:
    """How people type Chinese terms in Latin letters -> service id.

    Full pinyin without tones ("shenfenzheng", "yi bao" is matched as "yibao")
    for terms of two or more characters, and the initials ("sfz", "gjj") of
    terms of three or more. Keys shared by two services are left out.
    """
    from pypinyin import lazy_pinyin

    index: dict[str, str] = {}
    clashes: set[str] = set()
    for term, service_id in combined_lexicon().items():
        if len(term) < 2 or not _CJK_ONLY.match(term):
            continue
        syllables = lazy_pinyin(term)
        keys = ["".join(syllables)] + (["".join(s[0] for s in syllables)] if len(term) >= 3 else [])
        for key in keys:
            if index.setdefault(key, service_id) != service_id:
                clashes.add(key)
    return {key: sid for key, sid in index.items() if key not in clashes}


def _normalised(text: str) -> str:
    """Lower-case, hyphens and underscores as spaces (same length, so offsets hold)."""
    return text.lower().replace("-", " ").replace("_", " ")


@functools.lru_cache(maxsize=1)
def _exact_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regular expression for every term, longest first; Latin terms as whole words."""
    terms = {_normalised(term): sid for term, sid in combined_lexicon().items()}
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        pattern = re.escape(term)
        if re.match(r"[a-z0-9]", term):
            pattern = rf"(?<![a-z0-9]){pattern}"
        if re.search(r"[a-z0-9]$", term):
            pattern = rf"{pattern}(?![a-z0-9])"
        alternatives.append(pattern)
    return re.compile("|".join(alternatives)), terms


def _exact_matches(text: str) -> list[ServiceMatch]:
    """Terms as written (any case; hyphens as spaces), the longest term at each place."""
    pattern, terms = _exact_pattern()
    return [ServiceMatch(terms[hit.group()], hit.start(), hit.end(), "exact")
            for hit in pattern.finditer(_normalised(text))]


def _sound_matches(text: str, min_chars: int) -> list[ServiceMatch]:
    """Chinese words that sound like a term ("社报卡", "住房公机金")."""
    cjk_runs = [(m.start(), m.group()) for m in re.finditer(r"[\u3400-\u9fff]+", text)]
    found: list[ServiceMatch] = []
    index = _sound_index(min_chars)
    lengths = sorted({len(key) for key in index}, reverse=True)
    for offset, run in cjk_runs:
        syllables = _pinyin(run)
        i = 0
        while i < len(syllables):
            for size in lengths:
                key = tuple(syllables[i:i + size])
                if len(key) == size and key in index:
                    found.append(ServiceMatch(index[key], offset + i, offset + i + size, "sound"))
                    i += size - 1
                    break
            i += 1
    return found


def _typed_pinyin_matches(text: str) -> list[ServiceMatch]:
    """Terms typed as pinyin: one to six consecutive Latin words joined."""
    words = [(m.start(), m.end(), m.group()) for m in _EN_WORD.finditer(text.lower())]
    index = _typed_pinyin_index()
    found: list[ServiceMatch] = []
    i = 0
    while i < len(words):
        for size in (6, 5, 4, 3, 2, 1):
            window = words[i:i + size]
            key = "".join(w for _, _, w in window)
            if len(window) == size and len(key) >= 3 and key in index:
                found.append(ServiceMatch(index[key], window[0][0], window[-1][1], "sound"))
                i += size - 1
                break
        i += 1
    return found


@functools.lru_cache(maxsize=1)
def _spelling_matchers() -> list[tuple[difflib.SequenceMatcher[str], int, str]]:
    """A matcher for each Latin term of six or more letters, with its word count and service."""
    matchers = []
    for term, service_id in lexicon("en").items():
        if len(term) >= 6 and _LATIN_TERM.match(term):
            matchers.append((difflib.SequenceMatcher(None, b=term), len(term.split()), service_id))
    return matchers


def _spelling_matches(text: str) -> list[ServiceMatch]:
    """English terms misspelt by at most a letter or two ("pasport", "pention")."""
    words = [(m.start(), m.end(), m.group()) for m in _EN_WORD.finditer(text.lower())]
    found: list[ServiceMatch] = []
    for matcher, size, service_id in _spelling_matchers():
        for i in range(len(words) - size + 1):
            window = words[i:i + size]
            matcher.set_seq1(" ".join(w for _, _, w in window))
            if (matcher.real_quick_ratio() >= _SPELLING_RATIO and matcher.quick_ratio() >= _SPELLING_RATIO
                    and matcher.ratio() >= _SPELLING_RATIO):
                found.append(ServiceMatch(service_id, window[0][0], window[-1][1], "spelling"))
    return found


def find_services(text: str, fuzzy: bool = True, lenient: bool = False) -> list[ServiceMatch]:
    """Find the catalogue services named in a text, in order of appearance.

    Args:
        text: Any user message, Chinese, English or mixed.
        fuzzy: When no exact term is found, also accept terms typed as pinyin,
            Chinese homophones (terms of three or more characters) and English
            misspellings.
        lenient: Also accept homophones of two-character terms ("假照" for
            驾照); only for messages already known to be about a service, as
            many everyday words sound like a short term.

    Returns:
        The matches, earliest first; an empty list when no service is named.
        Matches of context terms are left out when another service is named.

    """
    found = _exact_matches(text)
    if not found and fuzzy:
        found = (_typed_pinyin_matches(text) or _sound_matches(text, min_chars=3)
                 or _spelling_matches(text))
    if not found and lenient:
        found = _sound_matches(text, min_chars=2)
    found.sort(key=lambda m: m.start)
    keep = set(main_services([(text[m.start:m.end], m.service_id) for m in found]))
    return [m for m in found if m.service_id in keep]


def resolve_service(phrase: str) -> Optional[str]:
    """Return the catalogue id a phrase names, or None.

    Args:
        phrase: A span such as "身份证", "社报卡" or "Drivers Licence".

    """
    key = phrase.strip().lower()
    if key in combined_lexicon():
        return combined_lexicon()[key]
    matches = find_services(phrase)
    ids = {m.service_id for m in matches}
    return matches[0].service_id if len(ids) == 1 else None


def all_terms(language: Language) -> Iterable[str]:
    """Return every lexicon term of a language (for tokeniser dictionaries)."""
    return lexicon(language).keys()
