"""New training examples from operators, written into ``data/nlu`` in Rasa's format.

An operator who finds a message the assistant misunderstood gives it the
right intent (and the service it names); :meth:`Annotations.add` appends it
to the training data of ``ASSISTANT_DIR`` so that the next model learns it:

- into the file of ``data/nlu/<language>/`` that already holds that intent's
  examples, at the end of its ``examples: |`` block (else into
  ``annotations.yml`` there);
- the service words marked as the rest of the data marks them,
  ``[身份证](service)``: the NLU pipeline's service resolver turns the words
  into the catalogue id, so the words must be ones the lexicon knows for that
  service;
- refused when it is already a training example, when it is in the held-out
  test set (``tests/nlu``: evaluation would no longer be fair), or when
  ``rasa data validate --fail-on-warnings`` finds a problem with the change
  (checked on a copy first; nothing is written then);
- written atomically, one change at a time (across processes too), and
  recorded in the change log; :meth:`Annotations.undo` takes exactly that
  line out again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

import yaml
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, select

from bot.evaluation import HELD_OUT_DIR
from bot.input_check import MAX_UNDERSTOOD_CHARS, InputProblem, find_input_problem
from bot.operators.accounts import LOCAL_TIME, Accounts, as_utc, operator_database_url
from bot.services import catalogue, find_services, resolve_service
from bot.settings import PROJECT_DIR, Settings

LANGUAGES = ("zh", "en")
SERVICE_ENTITY = "service"
OUT_OF_SCOPE_INTENT = "out_of_scope"
#: The file new intents' examples go to, in ``data/nlu/<language>/``.
ANNOTATIONS_FILE = "annotations.yml"
NEW_FILE_HEADER = 'version: "3.1"\nnlu:'
#: How long ``rasa data validate`` may take.
VALIDATE_TIMEOUT_SECONDS = 600.0

_INTENT_ITEM = re.compile(r"^(?P<indent> *)- +intent: *(?P<name>.+?) *$")
_EXAMPLES_KEY = re.compile(r"^(?P<indent> *)examples: *\|[-+]? *(?:#.*)?$")
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LATIN = re.compile(r"[A-Za-z0-9]")

metadata = MetaData()

annotations_table = Table(
    "operator_annotations", metadata,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    #: The example as written in the file, after "- " ("帮我补办[身份证](service)").
    Column("example", Text, nullable=False),
    Column("language", String(2), nullable=False),
    Column("intent", String(100), nullable=False),
    Column("service", String(64)),
    Column("service_words", String(200)),
    #: Relative to the assistant folder, with "/".
    Column("file", String(300), nullable=False),
    #: Whether this annotation created the file, or the intent's block in it (undo removes them again).
    Column("created_file", Boolean, nullable=False),
    Column("created_block", Boolean, nullable=False),
    Column("who", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("undone", Boolean, nullable=False, default=False),
    Column("undone_by", String(64)),
    Column("undone_at", DateTime(timezone=True)),
)


class AnnotationError(ValueError):
    """An annotation that cannot be saved or undone; ``str(error)`` tells the operator why.

    Attributes:
        code: ``unknown_intent``, ``unknown_service``, ``unknown_language``,
            ``service_not_in_text``, ``wrong_service_words``, ``duplicate``,
            ``held_out``, ``invalid_data``, ``empty``, ``too_long``,
            ``not_found`` or ``already_undone``.
        message: The explanation for the operator.

    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Annotation:
    """An example an operator added to the training data."""

    id: int
    text: str
    language: str
    intent: str
    service: Optional[str]
    service_words: Optional[str]
    #: The file it was written to, relative to the assistant folder.
    file: str
    who: str
    when: datetime
    undone: bool

    @classmethod
    def from_row(cls, row: Any) -> "Annotation":
        """Build an annotation from a database row."""
        return cls(id=row.id, text=row.text, language=row.language, intent=row.intent, service=row.service,
                   service_words=row.service_words, file=row.file, who=row.who,
                   when=as_utc(row.at).astimezone(LOCAL_TIME), undone=bool(row.undone))


