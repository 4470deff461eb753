"""Applications, appointments and status checks: starting the forms, asking, submitting.

Submissions carry an idempotency key kept in the conversation: when the
portal is down or slow, the answers are kept and "try again" resubmits with
the same key, so the portal stores the application exactly once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fields import (
    FORM_FIELDS,
    HELPER_SLOTS,
    SUBMITTING_FORMS,
    display_value,
    field_named_in,
    form_fields,
    format_date,
)
from actions.forms import day_buttons, offered_times
from actions.language import conversation_language
from actions.portal_client import (
    Guide,
    Office,
    PortalError,
    call_portal,
    get_guide,
    get_offices,
    new_idempotency_key,
    portal_client,
)
from actions.services import APPLICATION_FORMS
from actions.texts import text
from bot.handoff import channel_of_sender
from bot.language import Language
from bot.services import catalogue
from bot.validators import group_digits

#: How many times are offered as buttons.
TIMES_OFFERED = 8


def clear_form(form: str, tracker: Tracker) -> list[EventType]:
    """Return events that forget a form's answers (and the submission in progress)."""
    slots = (*FORM_FIELDS.get(form, ()), *HELPER_SLOTS, "submission_key", "pending_form")
    return [SlotSet(slot, 0.0 if slot == "failed_attempts" else None) for slot in slots
            if tracker.get_slot(slot) not in (None, 0, 0.0)]


def channel_of(tracker: Tracker) -> str:
    """Return the channel a conversation comes from (``telegram-123`` → ``telegram``)."""
    channel = channel_of_sender(tracker.sender_id)
    return channel if channel != "rest" else str(tracker.get_latest_input_channel() or "rest")[:32]


#: Words that say an application is for someone else, and who that is to the person applying.
_RELATIONSHIPS = (
    ("mother", r"(帮|替|给|为)(我)?(妈|妈妈|母亲|老妈|老娘)|for my (mother|mum|mom)"),
    ("father", r"(帮|替|给|为)(我)?(爸|爸爸|父亲|老爸|老爷子)|for my (father|dad)"),
    ("grandparent", r"(帮|替|给|为)(我)?(爷爷|奶奶|外公|外婆|姥姥|姥爷)|for my grand(mother|father|ma|pa)"),
    ("spouse", r"(帮|替|给|为)(我)?(老伴|老公|老婆|丈夫|妻子|爱人)|for my (wife|husband)"),
    ("relative", r"(帮|替|给|为)(我)?(家里)?(老人|亲戚|婆婆|公公|岳父|岳母)|"
                 r"for (my|an) (parent|relative|elderly)|on (his|her|their) behalf"),
)


def proxy_relationship(message: str) -> Optional[str]:
    """Return who an application is for when it says so ("帮我妈申请" → ``mother``), else None."""
    for relationship, pattern in _RELATIONSHIPS:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return relationship
    return None


def _service_of_latest_message(tracker: Tracker) -> Optional[str]:
    services = catalogue()
    named = [v for v in tracker.get_latest_entity_values("service") if v in services]
    return named[0] if named else None


class ActionStartApplication(Action):
    """Choose the form for "I want to apply / book / check", and start it clean."""

    def name(self) -> str:
        return "action_start_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        service = _service_of_latest_message(tracker) or tracker.get_slot("service")
        if intent == "check_status":
            dispatcher.utter_message(text=text("starting_status", language))
            return [*clear_form("application_status_form", tracker),
                    SlotSet("next_form", "application_status_form")]
        if intent == "book_appointment":
            events = clear_form("appointment_form", tracker)
            if service in catalogue():
                events.append(SlotSet("appointment_service", service))
            dispatcher.utter_message(text=text("starting_form", language,
                                               name=text("form_name_appointment_form", language)))
            return [*events, SlotSet("next_form", "appointment_form"),
                    SlotSet("current_form", "appointment_form"),
                    SlotSet("form_started_at", datetime.now(timezone.utc).isoformat())]
        if service in APPLICATION_FORMS:
            form = APPLICATION_FORMS[service]
            name = text(f"form_name_{form}", language)
            dispatcher.utter_message(text=text("starting_form", language, name=name))
            for_whom = proxy_relationship(tracker.latest_message.get("text") or "")
            return [*clear_form(form, tracker), SlotSet("service", service), SlotSet("next_form", form),
                    SlotSet("current_form", form),
                    SlotSet("form_started_at", datetime.now(timezone.utc).isoformat()),
                    SlotSet("proxy_relationship", for_whom)]
        if service in catalogue():
            name = catalogue()[service].name(language)
            dispatcher.utter_message(text=text("not_online", language, name=name), buttons=[
                {"title": text("button_book", language),
                 "payload": f'/book_appointment{{"service":"{service}"}}'},
                {"title": text("aspect_materials", language),
                 "payload": f'/ask_service{{"service":"{service}","aspect":"materials"}}'},
            ])
            return [SlotSet("next_form", "none")]
        dispatcher.utter_message(text=text("which_application", language), buttons=[
            {"title": text("apply_id_card", language), "payload": '/start_application{"service":"id_card"}'},
            {"title": text("apply_pension", language), "payload": '/start_application{"service":"pension"}'},
            {"title": text("button_book", language), "payload": "/book_appointment"},
            {"title": text("button_status", language), "payload": "/check_status"},
        ])
        return [SlotSet("next_form", "none")]


