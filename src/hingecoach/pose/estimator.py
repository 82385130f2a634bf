"""Pose estimators: MediaPipe's Pose Landmarker (Tasks API) and a fake you drive in tests.

Both turn one RGB frame (H x W x 3 uint8, C-contiguous) and its timestamp into a
:class:`~hingecoach.pose.landmarks.Pose`: 33 image landmarks ``(x, y, z, visibility)`` and
33 world landmarks ``(x, y, z)`` in metres, or ``landmarks=None`` when nobody is found.

The MediaPipe estimator runs the landmarker in VIDEO mode (frames in order, synchronous;
the landmark model tracks the person from the previous frame's landmarks and the detector
runs only when tracking is lost) or LIVE_STREAM mode (asynchronous, results delivered to a
callback; MediaPipe drops frames while it is busy, which suits a live camera). The model
is the sha256-verified ``.task`` bundle from ``models/`` (``hingecoach models fetch``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hingecoach.errors import ModelError
from hingecoach.pose.landmarks import Pose

MIN_DETECTION_CONFIDENCE = 0.5
"""MediaPipe's default; the detector's score needed to start tracking a person."""
MIN_PRESENCE_CONFIDENCE = 0.5
"""MediaPipe's default; below it the frame counts as nobody present."""
MIN_TRACKING_CONFIDENCE = 0.5
"""MediaPipe's default; below it the detector runs again on the next frame."""


class PoseEstimator(Protocol):
    """Anything that turns an RGB frame and its timestamp into a Pose."""

    def estimate(self, image: Any, t: float) -> Pose:
        """Pose of one frame. ``image``: H x W x 3 uint8 RGB; ``t``: seconds, increasing."""
        ...

    def close(self) -> None: ...


def _to_pose(t: float, result: Any) -> Pose:
    if not result.pose_landmarks:
        return Pose(t=t, landmarks=None, world=None)
    lms = tuple((p.x, p.y, p.z, p.visibility if p.visibility is not None else 0.0)
                for p in result.pose_landmarks[0])
    world = None
    if result.pose_world_landmarks:
        world = tuple((p.x, p.y, p.z) for p in result.pose_world_landmarks[0])
    return Pose(t=t, landmarks=lms, world=world)


def _options(model_path: Path, mode: str, callback: Callable[..., None] | None) -> Any:
    from mediapipe.tasks.python import BaseOptions, vision

    running = {"video": vision.RunningMode.VIDEO,
               "live": vision.RunningMode.LIVE_STREAM,
               "image": vision.RunningMode.IMAGE}[mode]
    return vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=running,
        num_poses=1,
        min_pose_detection_confidence=MIN_DETECTION_CONFIDENCE,
        min_pose_presence_confidence=MIN_PRESENCE_CONFIDENCE,
        min_tracking_confidence=MIN_TRACKING_CONFIDENCE,
        output_segmentation_masks=False,
        result_callback=callback,
    )


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence the C++ log lines MediaPipe prints on fd 2 while a graph starts up.

    (GPU probing, XNNPACK, feedback-tensor notes: noise for a CLI user; GLOG env vars do
    not reach them.) Python-level errors are raised as exceptions, so nothing is lost.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _create(model_path: Path, mode: str, callback: Callable[..., None] | None = None) -> Any:
    from mediapipe.tasks.python import vision

    try:
        with quiet_native_stderr():
            return vision.PoseLandmarker.create_from_options(_options(model_path, mode, callback))
    except (RuntimeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"pose model {model_path} cannot be loaded ({first[:120]}): "
                         "run `hingecoach models fetch --force`") from None


def resolve_model(model: str | Path | None) -> Path:
    """A verified model path: a manifest name (default ``pose_landmarker_full``) or a file."""
    from hingecoach.pose import models

    if model is None:
        return models.require(models.DEFAULT_POSE_MODEL)
    p = Path(model)
    if p.suffix == ".task" or p.exists():
        if not p.is_file():
            raise ModelError(f"pose model {p} not found: run `hingecoach models fetch` or "
                             "pass the path of a .task file")
        return p
    return models.require(str(model))


