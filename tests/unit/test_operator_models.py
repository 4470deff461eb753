"""Model operations for operators: training progress and lock, scoring, comparison, deploy, rollback, CLI."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import assistant
from bot.operators import models as models_module
from bot.operators.confusion import confusion_counts, write_confusion_png
from bot.operators.model_commands import add_model_commands, format_cross_validation, run_model_command
from bot.operators.models import (
    DeployRefused,
    Evaluation,
    ModelError,
    ModelRegistry,
    Scores,
    build_evaluation,
    compare_evaluations,
    estimate_progress,
    held_out_digest,
    intent_scores,
    last_deployed_model,
    log_lines,
    read_training_log,
    service_scores,
    summarise_cross_validation,
    training_plan,
    weighted_f1,
)
from bot.settings import PROJECT_DIR, Settings
from bot.training import FINGERPRINT_FILE
from tests.unit.rasa_stand_in import RasaStandIn

TOKEN = "test-token"
OLD, CURRENT, CANDIDATE = ("20260101-100000-old-model.tar.gz", "20260201-100000-current-model.tar.gz",
                           "20260301-100000-candidate-model.tar.gz")
ESC = "\x1b"

# --- a recorded `rasa train` log (this assistant's config), shortened -----------------------------

LOG_START = """\
2026-11-22 19:58:14 INFO     rasa.cli.train  - Started validating domain and training data...
2026-11-22 19:58:20 INFO     rasa.validator  - Validating intents...
Processed story blocks:   0%|          | 0/6 [00:00<?, ?it/s]\rProcessed story blocks: 100%|██████████| 6/6 \
[00:00<00:00, 815.22it/s, # trackers=1]
2026-11-22 19:58:20 INFO     rasa.validator  - No story structure conflicts found.
"""
HOOKS = "INFO     rasa.engine.training.hooks  - "


def hook(clock: str, what: str, component: str) -> str:
    verb = "Starting to train" if what == "start" else "Finished training"
    return f"2026-11-22 {clock} {HOOKS}{verb} component '{component}'.\n"


LOG_POLICIES = (
    hook("19:58:29", "start", "MemoizationPolicy") + hook("19:58:32", "end", "MemoizationPolicy")
    + hook("19:58:32", "start", "RulePolicy") + hook("19:58:35", "end", "RulePolicy")
    + hook("19:58:35", "start", "TEDPolicy")
    + "Epochs:   0%|          | 0/40 [00:00<?, ?it/s]\rEpochs:  20%|██        | 8/40 [00:18<00:28,  "
      "1.13it/s, t_loss=4.45, loss=4.27, acc=0.206]\rEpochs: 100%|██████████| 40/40 [00:32<00:00,  "
      "1.23it/s, t_loss=4.05, loss=3.84, acc=0.48]\n"
    + hook("19:59:14", "end", "TEDPolicy")
    + hook("19:59:16", "start", "LexicalSyntacticFeaturizer")
    + hook("19:59:16", "end", "LexicalSyntacticFeaturizer")
    + hook("19:59:17", "start", "CountVectorsFeaturizer")
    + "2026-11-22 19:59:17 INFO     rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer  - "
      "3261 vocabulary items were created for text attribute.\n"
    + hook("19:59:17", "end", "CountVectorsFeaturizer")
    + hook("19:59:19", "start", "CountVectorsFeaturizer") + hook("19:59:19", "end", "CountVectorsFeaturizer")
    + hook("19:59:22", "start", "DIETClassifier"))
LOG_DIET_31 = ("Epochs:   0%|          | 0/60 [00:00<?, ?it/s]\rEpochs:  50%|█████     | 30/60 "
               "[01:38<00:52, 1.73s/it, t_loss=7.18, i_acc=0.997, e_f1=0.897]\rEpochs:  52%|█████▏    | "
               "31/60 [01:40<00:50,  1.73s/it, t_loss=7.21, i_acc=0.998, e_f1=0.909]")
LOG_DIET_END = ("\rEpochs: 100%|██████████| 60/60 [02:27<00:00,  2.46s/it, t_loss=8.69, i_acc=0.998, "
                "e_f1=0.941]\n"
                "2026-11-22 20:01:52 INFO     rasa.engine.training.hooks  - Finished training component "
                "'DIETClassifier'.\n")
LOG_SAVED = (f"{ESC}[92mYour Rasa model is trained and saved at "
             f"'/srv/models/20261122-195824-presto-tube.tar.gz'.{ESC}[0m\n")


def project_plan() -> dict[str, float]:
    return training_plan(yaml.safe_load((PROJECT_DIR / "config.yml").read_text(encoding="utf-8")))


def test_log_lines_keep_the_last_drawing_of_a_progress_bar_and_drop_colours() -> None:
    lines = log_lines("a\rb\rc\nfirst\n" + LOG_SAVED)
    assert lines[:2] == ["c", "first"]
    assert lines[2].startswith("Your Rasa model") and ESC not in lines[2]


def test_the_plan_of_this_assistant_names_the_components_that_train() -> None:
    plan = project_plan()
    assert set(plan) == {"MemoizationPolicy", "RulePolicy", "TEDPolicy", "LexicalSyntacticFeaturizer",
                         "CountVectorsFeaturizer", "CountVectorsFeaturizer#2", "DIETClassifier"}
    assert plan["DIETClassifier"] > plan["TEDPolicy"] > plan["RulePolicy"]


def test_progress_and_stage_follow_a_recorded_training_log() -> None:
    plan = project_plan()
    cuts = [LOG_START, LOG_START + hook("19:58:29", "start", "MemoizationPolicy"),
            LOG_START + LOG_POLICIES.split("Starting to train component 'RulePolicy'")[0],
            LOG_START + LOG_POLICIES, LOG_START + LOG_POLICIES + LOG_DIET_31,
            LOG_START + LOG_POLICIES + LOG_DIET_31 + LOG_DIET_END,
            LOG_START + LOG_POLICIES + LOG_DIET_31 + LOG_DIET_END + LOG_SAVED]
    seen = [estimate_progress(read_training_log(text), plan) for text in cuts]
    stages = [stage for _, stage in seen]
    assert stages == ["validating the domain and training data", "training MemoizationPolicy",
                      "finished MemoizationPolicy", "training DIETClassifier",
                      "DIETClassifier epoch 31/60", "saving the model",
                      "saved 20261122-195824-presto-tube.tar.gz"]
    progress = [value for value, _ in seen]
    assert progress == sorted(progress)
    assert progress[0] == 0.0 and 0.2 < progress[4] < 0.9 and progress[5] < 1.0 and progress[-1] == 1.0


def test_a_log_read_while_training_knows_the_components_and_their_times() -> None:
    log = read_training_log(LOG_START + LOG_POLICIES + LOG_DIET_31 + LOG_DIET_END + LOG_SAVED)
    assert log.started == ["MemoizationPolicy", "RulePolicy", "TEDPolicy", "LexicalSyntacticFeaturizer",
                           "CountVectorsFeaturizer", "CountVectorsFeaturizer#2", "DIETClassifier"]
    assert log.finished == 7 and log.saved_model == "20261122-195824-presto-tube.tar.gz"
    assert log.stage_seconds["validation"] == 15 and log.stage_seconds["TEDPolicy"] == 39
    assert log.stage_seconds["DIETClassifier"] == 150
    # measured seconds weigh the next run: DIET is then most of the work
    value, stage = estimate_progress(read_training_log(LOG_START + LOG_POLICIES + LOG_DIET_31),
                                     log.stage_seconds)
    assert stage == "DIETClassifier epoch 31/60" and 0.5 < value < 0.8


def test_an_error_in_the_log_is_kept_for_the_stage() -> None:
    log = read_training_log(LOG_START + "rasa.shared.exceptions.YamlSyntaxException: Failed to read "
                            "'data/nlu/zh/x.yml'\nError: training failed (exit code 1)\n")
    assert log.error is not None and "YamlSyntaxException" in log.error


# --- training in the background -----------------------------------------------------------------

FAKE_TRAINING = """\
import json, pathlib, sys, time
gate, models = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
print(sys.argv[3], end="", flush=True)
deadline = time.monotonic() + 120
while not gate.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
if gate.read_text() == "fail":
    print("RuntimeError: the data has a mistake", flush=True)
    sys.exit(1)
model = models / "20261122-210000-fresh-model.tar.gz"
model.write_bytes(b"model")
(models / "fingerprint.json").write_text(json.dumps({"fingerprint": "x", "model": model.name}))
print(sys.argv[4] + f"\\x1b[92mYour Rasa model is trained and saved at '{model}'.\\x1b[0m", flush=True)
print("Trained", model, flush=True)
"""


def make_settings(tmp_path: Path, rasa_port: int = 1) -> Settings:
    models_dir = tmp_path / "models"
    models_dir.mkdir(exist_ok=True)
    return Settings(data_dir=tmp_path / "var", models_dir=models_dir, rasa_port=rasa_port,
                    rasa_auth_token=TOKEN)


def fake_training(tmp_path: Path, settings: Settings) -> tuple[ModelRegistry, Path]:
    gate = tmp_path / "gate"
    command = [sys.executable, "-c", FAKE_TRAINING, str(gate), str(settings.models_dir),
               LOG_START + LOG_POLICIES + LOG_DIET_31, LOG_DIET_END]
    return ModelRegistry(settings, train_command=command), gate


def wait_until(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_training_runs_in_the_background_one_at_a_time_and_its_state_survives(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    registry, gate = fake_training(tmp_path, settings)
    assert registry.training_status().state == "idle"
    started = registry.start_training("小王")
    assert started.state == "running" and started.started_by == "小王"
    assert wait_until(lambda: "epoch" in registry.training_status().stage)
    status = registry.training_status()
    assert status.stage == "DIETClassifier epoch 31/60" and 0.2 < status.progress < 1.0
    assert "Starting to train component 'DIETClassifier'" in status.log_tail
    # refused while it runs, also for another registry (the web server and a terminal)
    with pytest.raises(ModelError, match="already running"):
        registry.start_training("li.na")
    with pytest.raises(ModelError, match="小王"):
        ModelRegistry(settings).start_training("li.na")
    seen: list[str] = []
    gate.write_text("go")
    done = registry.wait_for_training(120, poll=0.05, on_progress=lambda s: seen.append(s.stage))
    assert done.state == "succeeded" and done.model == "20261122-210000-fresh-model.tar.gz"
    assert done.progress == 1.0 and done.finished_at is not None
    assert seen and seen[-1].startswith("finished")
    assert not registry.training_lock.exists()
    # a new process (a restarted web server) sees the outcome; the measured stages weigh the next run
    again = ModelRegistry(settings).training_status()
    assert (again.state, again.model, again.started_by) == ("succeeded", done.model, "小王")
    assert json.loads(registry.training_file.read_text())["stage_seconds"]["DIETClassifier"] == 150
    assert "20261122-210000-fresh-model.tar.gz" in [m.name for m in registry.models()]


def test_a_failed_training_says_why_and_frees_the_lock(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    registry, gate = fake_training(tmp_path, settings)
    registry.start_training("小王")
    gate.write_text("fail")
    status = registry.wait_for_training(120, poll=0.05)
    assert status.state == "failed" and status.stage == "failed: RuntimeError: the data has a mistake"
    assert not registry.training_lock.exists()
    registry.start_training("小王")  # may start again
    gate.write_text("go")
    assert registry.wait_for_training(120, poll=0.05).state == "succeeded"


def test_a_lock_held_by_a_live_process_refuses_and_a_stale_one_does_not(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    registry, gate = fake_training(tmp_path, settings)
    registry.operator_dir.mkdir(parents=True)
    registry.training_lock.write_text(str(os.getpid()))
    with pytest.raises(ModelError, match="already running"):
        registry.start_training("小王")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    registry.training_lock.write_text(str(gone.pid))  # its process has ended
    registry.start_training("小王")
    gate.write_text("go")
    assert registry.wait_for_training(120, poll=0.05).state == "succeeded"


def test_a_training_whose_process_vanished_counts_as_failed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    registry = ModelRegistry(settings)
    registry.operator_dir.mkdir(parents=True)
    registry.training_file.write_text(json.dumps(
        {"state": "running", "started_at": "2026-11-22T10:00:00+08:00", "started_by": "小王"}))
    status = registry.training_status()
    assert status.state == "failed" and "stopped" in status.stage
    assert json.loads(registry.training_file.read_text())["state"] == "failed"


# --- scoring ------------------------------------------------------------------------------------

def row(text: str, expected: str, predicted: str, services: tuple[str, ...] = (),
        found: tuple[str, ...] = (), language: str = "zh", part: str = "development") -> dict[str, Any]:
    return {"text": text, "language": language, "set": part, "expected_intent": expected,
            "predicted_intent": predicted, "confidence": 0.9, "expected_services": list(services),
            "predicted_services": list(found)}


HAND_MADE = [
    row("身份证丢了", "ask_service", "ask_service", ("id_card",), ("id_card",)),
    row("身份证过期", "ask_service", "ask_service", ("id_card",), ()),
    row("养老金认证", "ask_service", "book_appointment", ("pension",), ("pension",)),
    row("预约一下", "book_appointment", "book_appointment", (), ("id_card",)),
    row("book a visit", "book_appointment", "book_appointment", ("pension", "hukou"), ("pension",),
        language="en", part="final"),
    row("what is the weather", "out_of_scope", "nlu_fallback", language="en", part="final"),
]


def test_per_intent_precision_recall_f1_and_the_weighted_f1() -> None:
    scores = intent_scores([r["expected_intent"] for r in HAND_MADE],
                           [r["predicted_intent"] for r in HAND_MADE])
    assert scores["ask_service"] == pytest.approx(Scores(1.0, 2 / 3, 0.8, 3))
    assert scores["book_appointment"] == pytest.approx(Scores(2 / 3, 1.0, 0.8, 2))
    assert scores["out_of_scope"] == Scores(1.0, 1.0, 1.0, 1)  # nlu_fallback counts as out of scope
    assert "nlu_fallback" not in scores
    assert weighted_f1(scores) == pytest.approx((0.8 * 3 + 0.8 * 2 + 1.0) / 6)


def test_per_service_scores_count_each_service_of_a_message() -> None:
    scores = service_scores([frozenset(r["expected_services"]) for r in HAND_MADE],
                            [frozenset(r["predicted_services"]) for r in HAND_MADE])
    assert scores["id_card"] == Scores(0.5, 0.5, 0.5, 2)
    assert scores["pension"] == Scores(1.0, 1.0, 1.0, 2)
    assert scores["hukou"] == Scores(0.0, 0.0, 0.0, 1)
    assert weighted_f1(scores) == pytest.approx((0.5 * 2 + 1.0 * 2 + 0.0) / 5)
    assert weighted_f1({}) == 0.0


def test_an_evaluation_has_the_figures_and_survives_json(tmp_path: Path) -> None:
    evaluation = build_evaluation(CANDIDATE, HAND_MADE, tmp_path / "x.png", evaluated_by="小王",
                                  held_out_digest="abc")
    assert evaluation.examples == 6 and evaluation.intent_accuracy == pytest.approx(5 / 6)
    assert evaluation.intent_f1 == pytest.approx(5 / 6) and evaluation.service_f1 == pytest.approx(0.6)
    assert evaluation.figures["development"]["all"]["messages"] == 4
    assert evaluation.figures["final"]["en"]["intent_accuracy"] == 1.0
    assert evaluation.predictions[0]["expected_services"] == ["id_card"]
    again = Evaluation.from_dict(json.loads(json.dumps(evaluation.to_dict())))
    assert again == evaluation


def test_the_confusion_matrix_has_expected_rows_and_predicted_columns(tmp_path: Path) -> None:
    expected = [r["expected_intent"] for r in HAND_MADE]
    predicted = [r["predicted_intent"] for r in HAND_MADE]
    rows, columns, counts = confusion_counts(expected, predicted)
    assert rows == ["ask_service", "book_appointment", "out_of_scope"]
    assert columns == [*rows, "nlu_fallback"]
    assert counts[0] == [2, 1, 0, 0] and counts[2] == [0, 0, 0, 1]
    image = write_confusion_png(expected, predicted, tmp_path / "sub" / "matrix.png", title="test")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- comparison ---------------------------------------------------------------------------------

def evaluation_of(model: str, rows: list[dict[str, Any]], png: Path) -> Evaluation:
    return build_evaluation(model, rows, png, held_out_digest=held_out_digest())


def test_a_candidate_a_little_lower_is_not_worse_but_a_clear_drop_is(tmp_path: Path) -> None:
    current = evaluation_of(CURRENT, HAND_MADE, tmp_path / "c.png")
    assert not compare_evaluations(current, replace(current, intent_f1=current.intent_f1 - 0.004)).worse
    dropped = compare_evaluations(current, replace(current, intent_f1=current.intent_f1 - 0.01))
    assert dropped.worse and dropped.reasons == [
        f"weighted intent F1 falls from {current.intent_f1:.3f} to {current.intent_f1 - 0.01:.3f}"]
    services = compare_evaluations(current, replace(current, service_f1=current.service_f1 - 0.2))
    assert services.worse and "service F1" in services.reasons[0]
    assert not compare_evaluations(current, replace(current, intent_f1=1.0)).worse


def test_the_comparison_lists_the_messages_understood_differently(tmp_path: Path) -> None:
    current = evaluation_of(CURRENT, HAND_MADE, tmp_path / "c.png")
    changed_rows = [dict(r) for r in HAND_MADE]
    changed_rows[2]["predicted_intent"] = "ask_service"  # now right
    changed_rows[0]["predicted_intent"] = "greet"  # now wrong
    changed_rows[3]["predicted_services"] = ["pension"]  # still wrong, differently
    comparison = compare_evaluations(current, evaluation_of(CANDIDATE, changed_rows, tmp_path / "n.png"))
    by_text = {c["text"]: c for c in comparison.changed}
    assert set(by_text) == {"身份证丢了", "养老金认证", "预约一下"}
    assert by_text["养老金认证"]["better"] is True and by_text["养老金认证"]["current"] == "book_appointment"
    assert by_text["身份证丢了"]["better"] is False and by_text["身份证丢了"]["candidate"] == "greet"
    assert by_text["预约一下"]["better"] is None
    assert by_text["预约一下"]["candidate_services"] == ["pension"]


# --- deploy against a fake Rasa server ----------------------------------------------------------

@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    server = RasaStandIn(CURRENT, TOKEN)
    yield server
    server.close()


def prepare_models(settings: Settings, registry: ModelRegistry, candidate_rows: list[dict[str, Any]]) -> None:
    """Three model files and cached evaluations (no TensorFlow needed)."""
    for name in (OLD, CURRENT, CANDIDATE):
        (settings.models_dir / name).write_bytes(b"model " + name.encode())
    for name, rows in ((OLD, HAND_MADE), (CURRENT, HAND_MADE), (CANDIDATE, candidate_rows)):
        png = registry.evaluation_file(name).with_suffix(".png")
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(b"\x89PNG")
        registry.evaluation_file(name).write_text(json.dumps(evaluation_of(name, rows, png).to_dict()))


def worse_rows() -> list[dict[str, Any]]:
    rows = [dict(r) for r in HAND_MADE]
    rows[0]["predicted_intent"] = rows[1]["predicted_intent"] = "greet"
    return rows


def better_rows() -> list[dict[str, Any]]:
    rows = [dict(r) for r in HAND_MADE]
    rows[2]["predicted_intent"] = "ask_service"
    return rows


def test_models_are_listed_newest_first_with_the_deployed_one_marked(tmp_path: Path,
                                                                    rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    listed = registry.models()
    assert [m.name for m in listed] == [CANDIDATE, CURRENT, OLD]
    assert [m.deployed for m in listed] == [False, True, False]
    assert all(m.evaluated for m in listed) and listed[0].trained_at.year == 2026
    assert registry.deployed() is not None and registry.deployed().name == CURRENT  # type: ignore[union-attr]
    assert registry.evaluation_status(CANDIDATE) == "done" and set(rasa.tokens) == {TOKEN}
    # a cached evaluation made on another version of the held-out set is not used
    data = json.loads(registry.evaluation_file(OLD).read_text())
    registry.evaluation_file(OLD).write_text(json.dumps({**data, "held_out_digest": "older"}))
    assert registry.evaluation_status(OLD) == "none"
    with pytest.raises(ModelError, match="no model"):
        registry.evaluation_status("no-such-model")


def test_a_worse_model_is_refused_without_a_reason_and_deployed_with_one(tmp_path: Path,
                                                                         rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, worse_rows())
    with pytest.raises(DeployRefused) as refused:
        registry.deploy(CANDIDATE, "小王")
    assert refused.value.comparison.worse and "intent F1" in str(refused.value)
    with pytest.raises(DeployRefused):
        registry.deploy(CANDIDATE, "小王", override_reason=" ok  ")  # too short to be a reason
    assert rasa.puts == [] and registry.history() == []
    info = registry.deploy(CANDIDATE, "小王", override_reason="fixes the pension questions")
    assert info.name == CANDIDATE and info.deployed
    assert rasa.put_bodies == [{"model_file": str((settings.models_dir / CANDIDATE).resolve())}]
    assert registry.deployed_name() == CANDIDATE
    [record] = registry.history()
    assert (record["action"], record["who"], record["from"], record["to"]) == (
        "deploy", "小王", CURRENT, CANDIDATE)
    assert record["override_reason"] == "fixes the pension questions" and record["worse"] is True
    with pytest.raises(ModelError, match="deployed already"):
        registry.deploy(CANDIDATE, "小王", override_reason="once more please")


def test_a_better_model_is_deployed_without_a_reason(tmp_path: Path, rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    registry.deploy(CANDIDATE, "li.na")
    [record] = registry.history()
    assert record["worse"] is False and record["override_reason"] is None
    assert record["intent_f1"] > record["previous_intent_f1"]


def test_a_model_rasa_cannot_load_is_not_recorded(tmp_path: Path, rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    rasa.failing_puts = 1
    with pytest.raises(ModelError, match="could not load"):
        registry.deploy(CANDIDATE, "li.na")
    assert registry.history() == [] and registry.deployed_name() == CURRENT
    with pytest.raises(ModelError, match="does not answer"):
        ModelRegistry(make_settings(tmp_path, rasa_port=1)).deploy(CANDIDATE, "li.na")
    bad_token = ModelRegistry(replace(settings, rasa_auth_token="wrong"))
    with pytest.raises(ModelError, match="token"):
        bad_token.rollback(OLD, "li.na")


def test_rollback_goes_to_an_earlier_model_without_comparing(tmp_path: Path, rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, worse_rows())
    registry.deploy(CANDIDATE, "小王", override_reason="fixes the pension questions")
    registry.rollback(CURRENT, "li.na")  # worse-or-not does not matter
    registry.rollback(OLD, "li.na")
    assert rasa.model_file == OLD
    with pytest.raises(ModelError, match="newer"):
        registry.rollback(CURRENT, "li.na")
    with pytest.raises(ModelError, match="no model"):
        registry.rollback("20250101-000000-missing.tar.gz", "li.na")
    history = registry.history()
    assert [(r["action"], r["from"], r["to"]) for r in history] == [
        ("rollback", CURRENT, OLD), ("rollback", CANDIDATE, CURRENT), ("deploy", CURRENT, CANDIDATE)]
    # the file is the history oldest first, only appended to
    on_disk = json.loads(registry.deployments_file.read_text())
    assert on_disk == list(reversed(history))
    assert last_deployed_model(settings) == settings.models_dir / OLD


def test_without_the_rasa_server_the_deployed_model_is_the_last_recorded(tmp_path: Path,
                                                                          rasa: RasaStandIn) -> None:
    settings = make_settings(tmp_path, rasa.port)
    registry = ModelRegistry(settings)
    prepare_models(settings, registry, better_rows())
    registry.deploy(CANDIDATE, "li.na")
    offline = ModelRegistry(make_settings(tmp_path, rasa_port=1))
    assert offline.deployed_name() == CANDIDATE
    assert [m.name for m in offline.models() if m.deployed] == [CANDIDATE]


# --- run() starts the Rasa server with the last deployed model ----------------------------------

def record_deployment(settings: Settings, to: str) -> None:
    path = settings.data_dir / "operator" / "deployments.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"action": "deploy", "who": "小王", "from": None, "to": to}]))


def test_the_model_to_serve_is_the_last_deployed_while_it_exists(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    trained = settings.models_dir / CANDIDATE
    trained.write_bytes(b"new")
    assert assistant.model_to_serve(settings, trained) == trained
    record_deployment(settings, CURRENT)
    assert assistant.model_to_serve(settings, trained) == trained  # the deployed file is gone
    (settings.models_dir / CURRENT).write_bytes(b"deployed")
    assert assistant.model_to_serve(settings, trained) == settings.models_dir / CURRENT
    assert f"deployed last: {CURRENT} (instead of {CANDIDATE}" in capsys.readouterr().out


def test_run_starts_rasa_with_the_deployed_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path)
    for name in (CURRENT, CANDIDATE):
        (settings.models_dir / name).write_bytes(b"model")
    record_deployment(settings, CURRENT)
    served: list[Path] = []
    trained_from: list[Path] = []

    class StopAtOnce:
        def __init__(self, parts: list[Any], timeout: float) -> None:
            pass

        def start(self) -> None:
            pass

        def watch(self) -> None:
            raise KeyboardInterrupt

        def stop(self) -> None:
            pass

    def fake_train(models_dir: Path, force: bool = False, project: Path = PROJECT_DIR) -> Path:
        trained_from.append(project)
        return models_dir / CANDIDATE

    monkeypatch.setattr(assistant, "raise_on_signals", lambda: None)
    monkeypatch.setattr(assistant, "ignore_signals", lambda: None)
    monkeypatch.setattr(assistant, "train", fake_train)
    def fake_parts(settings: Settings, model: Path, endpoints: Path) -> list[Any]:
        served.append(model)
        return []

    monkeypatch.setattr(assistant, "build_parts", fake_parts)
    monkeypatch.setattr(assistant, "Supervisor", StopAtOnce)
    assert assistant.run(replace(settings, assistant_dir=tmp_path), chat=False) == 0
    assert served == [settings.models_dir / CURRENT] and trained_from == [tmp_path]


# --- the command line ---------------------------------------------------------------------------

def operator_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="operator")
    add_model_commands(parser.add_subparsers(dest="action", required=True))
    return parser


def run_cli(argv: list[str], settings: Settings) -> int | None:
    return run_model_command(operator_parser().parse_args(argv), settings)


def test_the_model_verbs_on_the_command_line(tmp_path: Path, rasa: RasaStandIn,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, rasa.port)
    prepare_models(settings, ModelRegistry(settings), worse_rows())
    assert run_model_command(argparse.Namespace(action="handoffs"), settings) is None
    assert run_cli(["models"], settings) == 0
    out = capsys.readouterr().out
    assert f"* {CURRENT}" in out and out.index(CANDIDATE) < out.index(CURRENT) < out.index(OLD)

    assert run_cli(["evaluate", CANDIDATE], settings) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "ask_service" in out and "id_card" in out and ".png" in out

    assert run_cli(["evaluate", "--compare"], settings) == 0  # the newest against the deployed
    out = capsys.readouterr().out
    assert "WORSE" in out and "身份证丢了" in out and "-> greet" in out

    assert run_cli(["deploy", CANDIDATE, "--as", "小王"], settings) == 1
    err = capsys.readouterr().err
    assert "Refused" in err and "--override" in err and rasa.puts == []
    assert run_cli(["deploy", CANDIDATE, "--as", "小王", "--override", "fixes pensions"], settings) == 0
    assert run_cli(["rollback", CURRENT, "--as", "li.na"], settings) == 0
    assert run_cli(["rollback", CANDIDATE, "--as", "li.na"], settings) == 1
    assert "newer" in capsys.readouterr().err
    assert run_cli(["deployments"], settings) == 0
    lines = capsys.readouterr().out.splitlines()[-2:]
    assert "rollback" in lines[0] and "li.na" in lines[0]
    assert "小王" in lines[1] and "override: fixes pensions" in lines[1]


def test_retrain_on_the_command_line_waits_and_shows_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    registry, gate = fake_training(tmp_path, settings)
    gate.write_text("go")
    assert run_model_command(operator_parser().parse_args(["retrain", "--as", "小王", "--wait"]), settings,
                             registry) == 0
    out = capsys.readouterr().out
    assert "Training started by 小王" in out and "succeeded" in out and "fresh-model" in out
    assert run_model_command(operator_parser().parse_args(["training"]), settings, registry) == 0
    assert "succeeded by 小王" in capsys.readouterr().out


def test_a_cross_validation_report_is_summarised(tmp_path: Path) -> None:
    (tmp_path / "intent_report.json").write_text(json.dumps(
        {"accuracy": 0.91, "greet": {"precision": 1.0},
         "weighted avg": {"precision": 0.92, "recall": 0.91, "f1-score": 0.905, "support": 900}}))
    output = ("2026-11-22 20:30:00 INFO     rasa.model_testing  - test Accuracy: 0.910 (0.012)\n"
              "2026-11-22 20:30:00 INFO     rasa.model_testing  - test F1-score: 0.905 (0.010)\n")
    (tmp_path / "ServiceResolver_report.json").write_text(json.dumps(
        {"weighted avg": {"precision": 0.99, "recall": 0.97, "f1-score": 0.98, "support": 400}}))
    summary = summarise_cross_validation(tmp_path, output, 3)
    assert summary["intent"] == {"precision": 0.92, "recall": 0.91, "f1": 0.905, "support": 900,
                                 "accuracy": 0.91}
    assert summary["per_fold"] == {"Accuracy": [0.91, 0.012], "F1-score": [0.905, 0.01]}
    assert summary["entities"] == {"ServiceResolver": {"precision": 0.99, "recall": 0.97, "f1": 0.98,
                                                       "support": 400, "accuracy": None}}
    shown = format_cross_validation(summary)
    assert "intents: weighted precision 0.920, recall 0.910, F1 0.905" in shown
    assert "entities (ServiceResolver)" in shown and "0.910 ± 0.012" in shown


# --- one real evaluation ------------------------------------------------------------------------

def test_the_trained_model_is_evaluated_in_a_child_process(tmp_path: Path) -> None:
    """Slow (about a minute): loads the project's current model in a child process."""
    record = PROJECT_DIR / "models" / FINGERPRINT_FILE
    assert record.is_file(), "train a model first: python -m bot train"
    model = json.loads(record.read_text())["model"]
    settings = Settings(data_dir=tmp_path / "var", models_dir=PROJECT_DIR / "models")
    registry = ModelRegistry(settings)
    registry.start_evaluation(model, who="小王")
    assert registry.evaluation_status(model) == "running"
    evaluation = registry.evaluate(model)  # waits for the background one
    assert registry.evaluation_file(model).is_file() and evaluation.confusion_png.is_file()
    assert evaluation.confusion_png.read_bytes()[:4] == b"\x89PNG"
    assert evaluation.intent_accuracy > 0.8 and evaluation.examples > 1000
    assert evaluation.evaluated_by == "小王" and set(evaluation.figures) == {"development", "final"}
    assert registry.evaluation_status(model) == "done"
    assert ModelRegistry(settings).evaluate(model) == evaluation  # cached
    assert models_module.pid_alive(None) is False


# --- training honours the assistant folder ------------------------------------------------------

def test_the_fingerprint_covers_the_assistant_folder_and_the_projects_code(tmp_path: Path) -> None:
    from bot.training import training_fingerprint

    for name in ("config.yml", "domain.yml"):
        shutil.copy2(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "data", tmp_path / "data")
    assert training_fingerprint(tmp_path) == training_fingerprint(PROJECT_DIR)  # a copy reuses the model
    added = tmp_path / "data" / "nlu" / "zh" / "operators.yml"
    added.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 老师好\n', encoding="utf-8")
    assert training_fingerprint(tmp_path) != training_fingerprint(PROJECT_DIR)


def test_python_m_bot_train_trains_the_assistant_folder(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings as settings_module
    from bot import training
    from bot.cli import main

    trained: list[tuple[Path, Path, bool]] = []

    def fake_train(models_dir: Path, force: bool = False, project: Path = PROJECT_DIR) -> Path:
        trained.append((models_dir, project, force))
        return models_dir / CANDIDATE

    monkeypatch.setattr(training, "train", fake_train)
    monkeypatch.setenv("ASSISTANT_DIR", str(tmp_path / "assistant"))
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "models"))
    settings_module.get_settings.cache_clear()
    try:
        assert main(["train", "--force"]) == 0
    finally:
        settings_module.get_settings.cache_clear()
    assert trained == [(tmp_path / "models", tmp_path / "assistant", True)]