# -- questions whose choices come from the portal ------------------------------------------


async def _ask_office(dispatcher: CollectingDispatcher, tracker: Tracker, service: str, key: str) -> None:
    language = conversation_language(tracker)
    try:
        offices = await get_offices(language, service)
    except PortalError:
        dispatcher.utter_message(text=text("portal_unavailable_question", language))
        return
    lines = "\n".join(f"{i}. {o.name}（{o.address}）" if language == "zh" else f"{i}. {o.name} ({o.address})"
                      for i, o in enumerate(offices[:6], start=1))
    dispatcher.utter_message(text=text(key, language) + "\n" + lines,
                             buttons=[{"title": o.name, "payload": o.name} for o in offices[:6]])


class ActionAskCollectionOffice(Action):
    """Ask where to collect the new ID card, offering the halls that issue them."""

    def name(self) -> str:
        return "action_ask_collection_office"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _ask_office(dispatcher, tracker, "id_card", "ask_collection_office")
        return []


class ActionAskAppointmentOffice(Action):
    """Ask which hall to visit, offering those that offer the service."""

    def name(self) -> str:
        return "action_ask_appointment_office"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        await _ask_office(dispatcher, tracker, tracker.get_slot("appointment_service") or "id_card",
                          "ask_appointment_office")
        return []


class ActionAskAppointmentDate(Action):
    """Ask which day, offering the next days with free times."""

    def name(self) -> str:
        return "action_ask_appointment_date"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        try:
            slots = await call_portal(portal_client().free_slots, tracker.get_slot("appointment_office"),
                                      tracker.get_slot("appointment_service"))
        except PortalError:
            dispatcher.utter_message(text=text("portal_unavailable_question", language))
            return []
        dispatcher.utter_message(text=text("ask_appointment_date", language),
                                 buttons=day_buttons(slots, language))
        return []


class ActionAskAppointmentTime(Action):
    """Ask what time, offering the free times of the chosen day."""

    def name(self) -> str:
        return "action_ask_appointment_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        try:
            offered = await offered_times(tracker)
        except PortalError:
            dispatcher.utter_message(text=text("portal_unavailable_question", language))
            return []
        day = format_date(date.fromisoformat(str(tracker.get_slot("appointment_date"))), language)
        dispatcher.utter_message(text=text("ask_appointment_time", language, date=day),
                                 buttons=[{"title": s.start, "payload": s.start}
                                          for s in offered[:TIMES_OFFERED]])
        return []


async def _office_names(language: Language) -> dict[str, str]:
    try:
        return {o.id: o.name for o in await get_offices(language)}
    except PortalError:
        return {}


