"""The model manifest and fetcher: sha256-verified, atomic, tested on 127.0.0.1 and file://."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from hingecoach.cli import main
from hingecoach.errors import ModelError
from hingecoach.pose import models

PAYLOAD = bytes(range(256)) * 2000  # 512 kB, several chunks


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at /good.task and a transfer that breaks off at /broken.task."""

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path == "/good.task":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path == "/broken.task":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
            self.wfile.flush()
            self.close_connection = True
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def spec(url: str, sha: str | None = None, size: int | None = len(PAYLOAD)) -> models.ModelSpec:
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    return models.ModelSpec(name="test_model", file="test.task", url=url,
                            sha256=digest if sha is None else sha, size=size, licence="MIT")


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_fetch_over_http_installs_a_verified_file(server: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    st = models.fetch(spec(f"{server}/good.task"), tmp_path,
                      progress=lambda d, t: seen.append((d, t)))
    assert st.state == "ok"
    assert (tmp_path / "test.task").read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["test.task"]
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))


def test_fetch_from_a_file_url_works_too(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    dest = tmp_path / "models"
    assert models.fetch(spec(src.as_uri()), dest).state == "ok"
    assert (dest / "test.task").read_bytes() == PAYLOAD


def test_a_bad_checksum_installs_nothing(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="sha256 mismatch"):
        models.fetch(spec(f"{server}/good.task", sha="0" * 64), tmp_path)
    assert leftovers(tmp_path) == []


def test_a_broken_transfer_leaves_no_half_written_file(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="broke off"):
        models.fetch(spec(f"{server}/broken.task"), tmp_path)
    assert leftovers(tmp_path) == []


def test_a_failed_fetch_keeps_the_good_file_already_there(server: str, tmp_path: Path) -> None:
    models.fetch(spec(f"{server}/good.task"), tmp_path)
    with pytest.raises(ModelError):
        models.fetch(spec(f"{server}/broken.task"), tmp_path, force=True)
    assert (tmp_path / "test.task").read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["test.task"]


def test_an_unreachable_url_is_one_clear_error(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="cannot download"):
        models.fetch(spec(f"{server}/nope.task"), tmp_path)
    assert leftovers(tmp_path) == []


def test_an_unpinned_model_is_never_installed_and_its_hash_is_reported(
        server: str, tmp_path: Path) -> None:
    unpinned = models.ModelSpec(name="x", file="x.task", url=f"{server}/good.task",
                                sha256=None, size=None, licence="MIT")
    with pytest.raises(ModelError, match=hashlib.sha256(PAYLOAD).hexdigest()):
        models.fetch(unpinned, tmp_path)
    assert leftovers(tmp_path) == []


def test_check_tells_missing_corrupt_and_ok_apart(tmp_path: Path) -> None:
    s = spec("file:///unused")
    assert models.check(s, tmp_path).state == "missing"
    (tmp_path / "test.task").write_bytes(PAYLOAD[:-1] + b"\x00")
    assert models.check(s, tmp_path).state == "corrupt"
    (tmp_path / "test.task").write_bytes(PAYLOAD)
    assert models.check(s, tmp_path).state == "ok"


def test_the_repository_manifest_is_valid_and_pins_the_default_model() -> None:
    specs = models.load_manifest()
    full = models.find(models.DEFAULT_POSE_MODEL, specs)
    assert full.sha256 and len(full.sha256) == 64 and full.size and full.licence
    assert full.url.startswith("mediapipe-wheel:")


def test_a_malformed_manifest_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_bytes(b"{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        models.load_manifest(bad)
    bad.write_bytes(orjson.dumps({"models": [{"name": "x"}]}))
    with pytest.raises(ModelError, match="lacks"):
        models.load_manifest(bad)


def test_require_names_the_fix_for_a_missing_or_corrupt_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="hingecoach models fetch"):
        models.require(directory=tmp_path)
    (tmp_path / "pose_landmarker_full.task").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="corrupt.*hingecoach models fetch"):
        models.require(directory=tmp_path)


def test_the_cli_verify_fails_in_one_line_when_the_model_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "verify", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hingecoach models fetch" in err[0]


@pytest.mark.slow
def test_the_default_model_builds_offline_from_the_wheel_with_the_pinned_hash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "fetch", "--dir", str(tmp_path)]) == 0
    assert main(["models", "verify", "--dir", str(tmp_path)]) == 0
    assert "pose_landmarker_full: ok" in capsys.readouterr().out
    assert leftovers(tmp_path) == ["pose_landmarker_full.task"]


def test_a_member_of_a_zip_archive_is_extracted_and_checked(tmp_path: Path) -> None:
    """``URL#MEMBER``: how the speech embedding models come out of the openWakeWord wheel."""
    import zipfile

    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("pkg/resources/other.bin", b"x" * 100)
        z.writestr("pkg/resources/test.task", PAYLOAD)
    dest = tmp_path / "models"
    st = models.fetch(spec(f"{wheel.as_uri()}#pkg/resources/test.task"), dest)
    assert st.state == "ok" and (dest / "test.task").read_bytes() == PAYLOAD
    assert leftovers(dest) == ["test.task"]
    with pytest.raises(ModelError, match="not a zip archive holding pkg/nope"):
        models.fetch(spec(f"{wheel.as_uri()}#pkg/nope"), tmp_path / "m2")
    with pytest.raises(ModelError, match="sha256 mismatch"):
        models.fetch(spec(f"{wheel.as_uri()}#pkg/resources/other.bin", size=None), tmp_path / "m3")
    assert leftovers(tmp_path / "m3") == []


def test_the_manifest_pins_the_speech_embedding_models_inside_the_openwakeword_wheel() -> None:
    specs = models.load_manifest()
    for name in ("speech_melspectrogram", "speech_embedding"):
        s = models.find(name, specs)
        assert s.sha256 and s.size and "Apache-2.0" in s.licence
        assert s.url.startswith("https://files.pythonhosted.org/") and "openwakeword-0.4.0" in s.url
        assert "#openwakeword/resources/models/" in s.url


def test_the_configured_models_dir_is_where_every_model_is_looked_for(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`paths.models_dir` was read by doctor alone: `models`, the pose model and the
    recogniser looked in the checkout's models/ (or ./models), so doctor's fix (`hingecoach
    models fetch`) never put the model where doctor looked. The setting comes before
    $HINGECOACH_MODELS, as in doctor (Config.models_dir)."""
    from hingecoach.audio.recognisers import describe_recogniser
    from hingecoach.config import load_config
    from hingecoach.pose import models as mm

    configured, env = tmp_path / "configured", tmp_path / "env"
    monkeypatch.delenv("HINGECOACH_MODELS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("HINGECOACH_PATHS_MODELS_DIR", str(configured))
    assert mm.models_dir() == configured == load_config().models_dir()
    assert str(configured) in describe_recogniser().reason
    monkeypatch.setenv("HINGECOACH_MODELS", str(env))
    assert mm.models_dir() == configured == load_config().models_dir()
    monkeypatch.delenv("HINGECOACH_PATHS_MODELS_DIR")
    assert mm.models_dir() == env == load_config().models_dir()
    monkeypatch.delenv("HINGECOACH_MODELS")
    assert mm.models_dir() == mm.repo_models_dir()
