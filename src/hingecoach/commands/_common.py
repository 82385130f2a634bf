"""Helpers shared by several sub-commands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from hingecoach.errors import InputError
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.trace import TraceReader, looks_like_trace


def open_pose_input(path: str, *, progress: bool = False) -> tuple[FrameInfo, Iterator[Pose]]:
    """Open a trace (JSON Lines) or a video as a pose stream.

    Traces are read without importing mediapipe or OpenCV; videos go through the pose
    estimator (``hingecoach.pose.video``), imported only then.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file: check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a directory: pass a .jsonl pose trace or a video file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{path}: cannot be read: check its permissions")
    if looks_like_trace(p):
        reader = TraceReader(p)
        return reader.info, iter(reader)
    try:
        from hingecoach.pose import video
    except ImportError as exc:  # the pose stack is not installed
        raise InputError(f"{path}: reading video needs the pose extra ({exc.name} missing): "
                         "run ./script/setup or pip install 'hingecoach[pose]'") from exc
    return video.open_video_poses(str(p), progress=progress)


def refuse_overwriting_input(out: str | os.PathLike[str], source: str | os.PathLike[str], flag: str,
                             suffix: str | None = None) -> None:
    """An output that is the input file itself would destroy the recording before it is read
    (``record clip.mp4 --out clip.mp4`` did: review, session 12)."""
    o, s = Path(out), Path(source)
    same = o.exists() and s.exists() and os.path.samefile(o, s)
    if same or o.resolve() == s.resolve():
        raise InputError(f"{flag} {out} is the input itself: writing it would destroy the recording: "
                         f"name another file, e.g. {flag} {o.with_name(o.stem + '-out' + (suffix or o.suffix))}")

