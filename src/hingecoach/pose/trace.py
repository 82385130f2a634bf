"""The JSON Lines pose trace of DESIGN 3.1, read and written as a stream.

Header line::

    {"format": "hingecoach-trace", "version": 1, "width": W, "height": H, "fps": F,
     "landmark_model": "mediapipe-pose-33"}

then one frame a line::

    {"t": seconds, "landmarks": [[x, y, z, visibility] x 33] | null, "world": [[x, y, z] x 33]}

Every line is validated; problems raise :class:`~hingecoach.errors.TraceError` naming the
file and the line.
"""

from __future__ import annotations

import codecs
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from hingecoach.errors import InputError, TraceError
from hingecoach.pose.landmarks import COUNT, FrameInfo, Pose

FORMAT = "hingecoach-trace"
VERSION = 1
MODEL = "mediapipe-pose-33"

_isfinite = math.isfinite


def _fail(path: str, line: int | None, problem: str) -> TraceError:
    return TraceError(path, line, problem)


def _open(path: str | os.PathLike[str]) -> IO[bytes]:
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise _fail(name, None, "no such file: check the path")
    if p.is_dir():
        raise _fail(name, None, "is a directory, not a trace file: pass a .jsonl trace or a video")
    try:
        return p.open("rb")
    except OSError as exc:
        raise _fail(name, None, f"cannot be read ({exc.strerror}): check its permissions") from exc


def _without_bom(raw: bytes) -> bytes:
    """``raw`` without the UTF-8 byte-order marks it starts with (a file converted twice has two)."""
    while raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    return raw


def parse_header(raw: bytes, path: str = "<trace>", line: int = 1) -> FrameInfo:
    """Parse and validate the header line of a trace (UTF-8 byte-order marks, as some
    Windows editors write, are skipped)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(path, line, "the file is UTF-16 text: save it as UTF-8 (e.g. `iconv -f UTF-16 -t UTF-8 "
                    "IN > OUT.jsonl`)")
    try:
        obj = orjson.loads(_without_bom(raw))
    except orjson.JSONDecodeError:
        raise _fail(path, line, "the header is not valid JSON: the first line must be the "
                    '{"format": "hingecoach-trace", ...} header') from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise _fail(path, line, 'missing header: the first line must be {"format": '
                    '"hingecoach-trace", "version": 1, ...} (is this a pose trace?)')
    if obj.get("version") != VERSION:
        raise _fail(path, line, f"unsupported trace version {obj.get('version')!r}: "
                    f"this hingecoach reads version {VERSION}")
    model = obj.get("landmark_model", MODEL)
    if model != MODEL:
        raise _fail(path, line, f"unsupported landmark_model {model!r}: expected {MODEL!r}")
    for key in ("width", "height"):
        v = obj.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise _fail(path, line, f"header {key!r} must be a positive integer, got {v!r}")
    fps = obj.get("fps")
    if not isinstance(fps, (int, float)) or isinstance(fps, bool) or not _isfinite(fps) or fps <= 0:
        raise _fail(path, line, f"header 'fps' must be a positive number, got {fps!r}")
    return FrameInfo(width=obj["width"], height=obj["height"], fps=float(fps), landmark_model=model)


def _points(value: Any, width: int, path: str, line: int, key: str, strict: bool = False) -> Any:
    # Fast path: 33 lists of `width` numbers whose sum is finite (a NaN or an infinity makes
    # the sum non-finite; a non-number makes sum() raise). Anything else gets the slow,
    # precise check below so the error names the landmark.
    # (A JSON true/false in the line - which sum() would take for 1/0 - forces the slow path.)
    if not strict and type(value) is list and len(value) == COUNT:
        try:
            # set(map(len)) checks the shape; the sum fails (TypeError) on anything that is
            # not a list of plain numbers, and is non-finite when a NaN/inf hides in it.
            if set(map(len, value)) == {width} and _isfinite(sum(map(sum, value))):
                return value
        except TypeError:
            pass
    return _points_checked(value, width, path, line, key)


def _points_checked(value: Any, width: int, path: str, line: int, key: str) -> Any:
    if not isinstance(value, list) or len(value) != COUNT:
        n = len(value) if isinstance(value, list) else type(value).__name__
        raise _fail(path, line, f"{key!r} must hold {COUNT} landmarks, got {n}: traces hold "
                    "MediaPipe Pose's 33 landmarks (hingecoach record writes them)")
    out = []
    for i, p in enumerate(value):
        if not isinstance(p, list) or len(p) != width:
            raise _fail(path, line, f"{key!r} landmark {i} must be a list of {width} numbers")
        for v in p:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not _isfinite(v):
                raise _fail(path, line, f"{key!r} landmark {i} has a non-finite or "
                            f"non-numeric value {v!r}")
        out.append(p)
    raise _fail(path, line, f"{key!r} has values whose sum is not finite (too large)")


def parse_frame(raw: bytes, path: str = "<trace>", line: int = 0, last_t: float | None = None) -> Pose:
    """Parse and validate one frame line."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if b"NaN" in raw or b"Infinity" in raw:
            raise _fail(path, line, "a coordinate is NaN or Infinity: every value must be a "
                        "finite number") from None
        raise _fail(path, line, "not valid JSON (truncated or corrupt line)") from None
    if not isinstance(obj, dict):
        raise _fail(path, line, "a frame line must be a JSON object")
    t = obj.get("t")
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not _isfinite(t):
        raise _fail(path, line, f"frame 't' must be a finite number of seconds, got {t!r}")
    if last_t is not None and t < last_t:
        raise _fail(path, line, f"timestamps go backwards ({t} after {last_t})")
    if "landmarks" not in obj:
        raise _fail(path, line, "frame has no 'landmarks' (use null when no person is seen)")
    lms = obj["landmarks"]
    # Bytes that only a JSON true/false/null can bring ("u" of true/null, "f" of false; no key
    # or number has them) send the landmark lists down the slow, precise path.
    strict = b"u" in raw or b"f" in raw
    landmarks = None if lms is None else _points(lms, 4, path, line, "landmarks", strict)
    world_raw = obj.get("world")
    world = None if world_raw is None else _points(world_raw, 3, path, line, "world", strict)
    return Pose(t=float(t), landmarks=landmarks, world=world)


