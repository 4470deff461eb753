"""A pyttsx3 driver for espeak-ng whose ``save_to_file`` has finished when ``runAndWait`` returns.

Why not pyttsx3's own ``espeak`` driver (pyttsx3 2.99): it initialises
libespeak-ng with ``AUDIO_OUTPUT_RETRIEVAL``, which in espeak-ng is
*asynchronous* — synthesis runs on espeak-ng's own thread and the samples
arrive in a callback on that thread. The driver writes the WAV file when the
``MSG_TERMINATED`` event arrives, and its run loop stops when ``endLoop`` is
called. On an engine's first ``runAndWait`` the queued ``endLoop`` is run
*before* synthesis starts, so ``runAndWait`` returns after one 10 ms poll while
espeak-ng is still speaking; the file is written later from espeak-ng's thread,
or never if the program ends first. Short English sentences finish inside that
10 ms, so they seemed to work; Chinese takes longer to synthesise, so a
Chinese WAV was silently never written. (Later ``runAndWait`` calls happened to
wait, because by then commands run as soon as they are queued.)

This driver initialises libespeak-ng with ``AUDIO_OUTPUT_SYNCHRONOUS`` when it
is the first to do so (``espeak_Synth`` then returns only when the utterance is
done, the samples arriving in the calling thread), and in any mode waits for
the end of the utterance (the final callback with no samples, or
``MSG_TERMINATED``) before it writes the file and lets ``runAndWait`` return.
It also fixes smaller traps of the stock driver: it speaks every
``save_to_file`` once (the stock one never forgets its last text, so a later
``runAndWait`` without one re-speaks it or, with none at all, never returns),
it keeps samples that arrive together with the end event (the stock one drops
them), and it prints nothing.

libespeak-ng has one synthesis callback per process: build one driver (one
engine) per process. :mod:`voice.synthesis` keeps exactly one, in one thread.

Importing this module loads libespeak-ng; it raises ``RuntimeError`` when the
library is not installed (``scripts/setup-system.sh`` installs it).
"""

from __future__ import annotations

import ctypes
import sys
import threading
import wave
from typing import Any, Optional

from pyttsx3.drivers import _espeak
from pyttsx3.drivers.espeak import EspeakDriver

DRIVER_NAME = "voice_espeak"
"""The name pyttsx3 knows this driver by (``pyttsx3.Engine(DRIVER_NAME)``)."""

UTTERANCE_TIMEOUT = 120.0
"""Seconds one utterance may take to synthesise before it is cancelled."""


class UtteranceTimeout(RuntimeError):
    """espeak-ng did not finish an utterance in time."""


class SynchronousEspeakDriver(EspeakDriver):
    """espeak-ng driver whose ``save_to_file`` is complete when ``runAndWait`` returns."""

    # State of the stock driver that this one uses.
    _proxy: Any
    _text_to_say: Optional[str]
    _save_file: Optional[str]
    _speaking: bool
    _looping: bool

    sample_rate = 22050
    """Samples a second of espeak-ng's output (what ``espeak_Initialize`` returned)."""

    def __init__(self, proxy: Any) -> None:
        if not EspeakDriver._moduleInitialized:
            rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000)
            if rate == -1:
                raise RuntimeError("could not initialise espeak-ng")
            SynchronousEspeakDriver.sample_rate = rate
            voice = _espeak.GetCurrentVoice()
            EspeakDriver._defaultVoice = (
                voice.contents.name.decode("utf-8") if voice and voice.contents.name else "en")
            EspeakDriver._moduleInitialized = True
        self._samples = bytearray()
        self._finished = threading.Event()
        self.timeout = UTTERANCE_TIMEOUT
        super().__init__(proxy)  # registers self._onSynth as the process's synthesis callback

    def say(self, text: str) -> None:
        """Playing through the sound card is not supported: raise (reported as an ``error`` event)."""
        raise NotImplementedError("this driver only writes files: use save_to_file")

    def _onSynth(self, wav: Any, numsamples: int, events: Any) -> int:
        """Collect samples; note the end of the utterance. Runs in espeak-ng's calling thread."""
        if not self._speaking:
            return 0
        if wav and numsamples > 0:
            self._samples += ctypes.string_at(wav, numsamples * ctypes.sizeof(ctypes.c_short))
        index = 0
        while events and events[index].type != _espeak.EVENT_LIST_TERMINATED:
            if events[index].type == _espeak.EVENT_MSG_TERMINATED:
                self._finished.set()
            index += 1
        if not wav:  # "NULL indicates that the synthesis has been completed"
            self._finished.set()
        return 0

    def startLoop(self) -> None:
        """Run the queued commands, then speak the pending ``save_to_file`` to its end."""
        self._looping = True
        self._proxy.setBusy(False)  # runs what is queued: properties, save_to_file, endLoop
        text, filename = self._text_to_say, self._save_file
        self._text_to_say = self._save_file = None
        if text and filename:
            self._utter(str(text), str(filename))
        self._looping = False

    def iterate(self) -> None:
        """Nothing to do between utterances: each one finishes inside ``startLoop``."""

    def _utter(self, text: str, filename: str) -> None:
        self._samples = bytearray()
        self._finished.clear()
        self._proxy.notify("started-utterance")
        self._speaking = True
        try:
            _espeak.Synth(text.encode("utf-8"), flags=_espeak.ENDPAUSE | _espeak.CHARS_UTF8)
            finished = self._finished.wait(self.timeout)
            if not finished:
                _espeak.Cancel()
        finally:
            self._speaking = False
        error: Optional[Exception] = None
        if not finished:
            error = UtteranceTimeout(f"espeak-ng did not finish within {self.timeout:g} s")
        else:
            try:
                with wave.open(filename, "wb") as out:
                    out.setnchannels(1)
                    out.setsampwidth(2)
                    out.setframerate(self.sample_rate)
                    out.writeframes(bytes(self._samples))
            except OSError as failure:
                error = failure
        self._samples = bytearray()
        if error is not None:
            self._proxy.notify("error", exception=error)
        self._proxy.notify("finished-utterance", completed=error is None)


def buildDriver(proxy: Any) -> SynchronousEspeakDriver:
    """Build the driver (pyttsx3 calls this for ``Engine(DRIVER_NAME)``)."""
    return SynchronousEspeakDriver(proxy)


# pyttsx3 imports drivers as ``pyttsx3.drivers.<name>``: make this module one of them.
sys.modules.setdefault(f"pyttsx3.drivers.{DRIVER_NAME}", sys.modules[__name__])
