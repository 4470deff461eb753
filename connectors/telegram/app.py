"""The Telegram connector: each chat is a conversation with the assistant.

Text, buttons, voice notes and commands come in through python-telegram-bot;
they become user messages on the assistant's REST channel; the replies go
back as Telegram messages (and voice notes when the user spoke, or in senior
mode). Chats are handled concurrently, each chat's messages one at a time
in the order they came.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import timedelta
from typing import Any, Awaitable, Callable, Optional, TypeVar

from telegram import CallbackQuery, Message, ReplyKeyboardRemove, Update
from telegram.constants import ChatAction, ChatMemberStatus
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.handoff import HandoffDesk
from bot.language import detect_language
from bot.settings import Settings
from connectors.assistant_client import AssistantUnavailable, MessageRefused, RasaClient, Reply
from connectors.operator_replies import deliver_operator_replies
from connectors.telegram.chats import Chat, Chats
from connectors.telegram.render import big_keyboard, inline_keyboard, split_message
from connectors.telegram.speech import Speech, SpeechProblem
from connectors.telegram.texts import say
from connectors.telegram.webhook import Webhook, serve_webhook

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Voice notes longer than this are not transcribed.
LONGEST_VOICE_SECONDS = 60
#: Tries of one Bot API call when Telegram asks to slow down or the network fails.
SEND_TRIES = 5
#: What each command sends to the assistant (a payload that names the intent).
COMMAND_PAYLOADS = {"help": "/help", "language": "/change_language", "human": "/human_handoff",
                    "cancel": "/cancel"}


def webhook_secret(settings: Settings) -> str:
    """Return the webhook secret: the setting, else one derived from the bot token."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    return hashlib.sha256(f"webhook:{settings.telegram_bot_token}".encode()).hexdigest()[:48]


