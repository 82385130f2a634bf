"""The model manifest (``models/manifest.json``) and the fetch / list / verify machinery.

Every model the project loads is named in the manifest with its file name, where it comes
from (``url``), its ``sha256``, ``size`` in bytes and ``licence``. Nothing is fetched at
run time: ``hingecoach models fetch`` puts files in the models directory ahead of time,
and the estimator refuses a missing or corrupt file with a one-line error naming that fix.

URL schemes:

- ``http://``, ``https://``, ``file://``: downloaded in chunks into a temporary file next to
  the destination while hashing; the file is renamed into place only when the size and
  sha256 both match, so a failed or interrupted fetch never leaves a half-written model.
- ``mediapipe-wheel:NAME``: built offline from the model files inside the installed
  mediapipe wheel (:mod:`hingecoach.pose.bundle`), then checked the same way.
- any of the URLs above followed by ``#MEMBER``: the URL is a zip archive (a wheel); it is
  downloaded to a temporary file and the member ``MEMBER`` is extracted and checked.

An entry whose ``sha256`` is ``null`` is never installed: the fetch computes the hash,
reports it and deletes the download, so a person can check it and pin it.

The models directory is ``$HINGECOACH_MODELS`` when set, else the ``models/`` folder at the
repository root (next to the manifest).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from hingecoach.errors import ModelError

MANIFEST_NAME = "manifest.json"
ENV_DIR = "HINGECOACH_MODELS"
DEFAULT_POSE_MODEL = "pose_landmarker_full"
_CHUNK = 1 << 16
_TIMEOUT_S = 30.0

FIX = "run `hingecoach models fetch`"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One manifest entry.

    Attributes:
        name: the id used on the command line (``pose_landmarker_full``).
        file: file name inside the models directory.
        url: where it comes from (http/https/file URL or ``mediapipe-wheel:NAME``).
        sha256: expected hex digest, or None when not pinned yet.
        size: expected size in bytes, or None when not pinned yet.
        licence: the model's licence.
        use: a short note on what it is for.
    """

    name: str
    file: str
    url: str
    sha256: str | None
    size: int | None
    licence: str
    use: str = ""


def repo_models_dir() -> Path:
    """The ``models/`` folder at the repository root (src layout: three levels up)."""
    return Path(__file__).resolve().parents[3] / "models"


def models_dir() -> Path:
    """Where model files live, as ``doctor`` finds them (:meth:`hingecoach.config.Config.models_dir`):
    the config's ``paths.models_dir`` (file or ``HINGECOACH_PATHS_MODELS_DIR``), else
    ``$HINGECOACH_MODELS``, else the repository's ``models/``. Before session 16 only ``doctor``
    read the setting, so its fix, ``hingecoach models fetch``, put a model where it never looked."""
    from hingecoach.config import load_config
    from hingecoach.errors import HingeError

    try:
        configured = load_config().get("paths.models_dir")
    except HingeError:  # a config that cannot be read is reported by the commands that use it
        configured = ""
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else repo_models_dir()


def _spec(obj: Any, where: str) -> ModelSpec:
    if not isinstance(obj, dict):
        raise ModelError(f"{where}: every model entry must be an object")
    try:
        name, file, url, licence = obj["name"], obj["file"], obj["url"], obj["licence"]
    except KeyError as exc:
        raise ModelError(f"{where}: a model entry lacks {exc.args[0]!r}") from None
    sha, size = obj.get("sha256"), obj.get("size")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
        raise ModelError(f"{where}: {name}: sha256 must be 64 hex digits or null")
    if size is not None and (not isinstance(size, int) or size <= 0):
        raise ModelError(f"{where}: {name}: size must be a positive integer or null")
    if "/" in file or file.startswith("."):
        raise ModelError(f"{where}: {name}: file must be a plain file name, got {file!r}")
    return ModelSpec(name=name, file=file, url=url, sha256=sha.lower() if sha else None,
                     size=size, licence=licence, use=obj.get("use", ""))


def load_manifest(path: str | os.PathLike[str] | None = None) -> list[ModelSpec]:
    """Read and validate a manifest (default: the repository's ``models/manifest.json``)."""
    p = Path(path) if path is not None else repo_models_dir() / MANIFEST_NAME
    try:
        obj = orjson.loads(p.read_bytes())
    except FileNotFoundError:
        raise ModelError(f"model manifest {p} not found: restore models/manifest.json "
                         "from the repository") from None
    except orjson.JSONDecodeError:
        raise ModelError(f"model manifest {p} is not valid JSON: restore it from the "
                         "repository") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("models"), list):
        raise ModelError(f"model manifest {p} has no 'models' list")
    specs = [_spec(m, str(p)) for m in obj["models"]]
    return specs


def find(name: str, specs: list[ModelSpec]) -> ModelSpec:
    """The manifest entry called ``name``; ModelError listing the known names otherwise."""
    for s in specs:
        if s.name == name:
            return s
    known = ", ".join(s.name for s in specs)
    raise ModelError(f"no model called {name!r} in the manifest (known: {known})")


