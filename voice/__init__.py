"""Speech for voice messages and the voice kiosk.

One module per stage: ``audio`` (decoding and encoding with ffmpeg),
``recognition`` (Vosk, offline), ``synthesis`` (pyttsx3 with espeak-ng) and
``speech_text`` (what a reply sounds like when read aloud).
"""