def file_base_url(api_base_url: str) -> str:
    """Return the file download base matching a Bot API base URL (``…/bot`` → ``…/file/bot``)."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


async def with_retries(call: Callable[[], Awaitable[T]]) -> Optional[T]:
    """Run a Bot API call, waiting as Telegram asks on flood limits; None when the chat blocked us."""
    for attempt in range(SEND_TRIES):
        try:
            return await call()
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            logger.info("Telegram asks to wait %.0f s", seconds)
            await asyncio.sleep(seconds)
        except Forbidden:
            logger.info("The user blocked the bot; message dropped")
            return None
        except BadRequest:
            raise  # Telegram refused the call itself: trying again gives the same answer
        except (TimedOut, NetworkError) as error:
            if attempt == SEND_TRIES - 1:
                raise
            logger.info("Telegram call failed (%s); trying again", error)
            await asyncio.sleep(0.5 * (attempt + 1))
    raise TimedOut("Telegram kept asking to wait")


class TelegramConnector:
    """Handlers that turn Telegram updates into conversations with the assistant."""

    def __init__(self, rasa: RasaClient, chats: Chats, speech: Speech) -> None:
        """Create the connector.

        Args:
            rasa: The way to the assistant.
            chats: What is remembered about each chat.
            speech: Speech recognition and synthesis for voice notes.

        """
        self.rasa = rasa
        self.chats = chats
        self.speech = speech

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the connector's handlers to a python-telegram-bot application."""
        application.add_handler(CommandHandler("start", self.on_start))
        application.add_handler(CommandHandler("elderly", self.on_elderly))
        for command in COMMAND_PAYLOADS:
            application.add_handler(CommandHandler(command, self.on_command))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        updates = filters.UpdateType.MESSAGE  # edited messages are left alone
        application.add_handler(MessageHandler(updates & filters.VOICE, self.on_voice))
        application.add_handler(MessageHandler(updates & filters.TEXT & ~filters.COMMAND, self.on_text))
        application.add_handler(MessageHandler(updates & filters.COMMAND, self.on_unknown_command))
        other_content = updates & ~filters.TEXT & ~filters.VOICE & ~filters.StatusUpdate.ALL
        application.add_handler(MessageHandler(other_content, self.on_unsupported))
        application.add_error_handler(self.on_error)

    # -- handlers -------------------------------------------------------------------------

    def _chat(self, update: Update) -> Optional[Chat]:
        if update.effective_chat is None:
            return None
        user = update.effective_user
        chat = self.chats.get(update.effective_chat.id, user.language_code if user else None)
        if chat.blocked:  # they wrote again: they unblocked us
            chat.blocked = False
            self.chats.save()
        return chat

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet, and list what can be done."""
        chat = self._chat(update)
        if chat is None:
            return
        async with chat.lock:
            await self._converse(chat, context, "/greet")
            await self._send_text(chat, context, say("commands", chat.language))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, /language, /human, /cancel: the same as saying them."""
        chat, message = self._chat(update), update.effective_message
        if chat is None or message is None or not message.text:
            return
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        async with chat.lock:
            await self._converse(chat, context, COMMAND_PAYLOADS[command])

    async def on_elderly(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Turn senior mode on or off: big buttons, spoken replies, slow speech."""
        chat = self._chat(update)
        if chat is None:
            return
        async with chat.lock:
            chat.elderly = not chat.elderly
            self.chats.save()
            markup = None if chat.elderly else ReplyKeyboardRemove()
            await self._send_text(chat, context, say("elderly_on" if chat.elderly else "elderly_off",
                                                     chat.language), markup=markup)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed message (or the label of a big button)."""
        chat, message = self._chat(update), update.effective_message
        if chat is None or message is None:
            return
        text = message.text or ""
        async with chat.lock:
            if not text.strip():
                await self._send_text(chat, context, say("empty", chat.language))
                return
            await self._converse(chat, context, chat.buttons.payload_for_text(text) or text)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed inline button."""
        chat, query = self._chat(update), update.callback_query
        if chat is None or query is None:
            return
        payload = chat.buttons.payload_for_key(query.data or "")
        if payload is None:
            await self._answer_button(query, say("button_expired", chat.language))
            return
        await self._answer_button(query)
        async with chat.lock:
            if isinstance(query.message, Message):
                try:  # a pressed choice cannot be pressed twice
                    await query.message.edit_reply_markup(reply_markup=None)
                except TelegramError:
                    pass
            await self._converse(chat, context, payload)

    @staticmethod
    async def _answer_button(query: CallbackQuery, text: Optional[str] = None) -> None:
        """Stop the button's spinner; the press is handled even when Telegram refuses this.

        Telegram refuses answers to presses older than about 15 seconds (while
        the connector was restarting, say) or with an unknown query id.
        """
        try:
            await with_retries(lambda: query.answer(text))
        except BadRequest as error:
            logger.info("Could not answer a button press: %s", error)

    async def on_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice note: transcribe it, show what was heard, answer (also by voice)."""
        chat, message = self._chat(update), update.effective_message
        if chat is None or message is None or message.voice is None:
            return
        voice = message.voice
        async with chat.lock:
            duration = voice.duration.total_seconds() if isinstance(voice.duration, timedelta) \
                else float(voice.duration or 0)
            if duration > LONGEST_VOICE_SECONDS:
                await self._send_text(chat, context, say("voice_too_long", chat.language))
                return
            try:
                telegram_file = await voice.get_file()
                audio = bytes(await telegram_file.download_as_bytearray())
                heard = await self.speech.transcribe(audio, chat.language)
            except SpeechProblem as problem:
                await self._send_text(chat, context, say(problem.text_key, chat.language))
                return
            except TelegramError as error:
                logger.warning("Could not fetch a voice note: %s", error)
                await self._send_text(chat, context, say("not_heard", chat.language))
                return
            await self._send_text(chat, context, say("heard", chat.language, text=heard))
            await self._converse(chat, context, heard, spoken=True)

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, documents, locations…: say what works instead."""
        chat = self._chat(update)
        if chat is None:
            return
        async with chat.lock:
            await self._send_text(chat, context, say("unsupported", chat.language))

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not have: list the ones it has."""
        chat = self._chat(update)
        if chat is None:
            return
        async with chat.lock:
            await self._send_text(chat, context, say("commands", chat.language))

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Remember when a user blocks the bot (nothing is sent to them then)."""
        change = update.my_chat_member
        if change is None:
            return
        chat = self.chats.get(change.chat.id)
        chat.blocked = change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        self.chats.save()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an error; the bot and other chats go on."""
        logger.error("Error while handling an update: %s", context.error, exc_info=context.error)

    # -- talking to the assistant and to Telegram -----------------------------------------

    async def _converse(self, chat: Chat, context: ContextTypes.DEFAULT_TYPE, message: str,
                        spoken: bool = False) -> None:
        """Send one user message to the assistant and show (and maybe speak) its answer."""
        await with_retries(lambda: context.bot.send_chat_action(chat.chat_id, ChatAction.TYPING))
        try:
            replies = await self.rasa.send(chat.sender, message, "telegram")
        except MessageRefused as error:
            logger.info("The assistant refused a message: %s", error)
            await self._send_text(chat, context, say("unsupported", chat.language))
            return
        except AssistantUnavailable as error:
            logger.warning("The assistant did not answer: %s", error)
            await self._send_text(chat, context, say("assistant_busy", chat.language))
            return
        for reply in replies:
            language = detect_language(reply.text)
            if language in ("zh", "en") and language != chat.language:
                chat.language = language
                self.chats.save()
            if reply.custom.get("elderly_mode") and not chat.elderly:  # the user chose senior mode
                chat.elderly = True
                self.chats.save()
        for reply in replies:
            await self._show(chat, context, reply)
        if (spoken or chat.elderly) and replies:
            await self._speak(chat, context, "\n".join(r.text for r in replies if r.text))

    async def _show(self, chat: Chat, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
        if not reply.text and not reply.buttons:
            return  # an instruction for the channel only
        parts = split_message(reply.text) or ([""] if reply.buttons else [])
        for index, part in enumerate(parts):
            markup: Any = None
            if reply.buttons and index == len(parts) - 1:
                markup = big_keyboard(reply.buttons, chat.buttons) if chat.elderly \
                    else inline_keyboard(reply.buttons, chat.buttons)
            await self._send_text(chat, context, part or "…", markup=markup)

    async def _send_text(self, chat: Chat, context: ContextTypes.DEFAULT_TYPE, text: str,
                         markup: Any = None) -> None:
        parts = split_message(text)
        for index, part in enumerate(parts):
            keyboard = markup if index == len(parts) - 1 else None
            try:
                await with_retries(
                    lambda: context.bot.send_message(chat.chat_id, part, reply_markup=keyboard))  # noqa: B023
            except BadRequest as error:
                logger.warning("Telegram refused a message: %s", error)

    async def _speak(self, chat: Chat, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
        try:
            voice = await self.speech.speak(text, chat.language, slow=True)
        except SpeechProblem as problem:
            logger.info("No spoken reply: %s", problem)
            return
        await with_retries(lambda: context.bot.send_voice(chat.chat_id, voice))


#: The command menu Telegram shows, per language.
COMMAND_MENU = {
    "zh": [("start", "开始"), ("help", "我能做什么"), ("language", "换语言 / English"),
           ("elderly", "长辈模式：大按钮、语音、慢一点"), ("human", "找工作人员"),
           ("cancel", "取消正在办的事")],
    "en": [("start", "Start"), ("help", "What I can do"), ("language", "Switch language / 中文"),
           ("elderly", "Senior mode: big buttons, voice, slower"), ("human", "Talk to a person"),
           ("cancel", "Stop what we are doing")],
}


async def register_commands(bot: Any) -> None:
    """Show the commands in Telegram's menu, in Chinese (default) and English."""
    try:
        await bot.set_my_commands(COMMAND_MENU["zh"])
        await bot.set_my_commands(COMMAND_MENU["en"], language_code="en")
    except TelegramError as error:
        logger.warning("Could not register the command menu: %s", error)


def build_application(settings: Settings, connector: TelegramConnector
                      ) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the python-telegram-bot application for the settings."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    builder = ApplicationBuilder().token(settings.telegram_bot_token).concurrent_updates(True)
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url) \
            .base_file_url(file_base_url(settings.telegram_api_base_url))
    async def wait_for_assistant(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await register_commands(app.bot)
        desk = HandoffDesk.from_settings(settings)

        async def deliver(sender: str, name: str, reply: str) -> bool:
            chat_id = int(sender.split("-", 1)[1])
            text = say("operator_says", connector.chats.get(chat_id).language, name=name, text=reply)
            await with_retries(lambda: app.bot.send_message(chat_id, text))
            return True

        app.create_task(deliver_operator_replies(desk, "telegram", deliver))
        if not await connector.rasa.wait_until_ready():
            logger.warning("The assistant is not answering yet; until it does, messages get a 'busy' reply")

    async def close(_: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await connector.rasa.close()

    application = builder.post_init(wait_for_assistant).post_shutdown(close).build()
    connector.install(application)
    return application


def run(settings: Settings, speech: Speech) -> None:
    """Serve Telegram until stopped: webhook mode when a webhook URL is set, else polling.

    In webhook mode every call is checked before its update is handled (:mod:`connectors.telegram.webhook`).
    """
    chats = Chats(settings.data_dir / "telegram-chats.json")
    connector = TelegramConnector(RasaClient(settings.rasa_url), chats, speech)
    application = build_application(settings, connector)
    if settings.telegram_webhook_url:
        webhook = Webhook(url=settings.telegram_webhook_url, listen=settings.host,
                          port=settings.telegram_webhook_port, secret=webhook_secret(settings))
        asyncio.run(serve_webhook(application, webhook))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
