"""``python -m bot operator`` verbs for models: list, retrain, evaluate, deploy, roll back.

``add_model_commands`` adds the verbs to the operator command's subparsers;
``run_model_command`` runs one (it returns None for any other verb). Whether
``--as NAME`` is an operator account is checked by the operator command before.

- ``models`` — the trained models, newest first, the deployed one marked ``*``;
- ``retrain --as NAME [--wait]`` — train a new model from the assistant folder in the background;
- ``training`` — how the last training is going;
- ``evaluate [MODEL] [--compare] [--cross-validation --folds N]`` — figures on the held-out set;
- ``deploy MODEL --as NAME [--override REASON]`` — serve a model (refused when worse, unless overridden);
- ``rollback MODEL --as NAME`` — go back to an earlier model;
- ``deployments`` — who deployed what, when and why.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Mapping, Optional, Sequence

from bot.operators.models import (
    MIN_OVERRIDE_REASON,
    Comparison,
    DeployRefused,
    Evaluation,
    ModelError,
    ModelRegistry,
    Scores,
    TrainingStatus,
)
from bot.settings import Settings

MODEL_VERBS = ("models", "retrain", "training", "evaluate", "deploy", "rollback", "deployments")
#: Seconds ``retrain --wait`` waits at most.
TRAINING_WAIT_SECONDS = 3 * 3600.0
#: Changed messages ``evaluate --compare`` prints at most.
CHANGED_SHOWN = 40


def add_model_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the model verbs to the operator command's subparsers."""
    subparsers.add_parser("models", help="the trained models, newest first (* deployed)")
    retrain = subparsers.add_parser("retrain", help="train a new model from the annotated data (background)")
    retrain.add_argument("--as", dest="operator", required=True, help="your operator name")
    retrain.add_argument("--wait", action="store_true", help="wait, showing progress, until it ends")
    subparsers.add_parser("training", help="how the last training is going")
    evaluate = subparsers.add_parser("evaluate", help="a model's figures on the held-out test set")
    evaluate.add_argument("model", nargs="?", help="model file name (default: the deployed one)")
    evaluate.add_argument("--compare", action="store_true", help="compare it with the deployed model")
    evaluate.add_argument("--cross-validation", action="store_true",
                          help="cross-validate on the assistant's training data instead (slow)")
    evaluate.add_argument("--folds", type=int, default=3, help="folds of the cross-validation")
    evaluate.add_argument("--as", dest="operator", help="your operator name (recorded)")
    deploy = subparsers.add_parser("deploy", help="make the assistant use a model")
    deploy.add_argument("model")
    deploy.add_argument("--as", dest="operator", required=True)
    deploy.add_argument("--override", metavar="REASON",
                        help=f"deploy even if it is worse; why (at least {MIN_OVERRIDE_REASON} characters)")
    rollback = subparsers.add_parser("rollback", help="go back to an earlier model")
    rollback.add_argument("model")
    rollback.add_argument("--as", dest="operator", required=True)
    subparsers.add_parser("deployments", help="every deployment and rollback, newest first")


def run_model_command(args: argparse.Namespace, settings: Settings,
                      registry: Optional[ModelRegistry] = None) -> Optional[int]:
    """Run a model verb.

    Args:
        args: The parsed operator arguments (the verb in ``verb`` or ``action``).
        settings: The settings.
        registry: The model registry (default: one for the settings).

    Returns:
        The exit code (0 done, 1 failed or refused), or None when the verb is not a model verb.

    """
    verb = getattr(args, "verb", None) or getattr(args, "action", None)
    if verb not in MODEL_VERBS:
        return None
    registry = registry or ModelRegistry(settings)
    try:
        if verb == "models":
            return _models(registry)
        if verb == "retrain":
            return _retrain(registry, args.operator, args.wait)
        if verb == "training":
            _print_status(registry.training_status())
            return 0
        if verb == "evaluate":
            return _evaluate(registry, args)
        if verb == "deploy":
            info = registry.deploy(args.model, args.operator, args.override)
            print(f"{info.name} is deployed: the assistant answers with it now.")
            return 0
        if verb == "rollback":
            info = registry.rollback(args.model, args.operator)
            print(f"Rolled back to {info.name}: the assistant answers with it now.")
            return 0
        return _deployments(registry)
    except DeployRefused as refused:
        print(format_comparison(refused.comparison), file=sys.stderr)
        print(f"\nRefused: {refused}\nTo deploy it anyway: --override \"REASON\".", file=sys.stderr)
        return 1
    except ModelError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1


