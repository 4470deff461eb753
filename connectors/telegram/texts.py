"""What the Telegram connector itself says, in Chinese and English."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "commands": {
        "zh": "可以直接打字或发语音。常用命令：\n/help 我能做什么\n/language 换语言（中文/English）\n"
              "/elderly 长辈模式：大按钮、语音回复、说得慢\n/human 找工作人员\n/cancel 取消正在办的事",
        "en": "Just type or send a voice message. Commands:\n/help what I can do\n/language switch language\n"
              "/elderly senior mode: big buttons, spoken replies, slower\n/human talk to a person\n"
              "/cancel stop what we are doing",
    },
    "elderly_on": {
        "zh": "长辈模式已打开：按钮更大，回复会同时发语音，说得更慢。再发 /elderly 可以关掉。",
        "en": "Senior mode is on: bigger buttons, spoken replies, slower speech. Send /elderly again to turn it off.",
    },
    "elderly_off": {
        "zh": "长辈模式已关闭。再发 /elderly 可以打开。",
        "en": "Senior mode is off. Send /elderly to turn it on again.",
    },
    "unsupported": {
        "zh": "这个我看不懂。请打字，或者按住话筒发一段语音告诉我您想办什么。",
        "en": "I can't read that. Please type, or send a voice message telling me what you need.",
    },
    "heard": {"zh": "我听到的是：{text}", "en": "I heard: {text}"},
    "not_heard": {
        "zh": "抱歉，我没听清。请靠近一点再说一遍，或者直接打字。",
        "en": "Sorry, I couldn't make that out. Please say it again a little closer, or type it.",
    },
    "voice_too_long": {
        "zh": "这段语音太长了。请一次只说一件事，一分钟以内。",
        "en": "That voice message is too long. Please say one thing at a time, in under a minute.",
    },
    "voice_unavailable": {
        "zh": "抱歉，这里暂时听不了语音（语音识别没有安装）。请打字告诉我。",
        "en": "Sorry, I can't listen to voice messages here yet (speech recognition is not installed). "
              "Please type instead.",
    },
    "assistant_busy": {
        "zh": "抱歉，系统现在有点忙，请过一会儿再发一次。您刚才说的没有丢。",
        "en": "Sorry, the system is busy right now. Please send that again in a moment; nothing you said is lost.",
    },
    "button_expired": {
        "zh": "这个按钮已经过期了，请用最新消息里的按钮，或者直接打字。",
        "en": "That button has expired. Please use the buttons of the latest message, or type.",
    },
    "operator_says": {"zh": "工作人员{name}：{text}", "en": "Staff {name}: {text}"},
    "empty": {
        "zh": "您发的消息是空的。请告诉我您想办什么。",
        "en": "Your message was empty. Please tell me what you need.",
    },
}


def say(key: str, language: str, **values: Any) -> str:
    """Return a connector text in a language (Chinese unless ``en``)."""
    return TEXTS[key]["en" if language == "en" else "zh"].format(**values)
