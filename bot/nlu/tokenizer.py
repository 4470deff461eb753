"""Word segmentation for Chinese, English and mixed messages."""

from __future__ import annotations

import functools
from typing import Any, Literal

import jieba
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.services import all_terms

jieba.setLogLevel(60)  # jieba prints its dictionary loading otherwise


@functools.lru_cache(maxsize=1)
def _load_service_words() -> int:
    """Teach Jieba every Chinese service term, so that each is one token."""
    count = 0
    languages: tuple[Literal["zh", "en"], ...] = ("zh", "en")
    for language in languages:
        for term in all_terms(language):
            if not any(ch.isspace() for ch in term) and any("\u4e00" <= ch <= "\u9fff" for ch in term):
                jieba.add_word(term, freq=200000)
                count += 1
    return count


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LexiconJiebaTokenizer(Tokenizer):
    """Jieba segmentation that keeps service terms whole and drops whitespace.

    Rasa's own ``JiebaTokenizer`` keeps spaces as tokens (which splits English
    words with blank tokens) and needs a dictionary file copied into the model;
    this one reads the service terms from ``bot/lexicon`` directly.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LexiconJiebaTokenizer":
        """Creates the tokenizer and loads the service terms into Jieba."""
        _load_service_words()
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Splits the message's text into words, lower-casing nothing."""
        text = message.get(attribute) or ""
        tokens = [Token(word, start) for word, start, _ in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
