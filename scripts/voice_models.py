"""Install the official small Vosk speech models: download, verify, unpack safely.

``make voice-models`` (or ``python3 scripts/voice_models.py``) fetches
``vosk-model-small-cn-0.22.zip`` (Chinese) and ``vosk-model-small-en-us-0.15.zip``
(English) from https://alphacephei.com/vosk/models/ into ``var/voice-models/``,
checks each archive's SHA-256 against the pinned sum below *before* anything is
unpacked (a mismatching download is deleted), unpacks it member by member
(no absolute paths, no ``..``, no links, a size limit), and prints the lines to
put in ``.env``::

    VOSK_MODEL_ZH=var/voice-models/vosk-model-small-cn-0.22
    VOSK_MODEL_EN=var/voice-models/vosk-model-small-en-us-0.15

The ``.env`` lines go to standard output and everything else to standard
error, so ``python3 scripts/voice_models.py >> .env`` works.

A kiosk without internet: download the two archives on any connected machine
(or copy them from ``var/voice-models/`` of an installed one), bring them over
(USB stick), and run ``python3 scripts/voice_models.py --from-dir /media/usb``.
They are checksum-verified the same way.

Options: ``--only zh|en``, ``--dest DIR``, ``--from-dir DIR``, ``--base-url URL``
(a mirror holding the same file names; also ``VOSK_MODELS_BASE_URL``), and
``--sha256 LANG=HEX`` to accept a different archive for one language
deliberately (for instance one republished upstream after checking it).
Archives already in the destination are reused after verification, and a model
already unpacked is left alone.

Where the pinned sums come from (alphacephei.com publishes no checksum list;
these are the sums that independent public projects pin for the same archive
names and verify before unpacking):

- ``vosk-model-small-cn-0.22.zip`` (43,898,754 bytes):
  ``3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba`` —
  ``MODEL_SHA256`` in ``skill/codex-voice-wake/assets/macos-template/scripts/build.sh``
  of github.com/zouliang187/codex-voice-wake (``shasum -a 256`` check before
  ``unzip``); the same sum and size are pinned by several other public Android
  and Python projects that download this archive.
- ``vosk-model-small-en-us-0.15.zip`` (41,205,931 bytes):
  ``30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498`` —
  ``checksum`` in ``get-model.sh`` of the numen voice-control project
  (github.com/adamency/numen; ``sha256sum`` check before ``unzip``); the same
  sum is in an Arch Linux ``PKGBUILD`` (``sha256sums``) of the Vosk API and in
  several other public projects.

Exit codes: 0 installed (or already there), 1 a download, checksum, archive or
disk problem (explained), 2 wrong options. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence

PROJECT_DIR = Path(__file__).resolve().parent.parent

BASE_URL = "https://alphacephei.com/vosk/models/"
"""Where the official archives are published."""

BASE_URL_VARIABLE = "VOSK_MODELS_BASE_URL"
"""Environment variable naming another base URL (a mirror with the same file names)."""

DEFAULT_DEST = PROJECT_DIR / "var" / "voice-models"
"""Where archives are kept and models unpacked."""

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
"""Largest archive accepted (the small models are about 40 MB)."""

MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
"""Largest total size of an archive's files once unpacked."""

MAX_MEMBERS = 5000
"""Most entries an archive may have."""

TIMEOUT = 30.0
"""Seconds a download may stall before it fails."""

READ_SIZE = 1024 * 1024


@dataclass(frozen=True)
class VoiceModel:
    """One official model archive.

    Attributes:
        language: ``zh`` or ``en`` (the ``VOSK_MODEL_ZH`` / ``VOSK_MODEL_EN`` setting).
        name: The archive's top folder, and the folder the model is installed in.
        sha256: The pinned SHA-256 of the archive (lower-case hex).

    """

    language: str
    name: str
    sha256: str

    @property
    def archive(self) -> str:
        """The archive's file name."""
        return f"{self.name}.zip"

    @property
    def setting(self) -> str:
        """The ``.env`` setting naming the model folder."""
        return f"VOSK_MODEL_{self.language.upper()}"


