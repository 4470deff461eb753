"""Texts that custom actions say, in Chinese and English.

Fixed replies live in ``domain.yml``; these are the ones an action builds
(with names or numbers filled in). Every text has both languages
(``tests/unit/test_bilingual_texts.py`` checks).
"""

from __future__ import annotations

from typing import Any

from bot.language import Language

TEXTS: dict[str, dict[Language, str]] = {
    "nothing_to_repeat": {
        "zh": "我刚才还没说什么。请问您想办什么事？",
        "en": "I haven't said anything yet. What can I help you with?",
    },
    "ask_which_service": {
        "zh": "请问您想办哪一项？可以点下面的按钮，也可以直接说。",
        "en": "Which service do you mean? Tap a button below or just tell me.",
    },
    "service_overview": {
        "zh": "您问的是「{service_name}」。要带哪些材料、去哪里办、多久能办好，"
              "请拨打政务服务热线 12345 咨询，或者到就近的政务服务大厅问窗口工作人员。",
        "en": "You are asking about: {service_name}. For the documents to bring, where to go and "
              "how long it takes, please call the government service hotline 12345 or ask at your "
              "nearest service hall.",
    },
}


def text(key: str, language: Language, **values: Any) -> str:
    """Return a text in a language with its placeholders filled.

    Args:
        key: The text's key in ``TEXTS``.
        language: ``zh`` or ``en``.
        **values: Values for the text's ``{placeholders}``.

    """
    return TEXTS[key][language].format(**values)
