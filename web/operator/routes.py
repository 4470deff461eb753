"""The console's pages under ``/operator``: log in, review, annotate, retrain, evaluate, deploy.

Every page but the login form needs a session; every change needs the
session's CSRF token and is written to the change log with the operator's
name (by the libraries in ``bot/operators``, which the command line shares).
Personal data is masked by the review library before it reaches a page.
Blocking work (databases, starting training or evaluation) runs in worker
threads, so the kiosk page served by the same process stays responsive.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.operators.accounts import Accounts, Session
from bot.operators.annotations import AnnotationError, Annotations
from bot.operators.models import Comparison, DeployRefused, Evaluation, ModelError, ModelRegistry
from bot.operators.review import REVIEW_REASONS, ConversationLog, ReviewFilter
from bot.settings import Settings
from web.operator.auth import (
    LoginThrottle,
    check_csrf,
    clear_session_cookie,
    current_session,
    safe_next,
    set_session_cookie,
)
from web.operator.forms import read_form
from web.operator.html import Content, Markup, form, join, labelled, page, table, tag

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
ALL = ("", "全部 All")
CHANNELS = [ALL, ("telegram", "Telegram"), ("kiosk", "自助机 Kiosk"), ("rest", "REST")]
OVERRIDE_LABEL = "如果更差仍要上线，请写明理由 Reason to deploy anyway if worse"
REFUSED = ("没有上线：新模型在测试集上更差。要上线请写明理由。"
           "Not deployed: the new model is worse on the held-out set. Give a reason to deploy anyway.")
REASON_NAMES = {"low_confidence": "置信度低 low confidence", "fallback": "没听懂 fallback",
                "out_of_scope": "超出范围 out of scope", "handoff": "转人工 handoff",
                "said_wrong": "用户说不对 user said wrong"}


class Console:
    """What the console's pages work with."""

    def __init__(self, settings: Settings) -> None:
        """Open the operators' database, the tracker store and the model folder of the settings."""
        self.settings = settings
        self.accounts = Accounts.from_settings(settings)
        self.conversations = ConversationLog.from_settings(settings)
        self.annotations = Annotations.from_settings(settings)
        self.models = ModelRegistry(settings)
        self.throttle = LoginThrottle()
        self.cross_validation: Optional[threading.Thread] = None

    def start_cross_validation(self, who: str, folds: int = 3) -> bool:
        """Cross-validate in a background thread (one at a time); False when one is running."""
        if self.cross_validation is not None and self.cross_validation.is_alive():
            return False

        def run() -> None:
            try:
                self.models.cross_validate(folds)
            except ModelError as error:
                logger.warning("Cross-validation failed: %s", error)

        self.accounts.record(who, "cross_validate", {"folds": folds})
        self.cross_validation = threading.Thread(target=run, name="cross-validation", daemon=True)
        self.cross_validation.start()
        return True


def shown_text(text: str) -> str:
    """A message as a link shows it: itself, or "(empty message)" when nothing of it is visible.

    A message of spaces, control or format characters only (a zero-width
    space, say) would make a link with no text, which a screen reader cannot name.
    """
    if any(unicodedata.category(char)[0] not in "CZ" for char in text):
        return text
    return "（空消息）(empty message)"


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _filter_from(query: dict[str, str]) -> ReviewFilter:
    def number(name: str) -> Optional[float]:
        try:
            return float(query[name]) if query.get(name) else None
        except ValueError:
            return None

    def day(name: str) -> Optional[date]:
        try:
            return date.fromisoformat(query[name]) if query.get(name) else None
        except ValueError:
            return None

    return ReviewFilter(channel=query.get("channel") or None, date_from=day("from"), date_to=day("to"),
                        language=query.get("language") or None, intent=query.get("intent") or None,
                        service=query.get("service") or None, min_confidence=number("min"),
                        max_confidence=number("max"), needs_review=query.get("queue") == "1")


