"""Custom NLU components: input checks and service resolution.

They run inside the Rasa pipeline (see ``config.yml``) and are not trained.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.input_check import find_input_problem, is_button_payload, shorten_for_understanding
from bot.services import find_services, main_services, resolve_service

#: Message attribute set by InputGuard for unreadable messages.
INPUT_PROBLEM = "input_problem"
SERVICE_ENTITY = "service"
OUT_OF_SCOPE_INTENT = "out_of_scope"
SERVICE_QUESTION_INTENT = "ask_service"


class _StatelessComponent(GraphComponent):
    """A component with nothing to train and nothing to persist."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Creates the component (see the parent class)."""
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data as it is."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class InputGuard(_StatelessComponent):
    """Flags unreadable messages and shortens very long ones.

    Runs first. An unreadable message (empty, emoji-only, binary) is given a
    neutral placeholder text so that the rest of the pipeline works as usual,
    and ``ServiceResolver`` later turns its intent into ``nlu_fallback``.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Checks each message's text."""
        for message in messages:
            text = message.get(TEXT)
            if is_button_payload(text):
                continue
            problem = find_input_problem(text)
            if problem is not None:
                message.set(INPUT_PROBLEM, problem.value)
                message.set(TEXT, ".", add_to_output=False)
            elif len(text) > len(shorten_for_understanding(text)):
                message.set(TEXT, shorten_for_understanding(text))
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ServiceResolver(_StatelessComponent):
    """Makes the ``service`` entity's value a catalogue id.

    - Phrases found by the model are resolved through ``bot/lexicon``
      ("社报卡" -> ``social_security_card``); phrases naming no service are dropped.
    - When the model found none, the lexicon is searched directly (leniently,
      with short homophones, when the model says it is a service question).
    - Context terms ("退休", "户口本") are dropped when another service is named.
    - Out-of-scope messages carry no service; an unsure (``nlu_fallback``)
      message that plainly names a service becomes a service question.
    - Unreadable messages (see ``InputGuard``) become ``nlu_fallback``.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        """Resolves the services of each message."""
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        if message.get(INPUT_PROBLEM):
            message.set(INTENT, {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0},
                        add_to_output=True)
            message.set(ENTITIES, [], add_to_output=True)
            return
        intent = (message.get(INTENT) or {}).get("name")
        others = [e for e in message.get(ENTITIES, []) if e.get("entity") != SERVICE_ENTITY]
        if intent == OUT_OF_SCOPE_INTENT:
            message.set(ENTITIES, others, add_to_output=True)
            return
        services = self._resolved_model_entities(message)
        if not services:
            lenient = intent == SERVICE_QUESTION_INTENT
            services = self._lexicon_entities(message.get(TEXT) or "", lenient)
            exact = any(e["confidence_entity"] == 1.0 for e in services)
            if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and exact:
                message.set(INTENT, {"name": SERVICE_QUESTION_INTENT, "confidence": 1.0},
                            add_to_output=True)
        text = message.get(TEXT) or ""
        keep = set(main_services([(self._phrase(text, e), e["value"]) for e in services]))
        services = [e for e in services if e["value"] in keep]
        message.set(ENTITIES, others + services, add_to_output=True)

    @staticmethod
    def _resolved_model_entities(message: Message) -> list[dict[str, Any]]:
        resolved = []
        for entity in message.get(ENTITIES, []):
            if entity.get("entity") != SERVICE_ENTITY:
                continue
            service_id = resolve_service(ServiceResolver._phrase(message.get(TEXT) or "", entity))
            if service_id is not None:
                resolved.append({**entity, "value": service_id})
        return resolved

    @staticmethod
    def _phrase(text: str, entity: dict[str, Any]) -> str:
        return text[entity["start"]:entity["end"]] if "start" in entity else str(entity["value"])

    @staticmethod
    def _lexicon_entities(text: str, lenient: bool) -> list[dict[str, Any]]:
        return [
            {
                "entity": SERVICE_ENTITY,
                "start": match.start,
                "end": match.end,
                "value": match.service_id,
                "confidence_entity": 1.0 if match.how == "exact" else 0.8,
                "extractor": "ServiceResolver",
                "processors": [],
            }
            for match in find_services(text, lenient=lenient)
        ]