class ActionAskConfirmed(Action):
    """Read every answer back and ask to confirm; after a bare "no", ask which is wrong."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        form = tracker.active_loop.get("name")
        fields = form_fields(form, tracker.slots)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        said = str(tracker.latest_message.get("text") or "")
        bare_no = intent == "deny" and field_named_in(said, fields) is None
        if bare_no and all(tracker.get_slot(f) is not None for f in fields):
            labels = [text(f"label_{f}", language) for f in fields]
            buttons = [{"title": label, "payload": text("field_wrong", language, label=label)}
                       for label in labels]
            buttons.append({"title": text("button_cancel", language), "payload": "/cancel"})
            dispatcher.utter_message(text=text("which_field_wrong", language), buttons=buttons)
            return []
        names = await _office_names(language)
        separator = "：" if language == "zh" else ": "
        lines = "\n".join(f"{text(f'label_{f}', language)}{separator}"
                          f"{display_value(f, tracker.get_slot(f), language, names)}" for f in fields)
        dispatcher.utter_message(text=text("readback", language, lines=lines), buttons=[
            {"title": text("button_confirm", language), "payload": "/affirm"},
            {"title": text("button_wrong", language), "payload": "/deny"},
            {"title": text("button_cancel", language), "payload": "/cancel"},
        ])
        return []


# -- submitting -------------------------------------------------------------------------------


def application_body(form: str, slots: dict[str, Any], channel: str) -> dict[str, Any]:
    """Return the portal request for a completed form (see portal/API.md)."""
    applicant = {"name": slots.get("applicant_name"), "id_number": slots.get("id_number"),
                 "phone": slots.get("phone")}
    proxy = None
    if slots.get("proxy_relationship") and slots.get("proxy_consent") == "yes":
        proxy = {"name": slots.get("proxy_name"), "phone": slots.get("proxy_phone"),
                 "relationship": slots.get("proxy_relationship"), "consent": True}
    if form == "id_card_form":
        reason = slots.get("id_card_reason")
        return {"service_id": "id_card", "kind": "replacement" if reason == "lost" else "renewal",
                "applicant": applicant, "channel": channel, "proxy": proxy,
                "fields": {"reason": reason, "collection_office_id": slots.get("collection_office")}}
    if form == "pension_certification_form":
        fields = {"method": slots.get("pension_method")}
        if slots.get("pension_method") == "home_visit":
            fields["address"] = slots.get("home_address")
        return {"service_id": "pension", "kind": "qualification_certification", "applicant": applicant,
                "channel": channel, "proxy": proxy, "fields": fields}
    if form == "appointment_form":
        return {"slot_id": int(slots.get("appointment_slot_id") or 0),
                "service_id": slots.get("appointment_service"),
                "name": slots.get("applicant_name"), "phone": slots.get("phone")}
    raise ValueError(f"{form} does not submit anything")


def _materials(guide: Optional[Guide], language: Language) -> str:
    if guide is None or not guide.materials:
        return "—"
    return ("、" if language == "zh" else ", ").join(guide.materials)


def _office(guide: Optional[Guide], office_id: Optional[str]) -> Optional[Office]:
    if guide is None:
        return None
    return next((o for o in guide.offices if o.id == office_id), guide.offices[0] if guide.offices else None)


class ActionSubmitApplication(Action):
    """Submit the confirmed form once; on failure keep everything for "try again"."""

    def name(self) -> str:
        return "action_submit_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        form = tracker.get_slot("pending_form")
        if form not in FORM_FIELDS or tracker.get_slot("confirmed") != "yes":
            dispatcher.utter_message(text=text("nothing_to_retry", language))
            return []
        key = tracker.get_slot("submission_key") or new_idempotency_key()
        channel = channel_of(tracker)
        body = application_body(form, tracker.slots, channel)
        client = portal_client()
        try:
            if form == "appointment_form":
                appointment = await call_portal(client.book_appointment, body, key)
                guide = await self._guide(appointment.service_id, language)
                office = next((o for o in guide.offices if o.id == appointment.office.id),  # user's language
                              appointment.office) if guide else appointment.office
                dispatcher.utter_message(text=text(
                    "booked", language, number=appointment.appointment_no,
                    date=format_date(appointment.date, language), start=appointment.start,
                    end=appointment.end,
                    office=office.name, address=office.address,
                    materials=_materials(guide, language), phone=group_digits(str(body["phone"]), (3, 4, 4))))
            else:
                application = await call_portal(client.submit_application, body, key)
                await self._summarise(dispatcher, form, application.application_no, tracker.slots, language)
        except PortalError as error:
            return self._failed(dispatcher, tracker, error, form, key, language)
        return clear_form(form, tracker)

    @staticmethod
    async def _guide(service_id: str, language: Language) -> Optional[Guide]:
        try:
            return await get_guide(service_id, language)
        except PortalError:
            return None

    async def _summarise(self, dispatcher: CollectingDispatcher, form: str, number: str,
                         slots: dict[str, Any], language: Language) -> None:
        """Say the one summary: number, what happens next, what to bring, where and when."""
        phone = group_digits(str(slots.get("phone")), (3, 4, 4))
        grouped = group_digits(number, (4, 4, 4))
        if form == "id_card_form":
            guide = await self._guide("id_card", language)
            office = _office(guide, slots.get("collection_office"))
            dispatcher.utter_message(text=text(
                "submitted_id_card", language, number=grouped, phone=phone,
                processing=guide.processing_time.rstrip("。.") if guide else "—",
                office=office.name if office else "—", address=office.address if office else "—",
                hours=office.opening_hours_text if office else "—", materials=_materials(guide, language)))
            return
        guide = await self._guide("pension", language)
        method = str(slots.get("pension_method"))
        office = _office(guide, None)
        next_step = text(f"pension_next_{method}", language, phone=phone,
                         office=office.name if office else "—", address=office.address if office else "—",
                         hours=office.opening_hours_text if office else "—")
        dispatcher.utter_message(text=text("submitted_pension", language, number=grouped, next_step=next_step,
                                           materials=_materials(guide, language)))

    @staticmethod
    def _failed(dispatcher: CollectingDispatcher, tracker: Tracker, error: PortalError, form: str, key: str,
                language: Language) -> list[EventType]:
        if error.may_succeed_later:
            dispatcher.utter_message(text=text("submit_unavailable", language), buttons=[
                {"title": text("button_try_again", language), "payload": "/try_again"}])
            return [SlotSet("submission_key", key), SlotSet("pending_form", form)]
        if error.kind == "conflict" and form == "appointment_form" and error.code == "slot_full":
            dispatcher.utter_message(text=text("slot_taken", language))
            return [SlotSet("appointment_time", None), SlotSet("appointment_slot_id", None),
                    SlotSet("confirmed", None), SlotSet("submission_key", None),
                    SlotSet("pending_form", None),
                    FollowupAction("appointment_form")]
        dispatcher.utter_message(text=text("submit_refused", language, reason=error.code or error.kind))
        return clear_form(form, tracker)


class ActionCheckApplicationStatus(Action):
    """Report an application's status (the phone number must match)."""

    def name(self) -> str:
        return "action_check_application_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        number, phone = tracker.get_slot("application_no"), tracker.get_slot("phone")
        try:
            application = await call_portal(portal_client().application, str(number), str(phone))
        except PortalError as error:
            if error.may_succeed_later:
                dispatcher.utter_message(text=text("portal_unavailable_question", language))
            else:
                dispatcher.utter_message(text=text("status_not_found", language))
            return clear_form("application_status_form", tracker)
        service = catalogue().get(application.service_id)
        note = application.history[-1].note if application.history else ""
        status_key = f"status_{application.status}"
        dispatcher.utter_message(text=text(
            "status_report", language, number=group_digits(application.application_no, (4, 4, 4)),
            service=service.name(language) if service else application.service_id,
            status=text(status_key, language) if status_key in _STATUS_KEYS else application.status,
            note=note if language == "zh" or note.isascii() else ""))
        return clear_form("application_status_form", tracker)


