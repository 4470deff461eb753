"""Conversation events with ID numbers and mobile numbers masked, for what leaves the Rasa servers.

Every event Rasa publishes to the event broker (``bot.brokers``) passes
through :func:`mask_event` first: the published copy carries no ID number and
no mobile number, while the tracker store keeps the real values the
application needs.

- Every text anywhere in the event is masked with
  :func:`bot.operators.masking.mask_identifiers`: what the citizen typed or
  said (``text``, ``parse_data``, entity values), what the assistant said
  (``text``, buttons, custom ``data``), slot values, ``metadata``, end-to-end
  action texts, and whatever a later Rasa version adds. Whole numbers are read
  as text too (a phone number given as a JSON number).
- The values of the slots that hold an ID number or a phone number
  (:data:`ID_NUMBER_SLOTS`, :data:`PHONE_SLOTS`) are masked whole, whatever
  their form, in slot events and in entities of those names.
- The keys that identify an event or its time (:data:`UNMASKED_KEYS`) are
  published as they are, so that consumers can still order and match events.

The event itself is never changed: the masked copy shares nothing mutable with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.operators.masking import mask_identifiers
from bot.validators import mask_id_number, mask_phone

#: Slots (domain.yml) whose value is a resident ID number.
ID_NUMBER_SLOTS = frozenset({"id_number"})
#: Slots (domain.yml) whose value is a phone number.
PHONE_SLOTS = frozenset({"phone", "proxy_phone", "callback_phone"})
#: Keys whose values identify an event or its time, never a person's data.
UNMASKED_KEYS = frozenset({"event", "timestamp", "message_id", "model_id"})


def mask_value(value: Any) -> Any:
    """Return a masked copy of a JSON-like value (texts masked, containers copied)."""
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        masked = mask_identifiers(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, Mapping):
        return _mask_mapping(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [mask_value(item) for item in value]
    return mask_value(str(value))


def mask_slot_value(slot: str, value: Any) -> Any:
    """Mask a slot's value: whole for ID number and phone slots, like any value otherwise."""
    if value is None or isinstance(value, (bool, float, Mapping, list, tuple)):
        return mask_value(value)
    if slot in ID_NUMBER_SLOTS:
        return mask_id_number(mask_identifiers(str(value)))
    if slot in PHONE_SLOTS:
        return mask_phone(mask_identifiers(str(value)))
    return mask_value(value)


def _mask_mapping(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    # A slot event ({"event": "slot", "name": ..., "value": ...}) or an entity ({"entity": ..., "value": ...})
    # names the slot its value is for.
    if mapping.get("event") == "slot":
        slot = mapping.get("name")
    else:
        slot = mapping.get("entity")
    masked: dict[Any, Any] = {}
    for key, value in mapping.items():
        if key in UNMASKED_KEYS:
            masked[key] = value
        elif key == "value" and isinstance(slot, str):
            masked[key] = mask_slot_value(slot, value)
        else:
            masked[key] = mask_value(value)
    return masked


def mask_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Return a masked copy of a serialised Rasa event (``Event.as_dict()`` plus ``sender_id``).

    Args:
        event: The event as the tracker store publishes it; left unchanged.

    Returns:
        A new event with every ID number and mobile number masked
        (``330106********0028``, ``138****5678``).

    """
    return _mask_mapping(event)
