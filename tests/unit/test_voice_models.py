"""scripts/voice_models.py against small model archives served from a loopback HTTP server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import io
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from bot.settings import PROJECT_DIR
from voice.recognition import model_folder

SCRIPT = PROJECT_DIR / "scripts" / "voice_models.py"
ZH = "vosk-model-small-cn-0.22"
EN = "vosk-model-small-en-us-0.15"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("voice_models", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


voice_models = load_script()


def model_zip(top: str, extra: dict[str, bytes] | None = None, link: str | None = None) -> bytes:
    """A small archive laid out like an official Vosk model (one top folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", b"")
        for name, data in {"am/final.mdl": b"acoustic model", "conf/model.conf": b"--sample-frequency=16000",
                           "conf/mfcc.conf": b"--use-energy=false", "graph/HCLr.fst": b"fst",
                           "ivector/final.ie": b"ivector", "README": b"small model"}.items():
            archive.writestr(f"{top}/{name}", data)
        for name, data in (extra or {}).items():
            archive.writestr(zipfile.ZipInfo(name), data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback, and its URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/models"
    server.shutdown()
    server.server_close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = voice_models.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def leftovers(dest: Path) -> list[str]:
    return sorted(path.name for path in dest.iterdir()) if dest.exists() else []


def test_the_pinned_sums_are_full_sha256_digests() -> None:
    assert set(voice_models.MODELS) == {"zh", "en"}
    assert voice_models.MODELS["zh"].archive == f"{ZH}.zip"
    assert voice_models.MODELS["en"].archive == f"{EN}.zip"
    for model in voice_models.MODELS.values():
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0
        assert model.sha256 in (voice_models.__doc__ or "")  # with where it comes from


def test_a_good_checksum_installs_the_model(served: tuple[Path, str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder, url = served
    data = model_zip(ZH)
    (folder / "models").mkdir()
    (folder / "models" / f"{ZH}.zip").write_bytes(data)
    dest = tmp_path / "voice-models"
    monkeypatch.setenv("VOSK_MODELS_BASE_URL", url)  # the address can come from the environment
    code, out, err = run(capsys, "--only", "zh", "--dest", str(dest), "--sha256", f"zh={sha256(data)}")
    assert code == 0, err
    installed = dest / ZH
    assert (installed / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert model_folder(installed) == installed  # what VOSK_MODEL_ZH will be checked with
    assert out == f"VOSK_MODEL_ZH={installed.resolve()}\n"  # outside the project: an absolute path
    assert "SHA-256 verified" in err and url in err
    assert leftovers(dest) == [ZH, f"{ZH}.zip"]  # the archive is kept (for --from-dir elsewhere)
    # again: nothing to download (the server is not asked), same line printed
    (folder / "models" / f"{ZH}.zip").unlink()
    code, out_again, err = run(capsys, "--only", "zh", "--dest", str(dest), "--sha256", f"zh={sha256(data)}")
    assert code == 0 and out_again == out and "already installed" in err


def test_both_models_are_installed_and_both_lines_printed(served: tuple[Path, str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder, url = served
    (folder / "models").mkdir()
    sums = []
    for language, name in (("zh", ZH), ("en", EN)):
        data = model_zip(name)
        (folder / "models" / f"{name}.zip").write_bytes(data)
        sums += ["--sha256", f"{language}={sha256(data)}"]
    dest = tmp_path / "voice-models"
    code, out, err = run(capsys, "--dest", str(dest), "--base-url", url, *sums)
    assert code == 0, err
    assert out.splitlines() == [f"VOSK_MODEL_ZH={(dest / ZH).resolve()}",
                                f"VOSK_MODEL_EN={(dest / EN).resolve()}"]


def test_a_model_inside_the_project_is_named_relative_to_it() -> None:
    assert voice_models.env_value(PROJECT_DIR / "var" / "voice-models" / ZH) == f"var/voice-models/{ZH}"


def test_a_bad_checksum_is_refused_and_nothing_is_unpacked(served: tuple[Path, str], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder, url = served
    (folder / "models").mkdir()
    data = model_zip(ZH)  # not the official archive: the pinned sum cannot match
    (folder / "models" / f"{ZH}.zip").write_bytes(data)
    dest = tmp_path / "voice-models"
    code, out, err = run(capsys, "--only", "zh", "--dest", str(dest), "--base-url", url)
    assert code == 1 and out == ""
    assert "REFUSED" in err and voice_models.MODELS["zh"].sha256 in err and sha256(data) in err
    assert "deleted" in err and "nothing was unpacked" in err
    assert leftovers(dest) == []  # no archive, no partial download, no model, no scratch folder


@pytest.mark.parametrize("member", ["../evil.txt", f"{ZH}/../../evil.txt", "/tmp/evil-absolute.txt"])
def test_an_archive_climbing_out_of_its_folder_is_refused(member: str, served: tuple[Path, str],
                                                          tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder, url = served
    (folder / "models").mkdir()
    data = model_zip(ZH, extra={member: b"outside"})
    (folder / "models" / f"{ZH}.zip").write_bytes(data)
    dest = tmp_path / "voice-models"
    code, out, err = run(capsys, "--only", "zh", "--dest", str(dest), "--base-url", url,
                         "--sha256", f"zh={sha256(data)}")
    assert code == 1 and out == ""
    assert "REFUSED" in err and "unsafe path" in err and member in err
    assert leftovers(dest) == [f"{ZH}.zip"]  # nothing unpacked, no scratch folder left
    assert not list(tmp_path.rglob("evil*.txt")) and not Path("/tmp/evil-absolute.txt").exists()


def test_an_archive_with_a_link_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "usb"
    source.mkdir()
    data = model_zip(ZH, link=f"{ZH}/conf/passwd")
    (source / f"{ZH}.zip").write_bytes(data)
    dest = tmp_path / "voice-models"
    code, _, err = run(capsys, "--only", "zh", "--dest", str(dest), "--from-dir", str(source),
                       "--sha256", f"zh={sha256(data)}")
    assert code == 1 and "link" in err
    assert leftovers(dest) == []


def test_archives_from_a_folder_are_verified_and_installed(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "usb"
    source.mkdir()
    data = model_zip(EN)
    (source / f"{EN}.zip").write_bytes(data)
    dest = tmp_path / "voice-models"
    code, out, err = run(capsys, "--only", "en", "--dest", str(dest), "--from-dir", str(source),
                         "--sha256", f"en={sha256(data)}")
    assert code == 0, err
    assert out == f"VOSK_MODEL_EN={(dest / EN).resolve()}\n"
    assert model_folder(dest / EN) == dest / EN
    assert (source / f"{EN}.zip").read_bytes() == data  # the copy on the stick is left alone
    assert "Downloading" not in err


def test_archives_from_a_folder_are_checksum_verified_too(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "usb"
    source.mkdir()
    (source / f"{EN}.zip").write_bytes(model_zip(EN))
    dest = tmp_path / "voice-models"
    code, _, err = run(capsys, "--only", "en", "--dest", str(dest), "--from-dir", str(source))
    assert code == 1 and "REFUSED" in err and voice_models.MODELS["en"].sha256 in err
    assert (source / f"{EN}.zip").exists() and leftovers(dest) == []
    code, _, err = run(capsys, "--only", "zh", "--dest", str(dest), "--from-dir", str(source))
    assert code == 1 and f"{ZH}.zip" in err and "is not there" in err


def test_an_unreachable_address_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dest = tmp_path / "voice-models"
    code, out, err = run(capsys, "--only", "en", "--dest", str(dest), "--base-url", f"http://127.0.0.1:{port}/m")
    assert code == 1 and out == ""
    assert f"Could not download http://127.0.0.1:{port}/m/{EN}.zip" in err
    assert "--from-dir" in err and "no internet" in err
    assert leftovers(dest) == []


def test_a_missing_archive_on_the_server_is_explained(served: tuple[Path, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, url = served
    code, _, err = run(capsys, "--only", "zh", "--dest", str(tmp_path / "d"), "--base-url", url)
    assert code == 1 and f"{url}/{ZH}.zip" in err and "404" in err and "--from-dir" in err


def test_a_malformed_sha256_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        voice_models.main(["--sha256", "zh=1234"])
    assert done.value.code == 2
    assert "LANG=HEX" in capsys.readouterr().err


def test_the_script_needs_only_the_standard_library() -> None:
    # -S: no site-packages at all
    done = subprocess.run([sys.executable, "-S", str(SCRIPT), "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--from-dir" in done.stdout and "--only" in done.stdout