_STATUS_KEYS = {f"status_{s}"
                for s in ("submitted", "accepted", "processing", "ready", "completed", "rejected")}


class ActionCancelApplication(Action):
    """Stop the form under way: nothing is submitted and its answers are forgotten."""

    def name(self) -> str:
        return "action_cancel_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=text("cancelled_application", conversation_language(tracker)))
        events: list[EventType] = []
        for form in FORM_FIELDS:
            events.extend(clear_form(form, tracker))
        return events


class ActionFormHelp(Action):
    """Say, inside a form, what is being asked and what the user can do."""

    def name(self) -> str:
        return "action_form_help"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        form = tracker.active_loop.get("name") or ""
        slot = tracker.get_slot("requested_slot") or "confirmed"
        dispatcher.utter_message(text=text("form_help", language, name=text(f"form_name_{form}", language),
                                           label=text(f"label_{slot}", language)))
        return []



#: How long an unfinished application can be picked up again.
RESUME_DAYS = 7


class ActionResumeApplication(Action):
    """Pick up an unfinished application where the user left it ("继续刚才的申请")."""

    def name(self) -> str:
        return "action_resume_application"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = conversation_language(tracker)
        started = tracker.get_slot("form_started_at")
        try:
            age = datetime.now(timezone.utc) - datetime.fromisoformat(str(started))
        except ValueError:
            age = timedelta(days=RESUME_DAYS + 1)
        filled = {form: sum(tracker.get_slot(f) is not None for f in FORM_FIELDS[form])
                  for form in SUBMITTING_FORMS}
        current = tracker.get_slot("current_form")
        form = current if current in filled else max(filled, key=lambda f: filled[f])
        if filled[form] == 0 or age > timedelta(days=RESUME_DAYS):
            events: list[EventType] = []
            for stale in SUBMITTING_FORMS:
                events.extend(clear_form(stale, tracker))
            dispatcher.utter_message(text=text("nothing_to_resume", language))
            return [*events, SlotSet("next_form", "none")]
        dispatcher.utter_message(text=text("resuming", language, name=text(f"form_name_{form}", language)))
        return [SlotSet("next_form", form), SlotSet("confirmed", None)]