class MediaPipePoseEstimator:
    """MediaPipe Pose Landmarker in VIDEO mode (synchronous, frames in order).

    Args:
        model: manifest name or path of a ``.task`` bundle (default: the verified
            ``pose_landmarker_full`` from ``models/``).
    """

    def __init__(self, model: str | Path | None = None) -> None:
        import mediapipe as mp

        self._mp = mp
        self.model_path = resolve_model(model)
        self._landmarker = _create(self.model_path, "video")
        self._last_ms = -1
        # One blank frame at t=0 ms while stderr is quiet: the graph logs its start-up
        # notes on the first frame. Nobody is in it, so tracking starts fresh.
        import numpy as np

        self._quiet_until_found = True
        with quiet_native_stderr():
            self.estimate(np.zeros((64, 64, 3), np.uint8), 0.0)

    def estimate(self, image: Any, t: float) -> Pose:
        mp = self._mp
        # MediaPipe needs strictly increasing integer milliseconds per landmarker.
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        frame = mp.Image(image_format=mp.ImageFormat.SRGB, data=image)
        if self._quiet_until_found:
            # The graph logs a projection note the first time it finds a person.
            with quiet_native_stderr():
                pose = _to_pose(t, self._landmarker.detect_for_video(frame, ms))
            self._quiet_until_found = pose.landmarks is None
            return pose
        return _to_pose(t, self._landmarker.detect_for_video(frame, ms))

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LivePoseEstimator:
    """MediaPipe Pose Landmarker in LIVE_STREAM mode for a live camera.

    ``submit(image, t)`` returns at once; results arrive on MediaPipe's thread and are
    handed to ``on_pose`` (MediaPipe skips frames submitted while it is busy, so a slow
    machine falls behind gracefully instead of queueing). ``latest()`` is the last pose.
    """

    def __init__(self, on_pose: Callable[[Pose], None] | None = None,
                 model: str | Path | None = None) -> None:
        import mediapipe as mp

        self._mp = mp
        self._on_pose = on_pose
        self._lock = threading.Lock()
        self._latest: Pose | None = None
        self._last_ms = -1
        self.model_path = resolve_model(model)
        self._landmarker = _create(self.model_path, "live", self._callback)

    def _callback(self, result: Any, image: Any, timestamp_ms: int) -> None:
        pose = _to_pose(timestamp_ms / 1000.0, result)
        with self._lock:
            self._latest = pose
        if self._on_pose:
            self._on_pose(pose)

    def submit(self, image: Any, t: float) -> None:
        mp = self._mp
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        self._landmarker.detect_async(mp.Image(image_format=mp.ImageFormat.SRGB, data=image), ms)

    def latest(self) -> Pose | None:
        with self._lock:
            return self._latest

    def close(self) -> None:
        self._landmarker.close()


@dataclass
class FakePoseEstimator:
    """A real estimator class you drive: it returns scripted poses and records every call.

    Args:
        poses: the poses to hand out, in order (their ``t`` is replaced by the frame's);
            when they run out, ``repeat_last`` decides between repeating the last one
            and returning "nobody there".
        fn: alternatively, a function ``(t, image) -> Pose``.

    Attributes:
        calls: the timeline of ``(t, (height, width))`` for every frame it was given.
        closed: whether ``close()`` was called.
    """

    poses: Sequence[Pose] = ()
    fn: Callable[[float, Any], Pose] | None = None
    repeat_last: bool = False
    calls: list[tuple[float, tuple[int, int]]] = field(default_factory=list)
    closed: bool = False

    def estimate(self, image: Any, t: float) -> Pose:
        shape = tuple(getattr(image, "shape", (0, 0))[:2])
        self.calls.append((t, (int(shape[0]), int(shape[1]))))
        if self.fn is not None:
            return self.fn(t, image)
        i = len(self.calls) - 1
        if i < len(self.poses):
            src = self.poses[i]
        elif self.repeat_last and self.poses:
            src = self.poses[-1]
        else:
            return Pose(t=t, landmarks=None, world=None)
        return Pose(t=t, landmarks=src.landmarks, world=src.world)

    def close(self) -> None:
        self.closed = True