def _service_options(services: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    return [(service_id, f"{zh} {en}") for service_id, zh, en in services]


def _select(name: str, label: str, options: list[tuple[str, str]], chosen: Optional[str]) -> Markup:
    control = tag("select", *(tag("option", text, value=value, selected=value == (chosen or ""))
                              for value, text in options), id=f"field-{name}", name=name)
    return labelled(label, control)


def _input(name: str, label: str, value: Optional[str] = "", kind: str = "text", **extra: Any) -> Markup:
    return labelled(label, tag("input", id=f"field-{name}", name=name, type=kind, value=value or "", **extra))


def _scores_table(caption: str, current: Evaluation, candidate: Evaluation, part: str) -> Markup:
    names = sorted(set(getattr(current, part)) | set(getattr(candidate, part)))
    rows = []
    for name in names:
        old, new = getattr(current, part).get(name), getattr(candidate, part).get(name)
        rows.append([name,
                     f"{old.precision:.2f} / {old.recall:.2f} / {old.f1:.2f}" if old else "—",
                     f"{new.precision:.2f} / {new.recall:.2f} / {new.f1:.2f}" if new else "—",
                     f"{(new.f1 if new else 0) - (old.f1 if old else 0):+.2f}", new.support if new else 0])
    return table(caption, ["名称 Name", "现用 Current P / R / F1", "新 New P / R / F1", "F1 变化 change",
                           "样本 Examples"], rows)


def operator_router(console: Console) -> APIRouter:
    """The console's routes."""
    router = APIRouter(prefix="/operator")

    async def session_for(request: Request) -> Session:
        return await current_session(console.accounts, request)

    def render(request: Request, session: Session, title: str, body: Content,
               **messages: Optional[str]) -> HTMLResponse:
        return _html(page(title, body, operator=session.name, csrf=session.csrf,
                          notice=messages.get("notice") or request.query_params.get("notice"),
                          error=messages.get("error")))

    async def guarded(request: Request, handler: Callable[[Session], Any]) -> Response:
        """Run a page's handler with the request's session (no session: LoginRequired, a redirect)."""
        result = handler(await session_for(request))
        if asyncio.iscoroutine(result):
            result = await result
        return result

    async def changing(request: Request) -> tuple[Session, dict[str, str]]:
        session = await session_for(request)
        fields = await read_form(request)
        check_csrf(session, fields)
        return session, fields

    # -- logging in and out ----------------------------------------------------------------------

    @router.get("/login", include_in_schema=False)
    async def login_form(request: Request, next: str = "/operator/") -> HTMLResponse:  # noqa: A002
        return _login_page(safe_next(next))

    def _login_page(next_path: str, error: Optional[str] = None, status: int = 200) -> HTMLResponse:
        body = tag("form",
                   _input("name", "用户名 Name", autocomplete="username", required=True),
                   _input("password", "密码 Password", kind="password", autocomplete="current-password",
                          required=True),
                   tag("input", type="hidden", name="next", value=next_path),
                   tag("button", "登录 Log in", type="submit"),
                   action="/operator/login", method="post", class_="login")
        return _html(page("登录 Log in", body, error=error), status)

    @router.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        fields = await read_form(request)
        name, password = fields.get("name", "").strip(), fields.get("password", "")
        next_path = safe_next(fields.get("next"))
        address = request.client.host if request.client else "?"
        if console.throttle.blocked(name, address):
            return _login_page(next_path, "登录失败次数太多，请五分钟后再试。Too many failed logins; "
                                          "please wait five minutes.", 429)
        if not name or not await asyncio.to_thread(console.accounts.verify, name, password):
            console.throttle.failed(name, address)
            return _login_page(next_path, "用户名或密码不对。The name or password is not right.", 401)
        console.throttle.succeeded(name, address)
        session = await asyncio.to_thread(console.accounts.start_session, name)
        await asyncio.to_thread(console.accounts.record, name, "login", {})
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, session, secure=request.url.scheme == "https")
        return response

    @router.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        session, _ = await changing(request)
        await asyncio.to_thread(console.accounts.end_session, session.token)
        response = RedirectResponse("/operator/login", status_code=303)
        clear_session_cookie(response)
        return response

    # -- overview ------------------------------------------------------------------------------------

    @router.get("/", include_in_schema=False)
    async def overview(request: Request) -> Response:
        async def show(session: Session) -> HTMLResponse:
            queue = await asyncio.to_thread(console.conversations.messages,
                                            ReviewFilter(needs_review=True), 1000)
            counts = {reason: sum(reason in m.reasons for m in queue) for reason in REVIEW_REASONS}
            deployed = await asyncio.to_thread(console.models.deployed)
            training = await asyncio.to_thread(console.models.training_status)
            body = join([
                tag("h2", "待审核 To review"),
                table("按原因 By reason", ["原因 Reason", "消息 Messages"],
                      [[tag("a", REASON_NAMES[r], href=f"/operator/review?queue=1&reason={r}"), n]
                       for r, n in counts.items()]),
                tag("h2", "模型 Model"),
                tag("p", f"现用 In use: {deployed.name if deployed else '—'}"),
                tag("p", f"训练 Training: {training.state} {training.stage}"),
            ])
            return render(request, session, "概览 Overview", body)
        return await guarded(request, show)

    # -- review ---------------------------------------------------------------------------------------

    @router.get("/review", include_in_schema=False)
    async def review(request: Request) -> Response:
        async def show(session: Session) -> HTMLResponse:
            query = dict(request.query_params)
            chosen = _filter_from(query)
            reason = query.get("reason")
            messages = await asyncio.to_thread(console.conversations.messages, chosen, 200)
            if reason in REVIEW_REASONS:
                messages = [m for m in messages if reason in m.reasons]
            intents = await asyncio.to_thread(console.annotations.intents)
            services = await asyncio.to_thread(console.annotations.services)
            filters = tag(
                "form",
                _select("channel", "渠道 Channel", CHANNELS, chosen.channel),
                _input("from", "从 From (YYYY-MM-DD)", query.get("from"), kind="date"),
                _input("to", "到 To (YYYY-MM-DD)", query.get("to"), kind="date"),
                _select("language", "语言 Language", [ALL, ("zh", "中文"), ("en", "English")],
                        chosen.language),
                _select("intent", "意图 Intent", [ALL, *((i, i) for i in intents)], chosen.intent),
                _select("service", "事项 Service", [ALL, *_service_options(services)], chosen.service),
                _input("min", "最低置信度 Min confidence", query.get("min"), kind="number", min="0", max="1",
                       step="0.05"),
                _input("max", "最高置信度 Max confidence", query.get("max"), kind="number", min="0", max="1",
                       step="0.05"),
                _select("queue", "只看待审核 Only to review", [("", "否 No"), ("1", "是 Yes")],
                        "1" if chosen.needs_review else ""),
                tag("button", "筛选 Filter", type="submit"),
                action="/operator/review", method="get", class_="filters")
            rows = [[m.when.strftime("%Y-%m-%d %H:%M"), m.channel,
                     tag("a", shown_text(m.text),
                         href=f"/operator/conversations/{m.sender}#event-{m.event_id}"),
                     m.intent, f"{m.confidence:.2f}", ", ".join(m.services) or "—",
                     ", ".join(REASON_NAMES.get(r, r) for r in m.reasons) or "—",
                     tag("a", "标注 Annotate", href=f"/operator/annotate/{m.event_id}",
                         aria_label=f"标注 Annotate: {shown_text(m.text)}")]
                    for m in messages]
            export = tag("a", "导出 CSV Export (masked)",
                         href="/operator/review.csv?" + str(request.url.query), class_="export")
            body = join([tag("section", tag("h2", "筛选 Filters"), filters, aria_labelledby=None), export,
                         table(f"消息 Messages ({len(rows)})", ["时间 When", "渠道 Channel", "消息 Message",
                               "意图 Intent", "置信度 Confidence", "事项 Services", "原因 Reasons", ""], rows,
                               "没有符合的消息。No messages match.")])
            return render(request, session, "审核 Review", body)
        return await guarded(request, show)

    @router.get("/review.csv", include_in_schema=False)
    async def review_csv(request: Request) -> Response:
        async def export(session: Session) -> Response:
            csv = await asyncio.to_thread(console.conversations.export_csv,
                                          _filter_from(dict(request.query_params)))
            await asyncio.to_thread(console.accounts.record, session.name, "export",
                                    dict(request.query_params))
            return Response(csv, media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="messages.csv"',
                                     "Cache-Control": "no-store"})
        return await guarded(request, export)

    @router.get("/conversations/{sender}", include_in_schema=False)
    async def conversation(request: Request, sender: str) -> Response:
        async def show(session: Session) -> HTMLResponse:
            turns = await asyncio.to_thread(console.conversations.conversation, sender)
            rows = [[t.when.strftime("%Y-%m-%d %H:%M:%S"),
                     "市民 Citizen" if t.who == "user" else "助手 Assistant", t.text, t.intent or "",
                     f"{t.confidence:.2f}" if t.confidence is not None else ""]
                    for t in turns]
            headers = ["时间 When", "谁 Who", "内容 Text", "意图 Intent", "置信度 Confidence"]
            body = table(f"对话 Conversation {sender}", headers, rows, "没有这个对话。No such conversation.")
            return render(request, session, "对话 Conversation", body)
        return await guarded(request, show)

    # -- annotate -------------------------------------------------------------------------------------

    async def annotate_page(request: Request, session: Session, event_id: int,
                            error: Optional[str] = None, status: int = 200) -> HTMLResponse:
        message = await asyncio.to_thread(console.conversations.message, event_id)
        if message is None:
            raise HTTPException(404, "没有这条消息。No such message.")
        intents = await asyncio.to_thread(console.annotations.intents)
        services = await asyncio.to_thread(console.annotations.services)
        service = message.services[0] if message.services else ""
        language = message.language or "zh"
        words = await asyncio.to_thread(console.annotations.suggest_service_words, message.text, service,
                                        language) if service else None
        body = join([
            tag("p", "消息 Message: ", tag("q", message.text, class_="message", lang=language)),
            tag("p", f"助手的理解 Understood as: {message.intent} ({message.confidence:.2f}); "
                     f"事项 services: {', '.join(message.services) or '—'}"),
            form("/operator/annotations", session.csrf,
                 tag("input", type="hidden", name="event", value=str(event_id)),
                 _select("intent", "正确的意图 Correct intent", [(i, i) for i in intents], message.intent),
                 _select("service", "事项 Service", [("", "无 None"), *_service_options(services)], service),
                 _input("service_words", "指事项的词 Words naming the service", words or ""),
                 _select("language", "语言 Language", [("zh", "中文"), ("en", "English")], language),
                 tag("button", "保存到训练数据 Save to the training data", type="submit"),
                 class_="annotate"),
        ])
        return _html(page("标注 Annotate", body, operator=session.name, csrf=session.csrf, error=error),
                     status)

    @router.get("/annotate/{event_id}", include_in_schema=False)
    async def annotate(request: Request, event_id: int) -> Response:
        return await guarded(request, lambda session: annotate_page(request, session, event_id))

    @router.post("/annotations", include_in_schema=False)
    async def add_annotation(request: Request) -> Response:
        session, fields = await changing(request)
        try:
            event_id = int(fields.get("event", ""))
        except ValueError as error:
            raise HTTPException(400, "Which message?") from error
        message = await asyncio.to_thread(console.conversations.message, event_id)
        if message is None:
            raise HTTPException(404, "没有这条消息。No such message.")
        try:
            added = await asyncio.to_thread(
                console.annotations.add, message.text, fields.get("intent", ""), fields.get("language", "zh"),
                session.name, fields.get("service") or None, fields.get("service_words") or None)
        except AnnotationError as error:
            return await annotate_page(request, session, event_id, error=str(error), status=422)
        notice = f"已保存 Saved: {added.text[:40]} → {added.file}"
        return RedirectResponse(f"/operator/annotations?notice={notice}", status_code=303)

    @router.get("/annotations", include_in_schema=False)
    async def annotations(request: Request) -> Response:
        async def show(session: Session) -> HTMLResponse:
            added = await asyncio.to_thread(console.annotations.list, 200)
            rows = [[a.when.strftime("%Y-%m-%d %H:%M"), a.who, a.text, a.intent, a.service or "—", a.file,
                     "已撤销 Undone" if a.undone else
                     form(f"/operator/annotations/{a.id}/undo", session.csrf,
                          tag("button", "撤销 Undo", type="submit", aria_label=f"撤销 Undo: {a.text}"))]
                    for a in added]
            body = join([table("标注 Annotations", ["时间 When", "谁 Who", "例句 Example", "意图 Intent",
                                                    "事项 Service", "文件 File", ""], rows,
                               "还没有标注。No annotations yet."),
                         tag("p", tag("a", "去训练 Go and retrain", href="/operator/models"))])
            return render(request, session, "标注 Annotations", body)
        return await guarded(request, show)

    @router.post("/annotations/{annotation_id}/undo", include_in_schema=False)
    async def undo_annotation(request: Request, annotation_id: int) -> Response:
        session, _ = await changing(request)
        try:
            undone = await asyncio.to_thread(console.annotations.undo, annotation_id, session.name)
        except AnnotationError as error:
            return RedirectResponse(f"/operator/annotations?notice={error}", status_code=303)
        notice = f"已撤销 Undone: {undone.text[:40]}"
        return RedirectResponse(f"/operator/annotations?notice={notice}", status_code=303)

    # -- models: retrain, evaluate, compare, deploy, roll back -----------------------------------------

    @router.get("/models", include_in_schema=False)
    async def models(request: Request) -> Response:
        async def show(session: Session) -> HTMLResponse:
            listed = await asyncio.to_thread(console.models.models)
            training = await asyncio.to_thread(console.models.training_status)
            rows = []
            for model in listed:
                actions: list[Content] = [tag("a", "比较 Compare", aria_label=f"比较 Compare {model.name}",
                                               href=f"/operator/models/{model.name}/compare")]
                if not model.deployed:
                    actions.append(form(f"/operator/models/{model.name}/rollback", session.csrf,
                                        tag("button", "回滚到此 Roll back to this", type="submit",
                                            aria_label=f"回滚到 Roll back to {model.name}")))
                rows.append([model.name, model.trained_at.strftime("%Y-%m-%d %H:%M"),
                             f"{model.size_mb:.0f} MB", "现用 In use" if model.deployed else "",
                             join(actions)])
            progress = tag("progress", _percent(training.progress), max="1", value=f"{training.progress:.3f}",
                           id="training-progress", aria_label="训练进度 Training progress")
            running, failed = training.state == "running", training.state == "failed"
            status = tag("div", tag("h2", "训练 Training"),
                         tag("p", f"{training.state}: {training.stage}", id="training-state",
                             data_state=training.state),
                         progress if running else "",
                         tag("pre", training.log_tail[-1500:], class_="log") if failed else "",
                         form("/operator/training", session.csrf,
                              tag("button", "重新训练 Retrain", type="submit",
                                  disabled=running)),
                         class_="training", data_poll="/operator/training.json" if running else None)
            headers = ["模型 Model", "训练时间 Trained", "大小 Size", "状态 State", ""]
            body = join([status, table("模型 Models", headers, rows, "还没有模型。No models yet."),
                         cross_validation_section(session)])
            return render(request, session, "模型 Models", body)
        return await guarded(request, show)

    def cross_validation_section(session: Session) -> Markup:
        running = console.cross_validation is not None and console.cross_validation.is_alive()
        last = console.models.last_cross_validation()
        result: Content = tag("p", "还没有做过。Not run yet.")
        if last:
            intent = last.get("intent") or {}
            finished = str(last.get("finished_at", ""))[:16]
            result = table(f"上次结果 Last result ({last.get('folds')} folds, {finished})",
                           ["", "Precision", "Recall", "F1"],
                           [["意图 Intents (weighted)", f"{intent.get('precision', 0):.3f}",
                             f"{intent.get('recall', 0):.3f}", f"{intent.get('f1', 0):.3f}"]])
        return tag("section",
                   tag("h2", "交叉验证 Cross-validation", id="cross-validation"),
                   tag("p", "在训练数据上轮流留出一部分来测试，需要十分钟左右。Trains on part of the "
                            "training data and tests on the rest, in turns; takes about ten minutes."),
                   tag("p", "正在进行… Running…", data_poll_reload="30") if running else "",
                   result,
                   form("/operator/cross-validation", session.csrf,
                        tag("button", "开始交叉验证 Start cross-validation", type="submit",
                            disabled=running)),
                   aria_labelledby="cross-validation")

    @router.post("/cross-validation", include_in_schema=False)
    async def cross_validation(request: Request) -> Response:
        session, _ = await changing(request)
        started = await asyncio.to_thread(console.start_cross_validation, session.name)
        notice = "交叉验证已开始 Cross-validation started" if started else "交叉验证正在进行 Already running"
        return RedirectResponse(f"/operator/models?notice={notice}", status_code=303)

    @router.post("/training", include_in_schema=False)
    async def start_training(request: Request) -> Response:
        session, _ = await changing(request)
        try:
            await asyncio.to_thread(console.models.start_training, session.name)
        except ModelError as error:
            return RedirectResponse(f"/operator/models?notice={error}", status_code=303)
        return RedirectResponse("/operator/models?notice=训练已开始，现用模型照常服务。Training started; "
                                "the current model keeps serving.", status_code=303)

    @router.get("/training.json", include_in_schema=False)
    async def training_json(request: Request) -> Response:
        async def status(session: Session) -> JSONResponse:
            training = await asyncio.to_thread(console.models.training_status)
            data = dataclasses.asdict(training)
            return JSONResponse({key: value.isoformat() if hasattr(value, "isoformat") else value
                                 for key, value in data.items()})
        return await guarded(request, status)

    async def compare_page(request: Request, session: Session, name: str, error: Optional[str] = None,
                           comparison: Optional[Comparison] = None, status: int = 200) -> HTMLResponse:
        known = {m.name: m for m in await asyncio.to_thread(console.models.models)}
        if name not in known:
            raise HTTPException(404, "没有这个模型。No such model.")
        deployed = await asyncio.to_thread(console.models.deployed)
        pending = []
        for model in {name, deployed.name if deployed else name}:
            state = await asyncio.to_thread(console.models.evaluation_status, model)
            if state in ("none", "failed"):
                await asyncio.to_thread(console.models.start_evaluation, model)
                state = "running"
            if state != "done":
                pending.append(model)
        if pending:
            body = tag("p", f"正在用测试集评估 Evaluating on the held-out test set: {', '.join(pending)} …",
                       id="evaluation-state", data_poll_reload="5")
            return _html(page(f"比较 Compare {name}", body, operator=session.name, csrf=session.csrf))
        if comparison is None:
            comparison = await asyncio.to_thread(console.models.compare, name)
        current, candidate = comparison.current, comparison.candidate
        verdict = "新模型不比现用的差 The new model is not worse than the current one."
        if comparison.worse:
            verdict = "新模型更差 The new model is worse: " + "; ".join(comparison.reasons)
        changed = [[c["text"], c["expected"], c["current"], c["candidate"],
                    "更好 better" if c.get("better") else ("更差 worse" if c.get("better") is False else "")]
                   for c in comparison.changed]
        deploy_form: Content = ""
        if deployed is None or deployed.name != name:
            deploy_form = form(f"/operator/models/{name}/deploy", session.csrf,
                               _input("override_reason", OVERRIDE_LABEL, ""),
                               tag("button", "上线 Deploy", type="submit"), class_="deploy")
        body = join([
            tag("p", verdict, class_="verdict", id="verdict"),
            table("总体 Overall", ["", "现用 Current " + current.model, "新 New " + candidate.model],
                  [["意图 F1 Intent F1 (weighted)", f"{current.intent_f1:.3f}", f"{candidate.intent_f1:.3f}"],
                   ["意图准确率 Intent accuracy", _percent(current.intent_accuracy),
                    _percent(candidate.intent_accuracy)],
                   ["事项 F1 Service F1 (weighted)", f"{current.service_f1:.3f}",
                    f"{candidate.service_f1:.3f}"],
                   ["测试样本 Test examples", current.examples, candidate.examples]]),
            deploy_form,
            _scores_table("按意图 Per intent", current, candidate, "intents"),
            _scores_table("按事项 Per service", current, candidate, "services"),
            table(f"结果变了的消息 Messages that changed ({len(changed)})",
                  ["消息 Message", "应为 Expected", "现用 Current", "新 New", ""], changed,
                  "没有变化。Nothing changed."),
            tag("h2", "混淆矩阵 Confusion matrix (new model)"),
            tag("img", src=f"/operator/models/{name}/confusion.png",
                alt=f"模型 {name} 在测试集上的意图混淆矩阵 Intent confusion matrix of {name} on the test set",
                class_="confusion"),
        ])
        return _html(page(f"比较 Compare {name}", body, operator=session.name, csrf=session.csrf,
                          error=error), status)

    @router.get("/models/{name}/compare", include_in_schema=False)
    async def compare(request: Request, name: str) -> Response:
        return await guarded(request, lambda session: compare_page(request, session, name))

    @router.get("/models/{name}/confusion.png", include_in_schema=False)
    async def confusion(request: Request, name: str) -> Response:
        async def image(session: Session) -> Response:
            if await asyncio.to_thread(console.models.evaluation_status, name) != "done":
                raise HTTPException(404, "Not evaluated yet.")
            evaluation = await asyncio.to_thread(console.models.evaluate, name)
            return FileResponse(evaluation.confusion_png, media_type="image/png")
        return await guarded(request, image)

    @router.post("/models/{name}/deploy", include_in_schema=False)
    async def deploy(request: Request, name: str) -> Response:
        session, fields = await changing(request)
        reason = fields.get("override_reason", "").strip() or None
        try:
            await asyncio.to_thread(console.models.deploy, name, session.name, reason)
        except DeployRefused as refused:
            return await compare_page(request, session, name, comparison=refused.comparison, status=409,
                                      error=REFUSED)
        except ModelError as error:
            return await compare_page(request, session, name, error=str(error), status=502)
        return RedirectResponse(f"/operator/models?notice=已上线 Deployed {name}", status_code=303)

    @router.post("/models/{name}/rollback", include_in_schema=False)
    async def rollback(request: Request, name: str) -> Response:
        session, _ = await changing(request)
        try:
            await asyncio.to_thread(console.models.rollback, name, session.name)
        except ModelError as error:
            return RedirectResponse(f"/operator/models?notice={error}", status_code=303)
        return RedirectResponse(f"/operator/models?notice=已回滚到 Rolled back to {name}", status_code=303)

    # -- the change log ---------------------------------------------------------------------------------

    @router.get("/log", include_in_schema=False)
    async def change_log(request: Request) -> Response:
        async def show(session: Session) -> HTMLResponse:
            entries = await asyncio.to_thread(console.accounts.audit_log, 300)
            rows = [[e.when.strftime("%Y-%m-%d %H:%M:%S"), e.who, e.action,
                     "; ".join(f"{k}: {v}" for k, v in e.details.items())] for e in entries]
            return render(request, session, "变更记录 Change log",
                          table("谁在何时做了什么 Who did what, when", ["时间 When", "谁 Who", "操作 Action",
                                                                      "详情 Details"], rows))
        return await guarded(request, show)

    return router


def operator_static() -> StaticFiles:
    """The console's styles and script (mounted at ``/operator/static``)."""
    return StaticFiles(directory=STATIC_DIR)