@dataclass(frozen=True, slots=True)
class Status:
    """The state of one model file: ``ok``, ``missing``, ``unpinned`` or ``corrupt``."""

    spec: ModelSpec
    path: Path
    state: str
    detail: str = ""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def check(spec: ModelSpec, directory: Path | None = None) -> Status:
    """Compare the file on disk with its manifest entry (size first, then sha256)."""
    path = (directory or models_dir()) / spec.file
    if not path.is_file():
        return Status(spec, path, "missing", "not downloaded")
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        return Status(spec, path, "corrupt", f"size {size} bytes, expected {spec.size}")
    digest = sha256_file(path)
    if spec.sha256 is None:
        return Status(spec, path, "unpinned", f"sha256 {digest} (not pinned in the manifest)")
    if digest != spec.sha256:
        return Status(spec, path, "corrupt", f"sha256 {digest[:12]}..., expected {spec.sha256[:12]}...")
    return Status(spec, path, "ok", f"{size} bytes, sha256 ok")


def require(name: str = DEFAULT_POSE_MODEL, directory: Path | None = None,
            manifest: str | os.PathLike[str] | None = None) -> Path:
    """The verified path of a model, or a one-line ModelError naming the fix."""
    spec = find(name, load_manifest(manifest))
    st = check(spec, directory)
    if st.state == "ok":
        return st.path
    kind = "pose model" if name.startswith("pose_") else "model"
    if st.state == "missing":
        raise ModelError(f"{kind} {st.path} is missing: {FIX}")
    raise ModelError(f"{kind} {st.path} is corrupt ({st.detail}): {FIX}")


# --- fetching --------------------------------------------------------------------------

Progress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None) while fetching."""


def terminal_progress(label: str, stream: IO[str] | None = None) -> Progress | None:
    """A one-line progress bar on stderr, or None when stderr is not a terminal."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 30)
            out.write(f"\r{label} [{bar:<30}] {frac * 100:5.1f}% {done / 1e6:6.1f} MB")
        else:
            out.write(f"\r{label} {done / 1e6:6.1f} MB")
        if total is not None and done >= total:
            out.write("\n")
        out.flush()

    return show


def _download(url: str, sink: IO[bytes], h: Any, progress: Progress | None) -> int:
    try:
        resp = urllib.request.urlopen(url, timeout=_TIMEOUT_S)  # noqa: S310 - http/https/file only
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot download {url} ({reason}): check the network or the URL "
                         "in models/manifest.json") from None
    done = 0
    with resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        try:
            while chunk := resp.read(_CHUNK):
                sink.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise ModelError(f"download of {url} broke off after {done} bytes "
                             f"({type(exc).__name__}): {FIX} again") from None
    if total is not None and done != total:
        raise ModelError(f"download of {url} broke off after {done} of {total} bytes: "
                         f"{FIX} again")
    return done


def _extract(url: str, sink: IO[bytes], h: Any, progress: Progress | None) -> int:
    """Download the zip archive at ``url`` (before ``#``) and copy out the member after it."""
    import zipfile
    import zlib

    archive, member = url.split("#", 1)
    with tempfile.TemporaryFile() as tmp:
        _download(archive, tmp, hashlib.sha256(), progress)
        tmp.seek(0)
        try:
            with zipfile.ZipFile(tmp) as z, z.open(member) as src:
                done = 0
                while chunk := src.read(_CHUNK):
                    sink.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
        except (zipfile.BadZipFile, KeyError, EOFError, NotImplementedError, zlib.error) as exc:
            raise ModelError(f"{archive} is not a zip archive holding {member} ({exc}): check "
                             "the URL in models/manifest.json") from None
    return done


def _build(url: str, sink: IO[bytes], h: Any, progress: Progress | None) -> int:
    from hingecoach.pose.bundle import BUILDERS

    key = url.split(":", 1)[1]
    builder = BUILDERS.get(key)
    if builder is None:
        raise ModelError(f"unknown mediapipe-wheel model {key!r} in models/manifest.json")
    data = builder()
    sink.write(data)
    h.update(data)
    if progress:
        progress(len(data), len(data))
    return len(data)


def fetch(spec: ModelSpec, directory: Path | None = None, *, force: bool = False,
          progress: Progress | None = None) -> Status:
    """Make ``spec``'s file present and verified; atomic: all or nothing.

    Returns the final :class:`Status` (``ok``). Raises ModelError when the transfer
    fails, the size or sha256 do not match, or the entry has no pinned sha256; in every
    failure the temporary file is removed and an existing good file is left untouched.
    """
    directory = directory or models_dir()
    if not force:
        st = check(spec, directory)
        if st.state == "ok":
            return st
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / spec.file
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file}.", suffix=".part", dir=directory)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as sink:
            if spec.url.startswith("mediapipe-wheel:"):
                size = _build(spec.url, sink, h, progress)
            elif "#" in spec.url:
                size = _extract(spec.url, sink, h, progress)
            else:
                size = _download(spec.url, sink, h, progress)
            sink.flush()
            os.fsync(sink.fileno())
        digest = h.hexdigest()
        if spec.size is not None and size != spec.size:
            raise ModelError(f"{spec.name}: got {size} bytes, the manifest says {spec.size}: "
                             "the source changed or the transfer was damaged; nothing installed")
        if spec.sha256 is None:
            raise ModelError(f"{spec.name}: no sha256 pinned in models/manifest.json; the "
                             f"download has sha256 {digest} and {size} bytes: check it against "
                             "a trusted copy and pin it; nothing installed")
        if digest != spec.sha256:
            raise ModelError(f"{spec.name}: sha256 mismatch (got {digest[:12]}..., expected "
                             f"{spec.sha256[:12]}...): the file is corrupt or not the pinned "
                             "model; nothing installed")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return check(spec, directory)