@dataclass(frozen=True)
class _Block:
    """Where an intent's ``examples: |`` block is in a file."""

    #: Offset just after the text of the block's last example line (before its line break).
    end_of_last_example: int
    example_indent: int


@dataclass(frozen=True)
class _Change:
    """A training data file before and after an annotation."""

    path: Path
    before: Optional[str]  # None: the file is new
    after: str
    created_block: bool


# -- reading training data -------------------------------------------------------------------------


def normalised(text: str) -> str:
    """The form examples are compared in: no markup, NFKC (full width as half), lower case, no punctuation."""
    plain = _ANNOTATION.sub(lambda m: m.group(1), text)
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", plain).lower())


def _nlu_items(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    items = data.get("nlu") if isinstance(data, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def examples_of(path: Path) -> list[tuple[str, str]]:
    """Return the (intent, example as written) pairs of a Rasa NLU YAML file."""
    pairs = []
    for item in _nlu_items(path):
        examples = item.get("examples")
        if "intent" not in item or not isinstance(examples, str):
            continue
        for line in examples.splitlines():
            if line.strip().startswith("-"):
                pairs.append((str(item["intent"]), line.strip()[1:].strip()))
    return pairs


def _lines_with_offsets(content: str) -> Iterator[tuple[int, int, str]]:
    """Each line's start and end offsets (the end before its line break) and its text."""
    start = 0
    for raw in content.splitlines(keepends=True):
        text = raw.rstrip("\r\n")
        yield start, start + len(text), text
        start += len(raw)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _unquoted(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def _blocks(content: str, intent: str) -> list[tuple[int, int, int, int, list[tuple[int, int, str]]]]:
    """Find an intent's items: (item line start, item line end, key line end, key indent, example lines)."""
    lines = list(_lines_with_offsets(content))
    found = []
    for i, (start, end, text) in enumerate(lines):
        item = _INTENT_ITEM.match(text)
        if not item or _unquoted(item["name"]) != intent:
            continue
        item_indent = len(item["indent"])
        j = i + 1
        while j < len(lines) and (not lines[j][2].strip() or _indent(lines[j][2]) > item_indent):
            key = _EXAMPLES_KEY.match(lines[j][2])
            if key:
                key_indent = len(key["indent"])
                examples = []
                k = j + 1
                while k < len(lines) and (not lines[k][2].strip() or _indent(lines[k][2]) > key_indent):
                    if lines[k][2].strip().startswith("- "):
                        examples.append(lines[k])
                    k += 1
                found.append((start, end, lines[j][1], key_indent, examples))
                break
            j += 1
    return found


def _find_block(content: str, intent: str) -> Optional[_Block]:
    """The intent's last ``examples: |`` block with examples in it, if the file has one."""
    for _, _, _, _, examples in reversed(_blocks(content, intent)):
        if examples:
            _, end, text = examples[-1]
            return _Block(end, _indent(text))
    return None


def _item_indent(content: str) -> int:
    """How far the file indents the items of its ``nlu:`` list (0 when it has none)."""
    for _, _, text in _lines_with_offsets(content):
        item = re.match(r"^( *)- +(?:intent|synonym|regex|lookup):", text)
        if item:
            return len(item.group(1))
    return 0


# -- the store -------------------------------------------------------------------------------------

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class Annotations:
    """Operators' training examples: added to ``data/nlu`` of the assistant folder, listed, undone."""

    def __init__(self, database_url: str, assistant_dir: Path, *, validate: bool = True,
                 held_out_dir: Path = HELD_OUT_DIR, lock_file: Optional[Path] = None) -> None:
        """Open the annotations (in the operators' database, table ``operator_annotations``).

        Args:
            database_url: SQLAlchemy URL of the operators' database.
            assistant_dir: The folder with ``config.yml``, ``domain.yml`` and ``data/``.
            validate: Check every change with ``rasa data validate`` before writing it
                (20-40 s; tests of other things turn it off).
            held_out_dir: The held-out test set never to train on (the project's ``tests/nlu``).
            lock_file: The file locked while the training data changes (by default one in the
                temporary folder, named after the assistant folder).

        """
        self.accounts = Accounts(database_url)
        self.engine = self.accounts.engine
        metadata.create_all(self.engine)
        self.assistant_dir = Path(assistant_dir).resolve()
        self.validate = validate
        self.held_out_dir = held_out_dir
        digest = hashlib.sha256(str(self.assistant_dir).encode("utf-8")).hexdigest()[:16]
        self.lock_file = lock_file or Path(tempfile.gettempdir()) / f"assistant-annotations-{digest}.lock"
        with _THREAD_LOCKS_GUARD:
            self._thread_lock = _THREAD_LOCKS.setdefault(str(self.lock_file), threading.Lock())

    @classmethod
    def from_settings(cls, settings: Settings) -> "Annotations":
        """The annotations of the settings' operators' database and assistant folder."""
        return cls(operator_database_url(settings), settings.assistant_dir)

    # -- what can be annotated ---------------------------------------------------------------------

    def intents(self) -> list[str]:
        """Return the domain's intents (``nlu_fallback`` is the model's own, never annotated)."""
        domain = yaml.safe_load((self.assistant_dir / "domain.yml").read_text(encoding="utf-8")) or {}
        names = []
        for entry in domain.get("intents") or []:
            name = next(iter(entry)) if isinstance(entry, dict) and entry else entry
            if isinstance(name, str) and name != "nlu_fallback":
                names.append(name)
        return names

    def services(self) -> list[tuple[str, str, str]]:
        """Return the catalogue's services as (id, Chinese name, English name)."""
        return [(s.id, s.name_zh, s.name_en) for s in catalogue().values()]

    def suggest_service_words(self, text: str, service: str, language: str) -> Optional[str]:
        """Return the words of a text that name a service, as written in the text, or None.

        Args:
            text: The example.
            service: The catalogue id.
            language: ``zh`` or ``en`` (people mix both; every word list is searched).

        """
        for lenient in (False, True):
            for match in find_services(text, lenient=lenient):
                words = text[match.start:match.end]
                if match.service_id == service and resolve_service(words) == service:
                    return words
        return None

    # -- adding ------------------------------------------------------------------------------------

    def add(self, text: str, intent: str, language: str, who: str, service: Optional[str] = None,
            service_words: Optional[str] = None) -> Annotation:
        """Add a training example.

        Args:
            text: The example (spaces tidied; one line).
            intent: The right intent (one of :meth:`intents`).
            language: ``zh`` or ``en``: which ``data/nlu`` folder it goes to.
            who: The operator, for the change log.
            service: The catalogue id of the service the text names, if any.
            service_words: The words of the text naming it (found with
                :meth:`suggest_service_words` when not given).

        Returns:
            The annotation as saved.

        Raises:
            AnnotationError: The example cannot be added; ``code`` says why.

        """
        text = self._clean_text(text)
        if language not in LANGUAGES:
            raise AnnotationError("unknown_language", "The language must be zh (中文) or en (English).")
        if intent not in self.intents():
            raise AnnotationError("unknown_intent", f"There is no intent called {intent!r}.")
        example, words = self._example(text, intent, service, service_words)
        with self._locked():
            self._refuse_known(text)
            change = self._change(language, intent, example)
            self._check_round_trip(change, intent, example, service)
            if self.validate:
                self._validate(change)
            self._write(change.path, change.after)
            relative = change.path.relative_to(self.assistant_dir).as_posix()
            with self.engine.begin() as db:
                new_id = db.execute(annotations_table.insert().values(
                    text=text, example=example, language=language, intent=intent, service=service,
                    service_words=words, file=relative, created_file=change.before is None,
                    created_block=change.created_block, who=who, at=datetime.now(timezone.utc),
                    undone=False)).inserted_primary_key[0]
        self.accounts.record(who, "annotate", {"annotation": new_id, "text": text, "intent": intent,
                                               "service": service, "file": relative})
        return self.get(new_id)

    @staticmethod
    def _clean_text(text: str) -> str:
        text = " ".join((text or "").split()).strip(" -")
        if not text:
            raise AnnotationError("empty", "The example is empty.")
        if len(text) > MAX_UNDERSTOOD_CHARS:
            raise AnnotationError("too_long", f"The example is longer than {MAX_UNDERSTOOD_CHARS} "
                                              "characters; the model reads only that much.")
        problem = find_input_problem(unicodedata.normalize("NFKC", text))
        if problem is not None:
            what = "has no words" if problem == InputProblem.NO_WORDS else "cannot be read"
            raise AnnotationError("invalid_data", f"The example {what}.")
        if text.startswith("/"):
            raise AnnotationError("invalid_data", "Button presses (\"/…\") are not what people say.")
        if "[" in text or "]" in text:
            raise AnnotationError("invalid_data", "Square brackets [ ] cannot be used in an example.")
        return text

    def _example(self, text: str, intent: str, service: Optional[str],
                 service_words: Optional[str]) -> tuple[str, Optional[str]]:
        """The example as written in the file, with the service words marked; and those words."""
        if service is None:
            if intent == OUT_OF_SCOPE_INTENT and find_services(text, fuzzy=False):
                raise AnnotationError("invalid_data", "This text names a service: an out-of-scope example "
                                                      "must name none.")
            return text, None
        if service not in catalogue():
            raise AnnotationError("unknown_service", f"There is no service {service!r} in the catalogue.")
        if intent == OUT_OF_SCOPE_INTENT:
            raise AnnotationError("invalid_data", "An out-of-scope example names no service.")
        name = catalogue()[service].name_zh
        words = (service_words or "").strip() or self.suggest_service_words(text, service, "zh")
        if not words:
            raise AnnotationError("service_not_in_text", f"The text does not name {name} ({service}); "
                                                         "give the words that do.")
        start = self._find_words(text, words)
        if start is None:
            raise AnnotationError("service_not_in_text", f"{words!r} is not in the text.")
        words = text[start:start + len(words)]
        if resolve_service(words) != service:
            raise AnnotationError("wrong_service_words", f"{words!r} does not name {name} ({service}) "
                                                         "in the service word lists.")
        return f"{text[:start]}[{words}]({SERVICE_ENTITY}){text[start + len(words):]}", words

    @staticmethod
    def _find_words(text: str, words: str) -> Optional[int]:
        """Where the words are in the text (any case; Latin words whole), or None."""
        lowered, target = text.lower(), words.lower()
        start = lowered.find(target)
        while start >= 0:
            before = lowered[start - 1:start]
            after = lowered[start + len(target):start + len(target) + 1]
            if not ((_LATIN.match(target[0]) and _LATIN.match(before))
                    or (_LATIN.match(target[-1]) and _LATIN.match(after))):
                return start
            start = lowered.find(target, start + 1)
        return None

    def _refuse_known(self, text: str) -> None:
        """Refuse a text already trained on, or in the held-out test set."""
        key = normalised(text)
        for path in sorted((self.assistant_dir / "data").rglob("*.yml")):
            for intent, example in examples_of(path):
                if normalised(example) == key:
                    where = path.relative_to(self.assistant_dir).as_posix()
                    raise AnnotationError("duplicate", f"This is already an example of {intent} in {where}.")
        for path in sorted(self.held_out_dir.glob("*.yml")):
            if any(normalised(example) == key for _, example in examples_of(path)):
                raise AnnotationError("held_out", "This text is in the held-out test set, which is never "
                                                  "trained on (the evaluation would no longer be fair).")

    def _change(self, language: str, intent: str, example: str) -> _Change:
        """The file to change and its new content: the intent's file, else ``annotations.yml``."""
        folder = self.assistant_dir / "data" / "nlu" / language
        files = sorted(folder.glob("*.yml"), key=lambda p: (p.name == ANNOTATIONS_FILE, p.name))
        for path in files:
            content = path.read_text(encoding="utf-8")
            block = _find_block(content, intent)
            if block is None:
                continue
            line = " " * block.example_indent + "- " + example
            after = content[:block.end_of_last_example] + "\n" + line + content[block.end_of_last_example:]
            if (intent, example) in _parsed_examples(after):
                return _Change(path, content, after, created_block=False)
        path = folder / ANNOTATIONS_FILE
        before = path.read_text(encoding="utf-8") if path.is_file() else None
        content = before if before is not None else NEW_FILE_HEADER + "\n"
        indent = " " * _item_indent(content)
        block_text = f"\n{indent}- intent: {intent}\n{indent}  examples: |\n{indent}    - {example}"
        end = len(content.rstrip())
        after = content[:end] + block_text + content[end:]
        if (intent, example) not in _parsed_examples(after):
            raise AnnotationError("invalid_data", f"{path.relative_to(self.assistant_dir).as_posix()} cannot "
                                                  "take new examples (it is not a plain list of intents).")
        return _Change(path, before, after, created_block=True)

    @staticmethod
    def _check_round_trip(change: _Change, intent: str, example: str, service: Optional[str]) -> None:
        """Read the new file as Rasa does: the example must come back with its intent and service."""
        from rasa.shared.exceptions import RasaException
        from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

        plain = _ANNOTATION.sub(lambda m: m.group(1), example)
        try:
            data = RasaYAMLReader().reads(change.after)
        except (RasaException, ValueError) as error:
            raise AnnotationError("invalid_data", f"The training data could not be read: {error}") from error
        for message in data.intent_examples:
            if message.get("text") == plain and message.get("intent") == intent:
                services = [e for e in message.get("entities") or [] if e.get("entity") == SERVICE_ENTITY]
                if bool(services) == (service is not None):
                    return
        raise AnnotationError("invalid_data", "The example would not be read back as written.")

    def _validate(self, change: _Change) -> None:
        """Run ``rasa data validate --fail-on-warnings`` on a copy of the assistant with the change."""
        with tempfile.TemporaryDirectory(prefix="annotation-check-") as scratch:
            copy = Path(scratch)
            for name in ("config.yml", "domain.yml"):
                shutil.copy2(self.assistant_dir / name, copy / name)
            shutil.copytree(self.assistant_dir / "data", copy / "data")
            target = copy / change.path.relative_to(self.assistant_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(change.after, encoding="utf-8")
            command = [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings",
                       "--data", str(copy / "data"), "--domain", str(copy / "domain.yml"),
                       "--config", str(copy / "config.yml")]
            python_path = [str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")]
            env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                   "PYTHONPATH": os.pathsep.join(part for part in python_path if part)}
            try:
                done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                                      timeout=VALIDATE_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired as error:
                raise AnnotationError("invalid_data", "Checking the training data took too long.") from error
        if done.returncode != 0:
            complaint = rasa_complaints(done.stdout + "\n" + done.stderr, str(copy))
            raise AnnotationError("invalid_data", "Rasa found a problem with the training data: " + complaint)

    # -- writing -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One change of the training data at a time: in this process and across processes."""
        with self._thread_lock:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
            with open(self.lock_file, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _write(path: Path, content: str) -> None:
        """Replace a file's content atomically (a temporary file beside it, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    # -- listing and undoing -----------------------------------------------------------------------

    def get(self, annotation_id: int) -> Annotation:
        """Return one annotation.

        Raises:
            AnnotationError: ``not_found``.

        """
        with self.engine.connect() as db:
            row = db.execute(select(annotations_table).where(annotations_table.c.id == annotation_id)).first()
        if row is None:
            raise AnnotationError("not_found", f"There is no annotation {annotation_id}.")
        return Annotation.from_row(row)

    def list(self, limit: int = 100) -> list[Annotation]:
        """Return the latest annotations, newest first (undone ones too, marked)."""
        with self.engine.connect() as db:
            rows = db.execute(select(annotations_table).order_by(annotations_table.c.id.desc())
                              .limit(limit)).all()
        return [Annotation.from_row(row) for row in rows]

    def undo(self, annotation_id: int, who: str) -> Annotation:
        """Take an annotation's example out of the training data again.

        Removes exactly the line it added; also the intent's block and the
        file when the annotation created them and they are now empty.

        Raises:
            AnnotationError: ``not_found`` or ``already_undone``.

        """
        with self._locked():
            with self.engine.connect() as db:
                row = db.execute(select(annotations_table)
                                 .where(annotations_table.c.id == annotation_id)).first()
            if row is None:
                raise AnnotationError("not_found", f"There is no annotation {annotation_id}.")
            if row.undone:
                raise AnnotationError("already_undone", f"Annotation {annotation_id} is already undone.")
            path = self.assistant_dir / row.file
            content = path.read_text(encoding="utf-8") if path.is_file() else ""
            after = _without_example(content, row.intent, row.example, bool(row.created_block))
            if after is None:
                raise AnnotationError("not_found", f"The example is no longer in {row.file} "
                                                  "(the file was changed by hand).")
            if not _parsed_examples(after) and (row.created_file or after.strip() == NEW_FILE_HEADER):
                path.unlink()
            else:
                self._write(path, after)
            with self.engine.begin() as db:
                db.execute(annotations_table.update().where(annotations_table.c.id == annotation_id).values(
                    undone=True, undone_by=who, undone_at=datetime.now(timezone.utc)))
        self.accounts.record(who, "undo_annotation", {"annotation": annotation_id, "text": row.text,
                                                      "intent": row.intent, "file": row.file})
        return self.get(annotation_id)


def _parsed_examples(content: str) -> set[tuple[str, str]]:
    """The (intent, example) pairs a file's content holds, read as YAML."""
    try:
        data = yaml.safe_load(content) or {}
    except yaml.YAMLError:
        return set()
    items = data.get("nlu") if isinstance(data, dict) else None
    pairs = set()
    for item in items or []:
        if isinstance(item, dict) and "intent" in item and isinstance(item.get("examples"), str):
            for line in item["examples"].splitlines():
                if line.strip().startswith("-"):
                    pairs.add((str(item["intent"]), line.strip()[1:].strip()))
    return pairs


def _without_example(content: str, intent: str, example: str, created_block: bool) -> Optional[str]:
    """The content without an example's line (and its block, if the annotation created it and it is empty).

    Returns:
        The new content, or None when the example is not in the intent's blocks.

    """
    for item_start, _, key_end, _, examples in reversed(_blocks(content, intent)):
        for line_start, line_end, text in reversed(examples):
            if text.strip() != f"- {example}" or line_start == 0:
                continue
            after = content[:line_start - 1] + content[line_end:]
            if created_block and len(examples) == 1 and item_start > 0:
                after = after[:item_start - 1] + after[key_end:]
            return after
    return None


def rasa_complaints(output: str, scratch: str) -> str:
    """The problems ``rasa data validate`` printed, in short (its warnings and errors)."""
    lines = [_ANSI.sub("", line).replace(scratch + os.sep, "") for line in output.splitlines()]
    complaints: list[str] = []
    for i, line in enumerate(lines):
        said = None
        if "UserWarning:" in line:
            said = line.split("UserWarning:", 1)[1].strip()
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if following and not following.startswith("More info"):
                said = f"{said} {following}".strip()
        elif " ERROR " in line or line.startswith("RasaException") or "Error:" in line:
            said = line.strip()
        if said and said not in complaints:
            complaints.append(said)
    return " | ".join(complaints[:5]) or "see `rasa data validate` for details."
