"""Frames to poses, fast: the pipeline behind ``analyze VIDEO``, ``record`` and the bench.

Where the time goes on a 2-core x86 machine (full model, 360 x 640 clip): decoding and
colour conversion ~1 ms a frame, the landmark model ~16-18 ms of CPU (tracking mode, the
detector only when the track is lost). A naive loop does these one after the other for
every frame. Here:

1. video analysis runs at most :data:`DEFAULT_MAX_FPS` poses per second of video: a 60 fps
   file is analysed on every second frame, and skipped frames are only grabbed, never
   converted (the biggest saving on high-rate files);
2. a decode thread reads and converts frames ahead of inference (bounded queue), so
   decoding overlaps inference;
3. with ``workers`` > 1, independent Pose Landmarkers take alternate frames, each on its
   own thread (MediaPipe releases the GIL). Each sees every ``workers``-th frame in order,
   so it still tracks the person, and the result is deterministic for a given worker
   count. Default: 2 on 4+ cores, 1 below (see :func:`default_workers`);
4. the consumer (the motion core) runs on the calling thread, overlapping both;
5. frames are converted BGR->RGB exactly once, into the array handed to MediaPipe; large
   frames can be downscaled first (``max_side``) since the model sees a 256 x 256 crop.

Results come out in frame order with the frames' own timestamps.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hingecoach.pose.estimator import MediaPipePoseEstimator, PoseEstimator, resolve_model
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.sources import Frame, FrameSource, VideoFileSource

PREFETCH_FRAMES = 8
"""Decoded frames buffered ahead of inference (memory: 8 x 1080p RGB ~ 50 MB at most)."""
ENV_WORKERS = "HINGECOACH_POSE_WORKERS"


DEFAULT_MAX_FPS = 30.0
"""Pose rate for video analysis, poses per second of video. A 60 fps file is analysed on
every second frame: the motion core is time-based, a hinge rep lasts over a second and the
fastest thing judged (``too_fast``, a descent under ~0.5 s) spans 15 frames at 30 Hz, so
the extra frames only cost time (measured: the same rep counts and views on the dev clips).
Pass ``max_fps=None`` to analyse every frame."""


def default_workers() -> int:
    """Landmarkers to run side by side: ``$HINGECOACH_POSE_WORKERS``, else 2 with 4+ cores
    (the Pi 5) and 1 below that.

    One MediaPipe graph already keeps ~2 threads busy; on this 2-core machine, shared with
    other work, two graphs oversubscribed the cores and ran slower than one (measured in
    bench/pose.py: 32 vs 24 ms a frame at load 8), while on an idle 2-core machine they
    were ~1.25x faster. Fixed per machine so results do not depend on the load.
    """
    env = os.environ.get(ENV_WORKERS)
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return 2 if (os.cpu_count() or 1) >= 4 else 1


@dataclass
class PipelineStats:
    """Where the time went (seconds, summed over frames; threads overlap, so the parts
    can add up to more than ``wall_s``)."""

    frames: int = 0
    pose_frames: int = 0
    decode_s: float = 0.0
    inference_s: float = 0.0
    wall_s: float = 0.0


LIVE_PREFETCH_FRAMES = 2
"""Live cameras: at most this many frames wait; older ones are dropped so the coach always
sees the freshest picture (latency over completeness)."""


class _Prefetch:
    """Iterate a frame source on a background thread, ``depth`` frames ahead.

    With ``drop_old`` (live cameras) a full queue drops its oldest frame instead of
    making the camera wait.
    """

    _END = object()

    def __init__(self, frames: Iterable[Frame], depth: int = PREFETCH_FRAMES,
                 drop_old: bool = False) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._drop_old = drop_old
        self.dropped = 0
        self._stop = threading.Event()
        self._frames = frames
        self._thread = threading.Thread(target=self._run, name="hingecoach-decode", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for f in self._frames:
                if self._drop_old:
                    while True:
                        try:
                            self._q.put_nowait(f)
                            break
                        except queue.Full:
                            with contextlib.suppress(queue.Empty):
                                self._q.get_nowait()
                                self.dropped += 1
                    if self._stop.is_set():
                        return
                elif not self._put(f):
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            self._put(exc)
            return
        self._put(self._END)

    def __iter__(self) -> Iterator[Frame]:
        try:
            while True:
                item = self._q.get()
                if item is self._END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()
            self._thread.join(timeout=5)


def _timed(est: PoseEstimator, stats_box: list[float]) -> Callable[[Any, float], Pose]:
    def run(image: Any, t: float) -> Pose:
        t0 = time.perf_counter()
        pose = est.estimate(image, t)
        stats_box[0] += time.perf_counter() - t0
        return pose

    return run


def estimate_stream(frames: Iterable[Frame], estimators: list[PoseEstimator],
                    stats: PipelineStats | None = None, *, prefetch: bool = True,
                    live: bool = False,
                    on_frame: Callable[[int], None] | None = None) -> Iterator[Pose]:
    """Poses of ``frames`` in order, decoding ahead and spreading frames over ``estimators``.

    Frame ``i`` goes to ``estimators[i % len(estimators)]``, each on its own thread. With
    ``live``, stale frames are dropped rather than queued (see LIVE_PREFETCH_FRAMES).
    """
    stats = stats if stats is not None else PipelineStats()
    n = len(estimators)
    boxes = [[0.0] for _ in range(n)]
    runs = [_timed(e, b) for e, b in zip(estimators, boxes, strict=True)]
    pools = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"hingecoach-pose{k}")
             for k in range(n)]
    pending: deque[Future[Pose]] = deque()
    if prefetch:
        source = iter(_Prefetch(frames, LIVE_PREFETCH_FRAMES, drop_old=True) if live
                      else _Prefetch(frames))
    else:
        source = iter(frames)
    start = time.perf_counter()

    def done(fut: Future[Pose]) -> Pose:
        pose = fut.result()
        stats.frames += 1
        stats.pose_frames += pose.landmarks is not None
        stats.inference_s = sum(b[0] for b in boxes)
        stats.wall_s = time.perf_counter() - start
        if on_frame:
            on_frame(stats.frames)
        return pose

    try:
        for k, frame in enumerate(source):
            pending.append(pools[k % n].submit(runs[k % n], frame.image, frame.t))
            while len(pending) > 2 * n or (pending and pending[0].done()):
                yield done(pending.popleft())
        while pending:
            yield done(pending.popleft())
    finally:
        for f in pending:
            f.cancel()
        for p in pools:
            p.shutdown(wait=True)
        close = getattr(source, "close", None)
        if close:  # stops and joins the decode thread
            close()
        stats.wall_s = time.perf_counter() - start


class TerminalProgress:
    """``frames done / total`` on one stderr line, redrawn at most 5 times a second."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None) -> None:
        self.label, self.total = label, total
        self.out = stream or sys.stderr
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and done != self.total:
            return
        self._last = now
        if self.total > 0:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            self.out.write(f"\r{self.label} [{bar:<30}] {done}/{self.total} frames")
        else:
            self.out.write(f"\r{self.label} {done} frames")
        self.out.flush()

    def finish(self) -> None:
        self.out.write("\n")
        self.out.flush()