MODELS: Dict[str, VoiceModel] = {
    "zh": VoiceModel("zh", "vosk-model-small-cn-0.22",
                     "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba"),
    "en": VoiceModel("en", "vosk-model-small-en-us-0.15",
                     "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
}
"""The models installed, by language (sources of the sums: see the module docstring)."""


class InstallError(Exception):
    """A model could not be installed; the message says why and what to do."""


def say(message: str) -> None:
    """Tell the administrator what is happening (standard error)."""
    print(message, file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(READ_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def is_model_folder(folder: Path) -> bool:
    """Whether a folder holds a Vosk model (``am/final.mdl`` or ``final.mdl``, and ``conf/``)."""
    has_model = (folder / "am" / "final.mdl").is_file() or (folder / "final.mdl").is_file()
    return has_model and (folder / "conf").is_dir()


def download(url: str, target: Path) -> None:
    """Download ``url`` into ``target`` (through a ``.part`` file, renamed when complete).

    Raises:
        InstallError: The address cannot be reached, answers with an error,
            or sends more than :data:`MAX_ARCHIVE_BYTES`.

    """
    partial = target.with_name(target.name + ".part")
    say(f"Downloading {url} ...")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, partial.open("wb") as output:
            total = int(response.headers.get("Content-Length") or 0)
            received = 0
            shown = -1
            for block in iter(lambda: response.read(READ_SIZE), b""):
                received += len(block)
                if received > MAX_ARCHIVE_BYTES:
                    raise InstallError(f"{url} sent more than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB; "
                                       "this is not a small Vosk model archive. Nothing was unpacked.")
                output.write(block)
                percent = received * 100 // total if total else -1
                if sys.stderr.isatty() and percent >= 0 and percent != shown:
                    shown = percent
                    print(f"\r  {percent:3d}% of {total / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)
            if sys.stderr.isatty() and shown >= 0:
                print(file=sys.stderr)
            if total and received != total:
                raise InstallError(f"The download of {url} stopped early ({received} of {total} bytes). "
                                   "Run the command again.")
    except urllib.error.HTTPError as error:
        partial.unlink(missing_ok=True)
        raise InstallError(f"Could not download {url}: the server answered {error.code} {error.reason}.\n"
                           f"{_offline_hint()}") from error
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", None) or error
        raise InstallError(f"Could not download {url}: {reason}.\n{_offline_hint()}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def _offline_hint() -> str:
    return ("If this machine has no internet access, download the archives on another computer "
            f"(from {BASE_URL}), copy them here (a USB stick works), and run:\n"
            "  python3 scripts/voice_models.py --from-dir DIR\n"
            "(DIR is the folder holding the .zip files; they are checksum-verified the same way.)")


def check_members(archive: zipfile.ZipFile) -> str:
    """Check every entry of a model archive before anything is written.

    Returns:
        The archive's one top folder.

    Raises:
        InstallError: An entry is absolute, climbs out with ``..``, is a link
            or a device, the entries are not all in one top folder, or the
            archive unpacks to too much.

    """
    entries = archive.infolist()
    if not entries:
        raise InstallError("the archive is empty")
    if len(entries) > MAX_MEMBERS:
        raise InstallError(f"the archive has {len(entries)} entries (at most {MAX_MEMBERS})")
    tops = set()
    total = 0
    for entry in entries:
        name = entry.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if (not name or name.startswith(("/", "\\")) or path.is_absolute() or ".." in path.parts
                or (path.parts and ":" in path.parts[0]) or "\x00" in name):
            raise InstallError(f"unsafe path in the archive: {name!r}")
        kind = stat.S_IFMT(entry.external_attr >> 16)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise InstallError(f"the archive holds a link or special file: {name!r}")
        tops.add(path.parts[0])
        total += entry.file_size
        if total > MAX_UNPACKED_BYTES:
            raise InstallError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
    if len(tops) != 1:
        raise InstallError(f"the archive should hold one top folder, not {len(tops)}: {sorted(tops)[:5]}")
    return tops.pop()


def unpack(archive_path: Path, model: VoiceModel, dest: Path) -> Path:
    """Unpack a verified archive into ``dest/<model name>`` (all or nothing).

    The archive is unpacked into a scratch folder inside ``dest`` and moved into
    place only when every entry was written and the result is a Vosk model.

    Returns:
        The installed model folder.

    Raises:
        InstallError: The archive is unsafe, damaged, or holds no Vosk model.

    """
    target = dest / model.name
    scratch = Path(tempfile.mkdtemp(prefix=f".unpacking-{model.name}-", dir=dest))
    try:
        try:
            with zipfile.ZipFile(archive_path) as archive:
                top = check_members(archive)
                for entry in archive.infolist():
                    out = scratch.joinpath(*PurePosixPath(entry.filename.replace("\\", "/")).parts)
                    if entry.is_dir():
                        out.mkdir(parents=True, exist_ok=True)
                        continue
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(entry) as source, out.open("wb") as output:
                        shutil.copyfileobj(source, output, READ_SIZE)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise InstallError(f"the archive is damaged: {error}") from error
        unpacked = scratch / top
        if not is_model_folder(unpacked):
            raise InstallError("the archive holds no Vosk model (no am/final.mdl and conf/)")
        if target.exists():
            shutil.rmtree(target)
        unpacked.replace(target)
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def install(model: VoiceModel, dest: Path, base_url: str, from_dir: Optional[Path],
            sha256: str) -> Path:
    """Install one model: find or download its archive, verify it, unpack it.

    Args:
        model: The model.
        dest: Where archives are kept and models unpacked.
        base_url: Where to download from (ends with ``/``).
        from_dir: A folder already holding the archive (no download), or None.
        sha256: The sum the archive must have.

    Returns:
        The model folder.

    Raises:
        InstallError: With what went wrong and what to do.

    """
    target = dest / model.name
    if is_model_folder(target) and (target / ".archive-sha256").is_file() and \
            (target / ".archive-sha256").read_text(encoding="utf-8").strip() == sha256:
        say(f"{model.name} is already installed in {target}.")
        return target
    if from_dir is not None:
        archive = from_dir / model.archive
        if not archive.is_file():
            raise InstallError(f"{archive} is not there. Put {model.archive} (from {BASE_URL}) in "
                               f"{from_dir}, or leave out --from-dir to download it.")
        downloaded = False
    else:
        archive = dest / model.archive
        downloaded = True
        if not archive.is_file():
            download(base_url + model.archive, archive)
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise InstallError(f"{archive} is larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB; "
                           "it is not a small Vosk model archive. Nothing was unpacked.")
    say(f"Checking the SHA-256 of {archive} ...")
    actual = sha256_of(archive)
    if actual != sha256:
        if downloaded:
            archive.unlink(missing_ok=True)
            fate = "The archive was deleted and nothing was unpacked."
        else:
            fate = "Nothing was unpacked (the file in --from-dir was left as it is)."
        raise InstallError(
            f"REFUSED: {archive.name} does not have the expected SHA-256.\n"
            f"  expected {sha256}\n  got      {actual}\n"
            f"{fate} The file is damaged or is not the official archive; download it again "
            f"from {BASE_URL}.")
    say(f"{archive.name}: SHA-256 verified. Unpacking ...")
    try:
        folder = unpack(archive, model, dest)
    except InstallError as error:
        raise InstallError(f"REFUSED: {archive.name}: {error}. Nothing was installed.") from error
    (folder / ".archive-sha256").write_text(sha256 + "\n", encoding="utf-8")
    say(f"{model.name} installed in {folder}.")
    return folder


def env_value(folder: Path) -> str:
    """How ``.env`` names a model folder: relative to the project folder when inside it."""
    try:
        return str(folder.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(folder.resolve())


def _sha256_overrides(values: Sequence[str]) -> Dict[str, str]:
    overrides: Dict[str, str] = {}
    for value in values:
        language, _, hexdigest = value.partition("=")
        hexdigest = hexdigest.strip().lower()
        if language not in MODELS or len(hexdigest) != 64 or hexdigest.strip("0123456789abcdef"):
            raise ValueError(f"--sha256 wants LANG=HEX with LANG zh or en and 64 hex digits, not {value!r}")
        overrides[language] = hexdigest
    return overrides


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="voice_models.py",
        description="Install the official small Vosk models (Chinese, English) for speech recognition.")
    parser.add_argument("--only", choices=sorted(MODELS), help="install one language only")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help="where to keep archives and unpack models (default: var/voice-models)")
    parser.add_argument("--from-dir", type=Path,
                        help="use the archives already in this folder (copied from a USB stick...); "
                             "no download")
    parser.add_argument("--base-url", default=None,
                        help=f"download from this address instead "
                             f"(default: ${BASE_URL_VARIABLE} or {BASE_URL})")
    parser.add_argument("--sha256", action="append", default=[], metavar="LANG=HEX",
                        help="accept this SHA-256 for one language instead of the pinned one")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Install the models; print the ``.env`` lines. Returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = _sha256_overrides(args.sha256)
    except ValueError as error:
        parser.error(str(error))
    base_url = args.base_url or os.environ.get(BASE_URL_VARIABLE) or BASE_URL
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    dest: Path = args.dest if args.dest.is_absolute() else Path.cwd() / args.dest
    from_dir: Optional[Path] = args.from_dir
    if from_dir is not None and not from_dir.is_dir():
        say(f"Error: --from-dir {from_dir}: no such folder.")
        return 1
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        say(f"Error: cannot create {dest}: {error.strerror}.")
        return 1
    languages: List[str] = [args.only] if args.only else list(MODELS)
    lines: List[str] = []
    for language in languages:
        model = MODELS[language]
        try:
            folder = install(model, dest, base_url, from_dir, overrides.get(language, model.sha256))
        except InstallError as error:
            say(f"Error: {error}")
            return 1
        except OSError as error:
            say(f"Error while installing {model.name}: {error}")
            return 1
        lines.append(f"{model.setting}={env_value(folder)}")
    say("Put these lines in .env (or append them: python3 scripts/voice_models.py >> .env):")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
