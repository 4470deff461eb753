"""Operators' training examples: written in Rasa's format, checked, refused, undone exactly."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

from bot.evaluation import HELD_OUT_DIR
from bot.operators.annotations import AnnotationError, Annotations, examples_of
from bot.services import resolve_service
from bot.settings import PROJECT_DIR, Settings


def copy_assistant(folder: Path) -> Path:
    """The project's config, domain and training data in a scratch folder (the real data is never written)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy2(PROJECT_DIR / name, folder / name)
    shutil.copytree(PROJECT_DIR / "data", folder / "data")
    return folder


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def assistant_dir(tmp_path: Path) -> Path:
    return copy_assistant(tmp_path / "assistant")


@pytest.fixture
def store(tmp_path: Path, assistant_dir: Path) -> Annotations:
    return Annotations(f"sqlite:///{tmp_path / 'operators.db'}", assistant_dir, validate=False,
                       lock_file=tmp_path / "annotations.lock")


def read_back(path: Path, text: str) -> tuple[str, list[dict[str, object]]]:
    """The intent and entities Rasa's own reader finds for a text in a file."""
    from rasa.shared.nlu.training_data.loading import load_data

    [message] = [m for m in load_data(str(path)).intent_examples if m.get("text") == text]
    return message.get("intent"), message.get("entities") or []


def test_intents_and_services_to_choose_from(store: Annotations) -> None:
    intents = store.intents()
    assert "ask_service" in intents and "out_of_scope" in intents and "nlu_fallback" not in intents
    services = store.services()
    assert ("id_card", "居民身份证", "resident identity card") in services and len(services) == 12
    suggested = store.suggest_service_words("我奶奶的社报卡丢了去哪补", "social_security_card", "zh")
    assert suggested == "社报卡"
    assert store.suggest_service_words("how do I renew my Drivers Licence", "driving_license",
                                             "en") == "Drivers Licence"
    assert store.suggest_service_words("我奶奶的社保卡丢了", "id_card", "zh") is None


def test_an_example_with_a_service_reads_back_through_rasa(store: Annotations,
                                                           assistant_dir: Path) -> None:
    added = store.add("我奶奶的社保卡丢了去哪补呀", "ask_service", "zh", "小王",
                            service="social_security_card")
    assert (added.file, added.service_words, added.undone) == ("data/nlu/zh/services.yml", "社保卡", False)
    path = assistant_dir / added.file
    assert path.read_text(encoding="utf-8").endswith("    - 我奶奶的[社保卡](service)丢了去哪补呀\n")
    intent, entities = read_back(path, "我奶奶的社保卡丢了去哪补呀")
    assert intent == "ask_service"
    found = [(e["entity"], e["start"], e["end"], e["value"]) for e in entities]
    assert found == [("service", 4, 7, "社保卡")]
    assert resolve_service(str(entities[0]["value"])) == "social_security_card"  # as the pipeline resolves it


def test_english_examples_and_given_service_words(store: Annotations, assistant_dir: Path) -> None:
    added = store.add("  could my son renew my drivers licence for me?  ", "start_application", "en",
                            "小王", service="driving_license", service_words="DRIVERS LICENCE")
    assert added.text == "could my son renew my drivers licence for me?"
    assert added.service_words == "drivers licence" and added.file == "data/nlu/en/applications.yml"
    intent, entities = read_back(assistant_dir / added.file, added.text)
    assert intent == "start_application" and [e["value"] for e in entities] == ["drivers licence"]
    plain = store.add("what other things ought my mum to know", "more_info", "en", "小王")
    intent, entities = read_back(assistant_dir / plain.file, plain.text)
    assert intent == "more_info" and entities == []