def _models(registry: ModelRegistry) -> int:
    models = registry.models()
    if not models:
        print(f"No model in {registry.settings.models_dir}: `python -m bot operator retrain --as NAME`.")
        return 0
    width = max(len(info.name) for info in models) + 2
    print(f"  {'model':{width}}{'trained':18}{'size':>8}  evaluated")
    for info in models:
        print(f"{'*' if info.deployed else ' '} {info.name:{width}}{info.trained_at:%Y-%m-%d %H:%M}  "
              f"{info.size_mb:>5.1f} MB  {'yes' if info.evaluated else '-'}")
    if not any(info.deployed for info in models):
        print("(no model here is known to be deployed)")
    return 0


def _print_status(status: TrainingStatus) -> None:
    when = f", started {status.started_at:%Y-%m-%d %H:%M}" if status.started_at else ""
    who = f" by {status.started_by}" if status.started_by else ""
    print(f"Training: {status.state}{who}{when}; {status.progress:.0%}, {status.stage}")
    if status.state == "failed" and status.log_tail:
        print(f"The end of its log:\n{status.log_tail}")


def _retrain(registry: ModelRegistry, who: str, wait: bool) -> int:
    status = registry.start_training(who)
    print(f"Training started by {who}; the assistant keeps answering with the current model. "
          f"Log: {registry.training_log}")
    if not wait:
        print("See how it goes: `python -m bot operator training`.")
        return 0
    status = registry.wait_for_training(
        TRAINING_WAIT_SECONDS, on_progress=lambda s: print(f"{s.progress:4.0%}  {s.stage}", flush=True))
    _print_status(status)
    if status.state == "succeeded":
        print(f"Next: `python -m bot operator evaluate {status.model} --compare`, then deploy it.")
        return 0
    return 0 if status.state == "running" else 1


def _evaluate(registry: ModelRegistry, args: argparse.Namespace) -> int:
    if args.cross_validation:
        print(f"Cross-validating with {args.folds} folds (one training per fold: this takes a while)...",
              flush=True)
        print(format_cross_validation(registry.cross_validate(args.folds)))
        return 0
    newest = next((m.name for m in registry.models()), None)
    # compare: the newest model against the deployed one; else the deployed one
    model = args.model or (newest if args.compare else registry.deployed_name() or newest)
    if model is None:
        raise ModelError("There is no model to evaluate.")
    print(f"Evaluating {model} on the held-out test set (about a minute unless done before)...", flush=True)
    if args.compare:
        comparison = registry.compare(model)
        print(format_comparison(comparison))
        return 0
    print(format_evaluation(registry.evaluate(model, args.operator)))
    return 0


def _deployments(registry: ModelRegistry) -> int:
    history = registry.history()
    if not history:
        print("Nothing has been deployed by operators yet.")
    for record in history:
        reason = f" — override: {record['override_reason']}" if record.get("override_reason") else ""
        print(f"{str(record.get('at', ''))[:16].replace('T', ' ')}  {record.get('action', 'deploy'):8} "
              f"{record.get('who')}: {record.get('from') or '-'} -> {record.get('to')}{reason}")
    return 0


def format_scores(title: str, scores: Mapping[str, Scores]) -> str:
    """Return a table of precision, recall, F1 and support per label."""
    width = max([len(title), *map(len, scores)]) + 2
    lines = [f"{title:{width}}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"]
    for name, s in scores.items():
        lines.append(f"{name:{width}}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>9}")
    return "\n".join(lines)


def format_evaluation(evaluation: Evaluation) -> str:
    """Return an evaluation as text: summary, per-intent and per-service tables, the image's path."""
    parts = [f"Model {evaluation.model}: {evaluation.examples} held-out messages; intent accuracy "
             f"{evaluation.intent_accuracy:.3f}, weighted intent F1 {evaluation.intent_f1:.3f}, "
             f"weighted service F1 {evaluation.service_f1:.3f}"]
    for set_name, languages in evaluation.figures.items():
        figures = ", ".join(f"{language} {values['intent_accuracy']:.3f}/{values['service_accuracy']:.3f}"
                            for language, values in languages.items())
        parts.append(f"  {set_name} set (intent/service accuracy): {figures}")
    parts += ["", format_scores("intent", evaluation.intents), "",
              format_scores("service", evaluation.services), "",
              f"Confusion matrix (rows expected, columns predicted): {evaluation.confusion_png}"]
    return "\n".join(parts)


