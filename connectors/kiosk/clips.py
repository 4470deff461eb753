"""Spoken replies kept in memory for the kiosk page to play (``GET /kiosk/audio/<id>.wav``).

Clips are short (a reply's sentence or two), named by unguessable ids and
forgotten oldest-first once the store holds too many or too much, so a busy
hall never fills the server's memory.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Optional

#: At most this many clips are kept ...
MAX_CLIPS = 256
#: ... and at most this many bytes (about 15 minutes of 16 kHz speech).
MAX_BYTES = 32 * 1024 * 1024


class ClipStore:
    """A bounded, thread-safe store of WAV clips."""

    def __init__(self, max_clips: int = MAX_CLIPS, max_bytes: int = MAX_BYTES) -> None:
        """Create an empty store holding at most ``max_clips`` clips and ``max_bytes`` bytes."""
        self.max_clips = max_clips
        self.max_bytes = max_bytes
        self._clips: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, wav: bytes) -> str:
        """Keep a clip; return its id (URL-safe)."""
        clip_id = secrets.token_urlsafe(12)
        with self._lock:
            self._clips[clip_id] = wav
            self._bytes += len(wav)
            while self._clips and (len(self._clips) > self.max_clips or self._bytes > self.max_bytes):
                _, dropped = self._clips.popitem(last=False)
                self._bytes -= len(dropped)
        return clip_id

    def get(self, clip_id: str) -> Optional[bytes]:
        """Return a clip, or None when it is unknown or was forgotten."""
        with self._lock:
            return self._clips.get(clip_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._clips)