class EstimatedPoseSource:
    """A frame source run through MediaPipe: a PoseSource with ``info`` and ``stats``.

    Args:
        frames: where the images come from.
        model: manifest name or ``.task`` path (default: the verified full model).
        workers: landmarkers side by side (default :func:`default_workers`).
        progress: draw a progress bar on stderr when it is a terminal (files only).
        estimators: ready-made estimators to use instead (tests pass fakes here).
    """

    def __init__(self, frames: FrameSource, *, model: str | Path | None = None,
                 workers: int | None = None, progress: bool = False,
                 estimators: list[PoseEstimator] | None = None) -> None:
        self.frames = frames
        self.info: FrameInfo = frames.info
        self.stats = PipelineStats()
        if estimators is None:
            try:
                path = resolve_model(model)
                estimators = [MediaPipePoseEstimator(path)
                              for _ in range(workers or default_workers())]
            except BaseException:
                frames.close()
                raise
        self.estimators = estimators
        total = int(getattr(frames, "frame_count", 0) or 0)
        self._progress = (TerminalProgress("pose", total)
                          if progress and sys.stderr.isatty() else None)

    @property
    def decode_s(self) -> float:
        return float(getattr(self.frames, "decode_s", 0.0))

    def __iter__(self) -> Iterator[Pose]:
        try:
            yield from estimate_stream(self.frames, self.estimators, self.stats,
                                       live=bool(getattr(self.frames, "live", False)),
                                       on_frame=self._progress)
        finally:
            self.stats.decode_s = self.decode_s
            if self._progress:
                self._progress.finish()
            self.close()

    def close(self) -> None:
        self.frames.close()
        for e in self.estimators:
            e.close()
        self.estimators = []


def open_video_poses(path: str | os.PathLike[str], *, progress: bool = False,
                     model: str | Path | None = None, workers: int | None = None,
                     max_side: int | None = None,
                     max_fps: float | None = DEFAULT_MAX_FPS) -> tuple[FrameInfo, Iterator[Pose]]:
    """The header and pose stream of a video file (what ``analyze VIDEO`` consumes).

    ``max_fps`` caps the pose rate (:data:`DEFAULT_MAX_FPS`; ``info.fps`` is the rate
    delivered); ``workers`` defaults to :func:`default_workers`.

    Raises InputError for a missing, empty or undecodable file and ModelError for a
    missing or corrupt model (both one line, naming the fix), before any frame is read.
    A video with nobody in it gives poses with ``landmarks=None``.
    """
    # Check the model first: a missing model is the more fundamental problem.
    model_path = resolve_model(model)
    source = EstimatedPoseSource(VideoFileSource(path, max_side=max_side, max_fps=max_fps),
                                 model=model_path,
                                 workers=workers, progress=progress)
    return source.info, iter(source)