def test_undo_restores_the_file_byte_for_byte(store: Annotations, assistant_dir: Path) -> None:
    before = fingerprint(assistant_dir)
    first = store.add("帮我查查我那个社保卡办到哪一步了", "check_status", "zh", "小王",
                            service="social_security_card")
    second = store.add("帮我看看那个申请进度咋样了呀", "check_status", "zh", "小李")
    assert first.file == second.file and fingerprint(assistant_dir) != before
    assert store.undo(first.id, "小王").undone
    assert store.undo(second.id, "小王").undone
    assert fingerprint(assistant_dir) == before
    with pytest.raises(AnnotationError) as again:
        store.undo(first.id, "小王")
    assert again.value.code == "already_undone"
    with pytest.raises(AnnotationError) as missing:
        store.undo(999, "小王")
    assert missing.value.code == "not_found"


def test_an_intent_new_to_a_language_goes_to_annotations_yml(store: Annotations,
                                                              assistant_dir: Path) -> None:
    (assistant_dir / "data" / "nlu" / "en" / "elderly.yml").unlink()
    before = fingerprint(assistant_dir)
    first = store.add("please carry on with my form from before", "resume_application", "en", "小王")
    second = store.add("bigger letters please", "elderly_mode", "en", "小王")
    path = assistant_dir / "data" / "nlu" / "en" / "annotations.yml"
    assert first.file == second.file == "data/nlu/en/annotations.yml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["version"] == "3.1"
    assert read_back(path, "bigger letters please")[0] == "elderly_mode"
    assert examples_of(path) == [("resume_application", "please carry on with my form from before"),
                                 ("elderly_mode", "bigger letters please")]
    store.undo(first.id, "小王")
    assert examples_of(path) == [("elderly_mode", "bigger letters please")]
    store.undo(second.id, "小王")
    assert not path.exists() and fingerprint(assistant_dir) == before


@pytest.mark.parametrize("text", ["你好呀", "  你好呀！ ", "ＨＥＬＬＯ", "Hello!!"])
def test_duplicates_of_training_examples_are_refused(store: Annotations, text: str) -> None:
    with pytest.raises(AnnotationError) as refused:
        store.add(text, "greet", "en", "小王")
    assert refused.value.code == "duplicate" and "basics.yml" in str(refused.value)


def test_an_annotated_example_is_a_duplicate_too(store: Annotations) -> None:
    store.add("我奶奶的社保卡丢了去哪补呀", "ask_service", "zh", "小王", service="social_security_card")
    with pytest.raises(AnnotationError) as refused:
        store.add("我奶奶的社保卡丢了，去哪补呀？", "ask_service", "zh", "小王")
    assert refused.value.code == "duplicate"


def test_the_held_out_test_set_is_never_trained_on(store: Annotations) -> None:
    [(intent, example), *_] = examples_of(HELD_OUT_DIR / "final_zh.yml")
    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", example)
    with pytest.raises(AnnotationError) as refused:
        store.add(text, intent, "zh", "小王")
    assert refused.value.code == "held_out"


@pytest.mark.parametrize(("text", "intent", "language", "service", "words", "code"), [
    ("帮我问问这个事情怎么弄呀", "no_such_intent", "zh", None, None, "unknown_intent"),
    ("帮我问问这个事情怎么弄呀", "help", "fr", None, None, "unknown_language"),
    ("帮我问问护照的事情怎么弄呀", "ask_service", "zh", "space_travel", None, "unknown_service"),
    ("帮我问问这个事情怎么弄呀", "ask_service", "zh", "passport_x", None, "unknown_service"),
    ("帮我问问这个事情怎么弄呀", "ask_service", "zh", "id_card", None, "service_not_in_text"),
    ("帮我问问护照的事情怎么弄呀", "ask_service", "zh", "exit_entry", "身份证", "service_not_in_text"),
    ("帮我问问护照的事情怎么弄呀", "ask_service", "zh", "id_card", "护照", "wrong_service_words"),
    ("where is my IDEA card", "ask_service", "en", "id_card", "ID", "service_not_in_text"),
    ("帮我问问护照的事情怎么弄呀", "out_of_scope", "zh", "exit_entry", None, "invalid_data"),
    ("今天天气怎么样，护照办了没", "out_of_scope", "zh", None, None, "invalid_data"),
    ("   ", "greet", "zh", None, None, "empty"),
    ("帮" * 501, "help", "zh", None, None, "too_long"),
    ("😀😀😀", "greet", "zh", None, None, "invalid_data"),
    ("/affirm", "affirm", "en", None, None, "invalid_data"),
    ("what does [this] mean", "help", "en", None, None, "invalid_data"),
])
def test_bad_annotations_are_refused_and_nothing_is_written(
        store: Annotations, assistant_dir: Path, text: str, intent: str, language: str,
        service: str | None, words: str | None, code: str) -> None:
    before = fingerprint(assistant_dir)
    with pytest.raises(AnnotationError) as refused:
        store.add(text, intent, language, "小王", service=service, service_words=words)
    assert refused.value.code == code and refused.value.message == str(refused.value)
    assert fingerprint(assistant_dir) == before and store.list() == []


