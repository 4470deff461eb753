#!/usr/bin/env bash
# Make sure the system programs that voice needs are there: espeak-ng (the
# speech engine pyttsx3 drives, with its shared library libespeak-ng), ffmpeg
# (decoding Telegram OGG/Opus voice notes, encoding spoken replies) and the
# PortAudio library libportaudio2 (the kiosk's microphone and loudspeaker,
# through the sounddevice package).
# Installs them with apt when missing and running as root; otherwise prints the
# command to run. Does nothing, quickly, when everything is present.
set -euo pipefail

PACKAGES=(espeak-ng ffmpeg libportaudio2)

# has_library NAME: whether the shared library NAME (e.g. libespeak-ng.so.1) is installed.
has_library() {
  local pattern=${1//./\\.}
  if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q "$pattern"; then
    return 0
  fi
  local dir
  for dir in /usr/lib /usr/lib64 /usr/local/lib /usr/lib/*-linux-gnu; do
    if [ -e "$dir/$1" ]; then return 0; fi
  done
  return 1
}

missing() {
  command -v espeak-ng >/dev/null 2>&1 || echo "espeak-ng"
  has_library libespeak-ng.so.1 || echo "libespeak-ng"
  command -v ffmpeg >/dev/null 2>&1 || echo "ffmpeg"
  has_library libportaudio.so.2 || echo "libportaudio2"
}

# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
install_missing "voice (speech synthesis, audio conversion, microphone and loudspeaker)" \
  "install espeak-ng (with libespeak-ng), ffmpeg and PortAudio (libportaudio2) with the system's package manager, then run the command again." \
  "${PACKAGES[@]}"
