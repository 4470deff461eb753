"""Rasa's RabbitMQ event broker, publishing every event with ID numbers and mobile numbers masked.

The endpoints name it by its module path (``deploy/endpoints.yml``,
:func:`bot.production.event_broker_config`)::

    event_broker:
      type: bot.brokers.MaskingPikaEventBroker
      url: ...
      queues: [assistant_events]

Rasa 3.6 (``rasa.core.brokers.broker``) imports a ``type`` that is not one
of its own names with ``class_from_module_path`` and builds it with
``await cls.from_endpoint_config(endpoint_config)``; the pika broker's
classmethod builds ``cls``, so this subclass takes exactly the pika broker's
settings. The tracker store keeps the real values: only the published copy
is masked (:func:`bot.event_masking.mask_event`).
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.brokers.pika import PikaEventBroker

from bot.event_masking import mask_event


class MaskingPikaEventBroker(PikaEventBroker):
    """Rasa's pika event broker, publishing a masked copy of every event."""

    def publish(self, event: dict[str, Any], headers: Optional[dict[str, str]] = None) -> None:
        """Publish a masked copy of ``event`` (see :mod:`bot.event_masking`); ``event`` stays as it is.

        Args:
            event: A serialised event, as the tracker store streams it.
            headers: Message headers, as for Rasa's pika broker.

        """
        super().publish(mask_event(event), headers)