def test_changes_are_logged_and_listed_newest_first(store: Annotations) -> None:
    first = store.add("帮我看看那个申请进度咋样了呀", "check_status", "zh", "小王")
    second = store.add("what other things ought my mum to know", "more_info", "en", "小李")
    store.undo(first.id, "小李")
    assert [(a.id, a.undone) for a in store.list()] == [(second.id, False), (first.id, True)]
    entries = store.accounts.audit_log()
    assert [(e.who, e.action) for e in entries] == [("小李", "undo_annotation"), ("小李", "annotate"),
                                                    ("小王", "annotate")]
    assert entries[2].details["file"] == "data/nlu/zh/applications.yml"


def test_an_example_edited_away_by_hand_cannot_be_undone(store: Annotations,
                                                          assistant_dir: Path) -> None:
    added = store.add("帮我看看那个申请进度咋样了呀", "check_status", "zh", "小王")
    path = assistant_dir / added.file
    path.write_text(path.read_text(encoding="utf-8").replace("    - 帮我看看那个申请进度咋样了呀\n", ""),
                    encoding="utf-8")
    with pytest.raises(AnnotationError) as refused:
        store.undo(added.id, "小王")
    assert refused.value.code == "not_found"


def test_concurrent_annotations_are_all_kept(store: Annotations, assistant_dir: Path,
                                             tmp_path: Path) -> None:
    other = Annotations(f"sqlite:///{tmp_path / 'operators.db'}", assistant_dir, validate=False,
                        lock_file=tmp_path / "annotations.lock")
    texts = [f"麻烦帮我查第{n}号申请走到哪了" for n in "一二三四五六"]
    workers = [threading.Thread(target=(store if i % 2 else other).add,
                                args=(text, "check_status", "zh", "小王")) for i, text in enumerate(texts)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    written = {example for _, example in examples_of(assistant_dir / "data/nlu/zh/applications.yml")}
    assert set(texts) <= written and len(store.list()) == 6


def test_from_settings(tmp_path: Path, assistant_dir: Path) -> None:
    store = Annotations.from_settings(Settings(data_dir=tmp_path / "var", assistant_dir=assistant_dir))
    assert store.assistant_dir == assistant_dir.resolve() and store.validate
    assert (tmp_path / "var" / "operators.db").is_file()


def test_rasa_data_validate_checks_every_change(tmp_path: Path, assistant_dir: Path) -> None:
    """The real check (10-20 s a run): a broken copy refuses, the repaired copy accepts."""
    domain = assistant_dir / "domain.yml"
    original = domain.read_text(encoding="utf-8")
    domain.write_text(original.replace("  - resume_application\n", "", 1), encoding="utf-8")
    store = Annotations(f"sqlite:///{tmp_path / 'operators.db'}", assistant_dir,
                              lock_file=tmp_path / "annotations.lock")
    before = fingerprint(assistant_dir)
    with pytest.raises(AnnotationError) as refused:
        store.add("帮我看看那个申请进度咋样了呀", "check_status", "zh", "小王")
    assert refused.value.code == "invalid_data" and "resume_application" in str(refused.value)
    assert fingerprint(assistant_dir) == before and store.list() == []
    domain.write_text(original, encoding="utf-8")
    added = store.add("帮我看看那个申请进度咋样了呀", "check_status", "zh", "小王")
    assert read_back(assistant_dir / added.file, added.text)[0] == "check_status"