def format_comparison(comparison: Comparison) -> str:
    """Return a comparison as text: both models' figures side by side and the messages that changed."""
    current, candidate = comparison.current, comparison.candidate
    lines = [f"{'':22}{'current':>12}{'candidate':>12}"]
    for label, now, then in (("intent accuracy", current.intent_accuracy, candidate.intent_accuracy),
                             ("weighted intent F1", current.intent_f1, candidate.intent_f1),
                             ("weighted service F1", current.service_f1, candidate.service_f1)):
        lines.append(f"{label:22}{now:>12.3f}{then:>12.3f}")
    lines.append(f"(current: {current.model}; candidate: {candidate.model})")
    lines.append("")
    lines.append(format_intent_changes(current, candidate))
    better = sum(row["better"] is True for row in comparison.changed)
    worse = sum(row["better"] is False for row in comparison.changed)
    lines.append(f"\n{len(comparison.changed)} messages understood differently: {better} better, "
                 f"{worse} worse, {len(comparison.changed) - better - worse} neither")
    for row in _shown_changes(comparison.changed):
        mark = {True: "+", False: "-", None: "~"}[row["better"]]
        expected = f"{row['expected']}{_services(row['expected_services'])}"
        before = f"{row['current']}{_services(row['current_services'])}"
        after = f"{row['candidate']}{_services(row['candidate_services'])}"
        lines.append(f" {mark} [{row['language']}] {row['text'][:60]}  expected {expected}: "
                     f"{before} -> {after}")
    lines.append("")
    lines.append("The candidate is WORSE: " + "; ".join(comparison.reasons) if comparison.worse
                 else "The candidate is not worse: it can be deployed.")
    lines.append(f"Confusion matrices: {current.confusion_png}, {candidate.confusion_png}")
    return "\n".join(lines)


def format_intent_changes(current: Evaluation, candidate: Evaluation) -> str:
    """Return per-intent and per-service F1 of both models where they differ."""
    lines = [f"{'F1 that changed':28}{'current':>9}{'candidate':>11}"]
    for kind, old, new in (("intent", current.intents, candidate.intents),
                           ("service", current.services, candidate.services)):
        for name in sorted(set(old) | set(new)):
            before = old[name].f1 if name in old else 0.0
            after = new[name].f1 if name in new else 0.0
            if abs(after - before) >= 0.0005:
                lines.append(f"{kind + ' ' + name:28}{before:>9.3f}{after:>11.3f}")
    if len(lines) == 1:
        lines.append("(none)")
    return "\n".join(lines)


def _shown_changes(changed: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changed messages to print: the worse ones first."""
    order = {False: 0, None: 1, True: 2}
    return sorted(changed, key=lambda row: order[row["better"]])[:CHANGED_SHOWN]


def _services(services: Sequence[str]) -> str:
    return f" {{{', '.join(services)}}}" if services else ""


def format_cross_validation(summary: Mapping[str, Any]) -> str:
    """Return a cross-validation summary as text."""
    lines = [f"Cross-validation, {summary.get('folds')} folds (figures on the held-back folds):"]
    rows = [("intents", summary.get("intent"))]
    rows += [(f"entities ({name})", figures) for name, figures in (summary.get("entities") or {}).items()]
    for label, figures in rows:
        if isinstance(figures, dict):
            lines.append(f"  {label}: weighted precision {figures.get('precision') or 0:.3f}, recall "
                         f"{figures.get('recall') or 0:.3f}, F1 {figures.get('f1') or 0:.3f}")
    for name, (mean, spread) in (summary.get("per_fold") or {}).items():
        lines.append(f"  intents per fold, {name}: {mean:.3f} ± {spread:.3f}")
    lines.append(f"  reports: {summary.get('report_dir')}")
    return "\n".join(lines)
