"""Shared helpers for the pose tests: the real clips, cached pose streams, tiny videos.

Running the real model over a clip costs seconds, so each clip is processed at most once
per test session (``clip_poses`` is cached) and every test that needs it shares the result.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from hingecoach.pose.landmarks import FrameInfo, Pose

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "clips"
DEV = CLIPS / "dev"
HOLDOUT = CLIPS / "holdout"


@functools.cache
def ensure_model() -> Path:
    """The verified default pose model, built offline from the wheel if it is missing."""
    from hingecoach.pose import models

    spec = models.find(models.DEFAULT_POSE_MODEL, models.load_manifest())
    return models.fetch(spec).path


CACHE_ENV = "HINGECOACH_TEST_POSE_CACHE"
"""Optional folder to keep clip traces between local test runs (CI leaves it unset)."""


@functools.cache
def clip_poses(name: str, folder: str = "dev") -> tuple[FrameInfo, tuple[Pose, ...]]:
    """Header and every pose of a real clip, through the same path as ``analyze VIDEO``."""
    from hingecoach.pose.trace import TraceReader, TraceWriter
    from hingecoach.pose.video import DEFAULT_MAX_FPS, default_workers, open_video_poses

    ensure_model()
    cache_dir = os.environ.get(CACHE_ENV)
    cached = (Path(cache_dir) / f"{folder}-{name}-w{default_workers()}-{DEFAULT_MAX_FPS:g}fps.jsonl"
              if cache_dir else None)
    if cached is not None and cached.exists():
        reader = TraceReader(cached)
        return reader.info, tuple(reader)
    info, poses = open_video_poses(CLIPS / folder / name)
    got = tuple(poses)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with TraceWriter(cached, info) as w:
            for p in got:
                w.write(p)
    return info, got


def write_video(path: Path, frames: list, fps: float = 30.0) -> Path:
    """Write BGR uint8 frames to an mp4 (mp4v works with OpenCV's wheel)."""
    from hingecoach.pose.sources import opencv

    cv2 = opencv()

    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert out.isOpened()
    for f in frames:
        out.write(f)
    out.release()
    return path
