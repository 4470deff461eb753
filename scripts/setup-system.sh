#!/usr/bin/env bash
# Make sure the system programs that voice needs are there: espeak-ng (the
# speech engine pyttsx3 drives, with its shared library libespeak-ng) and
# ffmpeg (decoding Telegram OGG/Opus voice notes, encoding spoken replies).
# Installs them with apt when missing and running as root; otherwise prints the
# command to run. Does nothing, quickly, when everything is present.
set -euo pipefail

PACKAGES=(espeak-ng ffmpeg)

has_espeak_library() {
  if command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q 'libespeak-ng\.so\.1'; then
    return 0
  fi
  local dir
  for dir in /usr/lib /usr/lib64 /usr/local/lib /usr/lib/*-linux-gnu; do
    if [ -e "$dir/libespeak-ng.so.1" ]; then return 0; fi
  done
  return 1
}

missing() {
  command -v espeak-ng >/dev/null 2>&1 || echo "espeak-ng"
  has_espeak_library || echo "libespeak-ng"
  command -v ffmpeg >/dev/null 2>&1 || echo "ffmpeg"
}

absent=$(missing)
if [ -z "$absent" ]; then
  exit 0
fi

install_command="apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system programs for voice: $(echo "$absent" | tr '\n' ' ')" >&2
  echo "Install them as root, then run the command again:" >&2
  echo "  sudo sh -c '$install_command'" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system programs for voice: $(echo "$absent" | tr '\n' ' ')" >&2
  echo "This is not a Debian/Ubuntu system: install espeak-ng (with libespeak-ng) and ffmpeg" \
       "with the system's package manager, then run the command again." >&2
  exit 1
fi

echo "Installing ${PACKAGES[*]} (speech synthesis and audio conversion)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

absent=$(missing)
if [ -n "$absent" ]; then
  echo "Still missing after installing ${PACKAGES[*]}: $(echo "$absent" | tr '\n' ' ')" >&2
  exit 1
fi
echo "espeak-ng and ffmpeg are ready."