class TraceReader:
    """Stream a trace file: ``info`` is the header, iterating yields validated poses."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self._fh = _open(path)
        first = self._fh.readline()
        if not _without_bom(first).strip():
            self._fh.close()
            raise _fail(self.path, 1, "the file is empty: a trace starts with a header line")
        try:
            self.info = parse_header(first, self.path, 1)
        except TraceError:
            self._fh.close()
            raise

    def __iter__(self) -> Iterator[Pose]:
        last_t = None
        path = self.path
        try:
            for n, raw in enumerate(self._fh, start=2):
                if not raw.strip():
                    continue
                if not raw.endswith(b"\n") and raw.lstrip()[:1] == b"{" and raw.rstrip()[-1:] != b"}":
                    raise _fail(path, n, "truncated line (the file ends mid-frame): delete the last "
                                "line or record the trace again")
                pose = parse_frame(raw, path, n, last_t)
                last_t = pose.t
                yield pose
        finally:
            self._fh.close()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def looks_like_trace(path: str | os.PathLike[str]) -> bool:
    """True when the file's first bytes look like a JSON trace rather than a video."""
    p = Path(path)
    if p.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        return True
    try:
        with p.open("rb") as fh:
            head = _without_bom(fh.read(64)).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def _round(points: tuple[tuple[float, ...], ...] | None, nd: int) -> list[list[float]] | None:
    if points is None:
        return None
    return [[round(v, nd) for v in p] for p in points]


class TraceWriter:
    """Write a trace line by line (flushed per frame, so a crash loses at most one line)."""

    def __init__(self, path: str | os.PathLike[str], info: FrameInfo, *, digits: int = 5) -> None:
        self.path = str(path)
        if Path(path).is_dir():
            raise InputError(f"{path} is a directory: give a file name for the trace (.jsonl)")
        try:
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise InputError(f"{path}: cannot write the trace ({exc.strerror}): check that "
                             "the folder exists and is writable") from exc
        self._digits = digits
        header = {"format": FORMAT, "version": VERSION, "width": info.width,
                  "height": info.height, "fps": info.fps, "landmark_model": info.landmark_model}
        self._fh.write(orjson.dumps(header) + b"\n")

    def write(self, pose: Pose) -> None:
        obj: dict[str, Any] = {"t": round(pose.t, 6),
                               "landmarks": _round(pose.landmarks, self._digits)}
        if pose.world is not None:
            obj["world"] = _round(pose.world, self._digits)
        self._fh.write(orjson.dumps(obj) + b"\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
