"""Where frames and poses come from: cameras, video files, traces and the synthetic athlete.

Two small interfaces:

- :class:`FrameSource` yields :class:`Frame` (an RGB image and its timestamp). Adapters:
  :class:`Picamera2Source` (the Pi camera module; ``picamera2`` is imported only there),
  :class:`OpenCVCameraSource` (``camera:N``, a USB webcam), :class:`VideoFileSource`.
  Live sources stamp frames with the monotonic clock (the camera's sensor timestamp on the
  Pi); video files use their own presentation timestamps.
- :class:`PoseSource` yields :class:`~hingecoach.pose.landmarks.Pose`. Adapters: a recorded
  trace, the synthetic athlete (``hingecoach.sim``), and any frame source run through a
  pose estimator (:func:`hingecoach.pose.video.estimate_stream`).

:func:`open_source` turns a ``--source`` spec into a PoseSource; :func:`open_frames` into a
FrameSource. Images are RGB because that is what the model takes: the one BGR->RGB
conversion of OpenCV sources happens on the decode thread, into a reused buffer.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hingecoach.errors import DeviceError, InputError
from hingecoach.pose.landmarks import FrameInfo, Pose


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured or decoded frame.

    Attributes:
        index: 0-based frame number within the source.
        t: timestamp in seconds (monotonic for live sources, the file's own for video).
        image: H x W x 3 uint8 RGB array, C-contiguous.
    """

    index: int
    t: float
    image: Any


class FrameSource(Protocol):
    """A stream of RGB frames with a header. Live sources (cameras) also set ``live = True``:
    the pipeline then drops stale frames instead of queueing them."""

    info: FrameInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


class PoseSource(Protocol):
    """A stream of poses with a header (what the motion core consumes)."""

    info: FrameInfo

    def __iter__(self) -> Iterator[Pose]: ...

    def close(self) -> None: ...


# --- frame sources ---------------------------------------------------------------------

def opencv() -> Any:
    """OpenCV, with its own and FFmpeg's stderr messages (e.g. "moov atom not found" on a
    file it cannot open) silenced: we report every failure ourselves, in one line. Import
    cv2 through this everywhere (the FFmpeg level is read when the first capture opens)."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    import cv2

    # Also when cv2 was imported before the environment was set (0 = LOG_LEVEL_SILENT).
    set_level = getattr(cv2, "setLogLevel", None)
    if set_level is not None:
        set_level(0)
    return cv2


def _fit(width: int, height: int, max_side: int | None) -> tuple[int, int] | None:
    """The downscaled (w, h) when the frame's long side exceeds ``max_side``, else None."""
    if not max_side or max(width, height) <= max_side:
        return None
    s = max_side / max(width, height)
    return max(1, round(width * s)), max(1, round(height * s))


class _OpenCVReader:
    """Shared reading code for OpenCV captures: BGR -> RGB into a fresh array per frame."""

    cap: Any
    _size: tuple[int, int] | None = None

    def _convert(self, cv2: Any, bgr: Any) -> Any:
        if self._size is not None:
            bgr = cv2.resize(bgr, self._size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cap.release()


class VideoFileSource(_OpenCVReader):
    """Frames of a video file, decoded by OpenCV's bundled FFmpeg.

    Args:
        path: the video file.
        max_side: downscale frames whose long side is larger (pixels); None keeps them.
            The model looks at a 256 x 256 crop, so 1080p frames lose nothing by being
            shrunk first, and the conversion before inference gets cheaper.
        max_fps: keep every k-th frame, k = round(fps / max_fps), when the file's rate is
            higher (a 60 fps clip at ``max_fps=30`` gives 30 poses a second); skipped
            frames are only grabbed, never converted. None keeps every frame.
            ``info.fps`` and ``stride`` describe the stream actually delivered.

    Raises InputError for a missing, empty or undecodable file.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_side: int | None = None,
                 max_fps: float | None = None) -> None:
        cv2 = opencv()

        p = Path(path)
        self.path = str(path)
        if not p.exists():
            raise InputError(f"{p}: no such file: check the path")
        if p.is_dir():
            raise InputError(f"{p}: is a directory: pass a video file or a .jsonl trace")
        if p.stat().st_size == 0:
            raise InputError(f"{p}: the file is empty (0 bytes): pass a video file or a .jsonl trace")
        self.cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
        ok, first = (self.cap.read() if self.cap.isOpened() else (False, None))
        if not ok or first is None:
            self.close()
            raise InputError(f"{p}: not a video OpenCV can decode (or it has no frames): "
                             "pass an .mp4/.avi/.mov video or a .jsonl pose trace")
        self._first = first
        h, w = first.shape[:2]
        self._size = _fit(w, h, max_side)
        if self._size:
            w, h = self._size
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        if not fps or fps != fps or fps <= 0 or fps > 1000:
            fps = 30.0
        self.file_fps = float(fps)
        self.stride = max(1, round(fps / max_fps)) if max_fps and max_fps > 0 else 1
        self.info = FrameInfo(width=int(w), height=int(h), fps=float(fps) / self.stride)
        self.frame_count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) // self.stride
        self.decode_s = 0.0

    def __iter__(self) -> Iterator[Frame]:
        cv2 = opencv()

        cap, fps, stride = self.cap, self.file_fps, self.stride
        bgr = self._first
        self._first = None
        if bgr is None:
            return
        i = n = 0  # i: frames of the file, n: frames delivered
        last_t = -1.0
        t0 = time.perf_counter()
        try:
            while True:
                # The file's own timestamp, when FFmpeg gives a sane increasing one.
                pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if i == 0 and -1.0 < pos < 0.0:
                    pos = 0.0  # an edit list puts some files' first frame before 0 (the next at +1 frame)
                t = pos if pos > last_t and (i > 0 or pos < 1.0) else i / fps
                if i > 0 and t <= last_t:
                    t = last_t + 1.0 / fps
                last_t = t
                if i % stride == 0:
                    if bgr is None:
                        ok, bgr = cap.retrieve()
                        if not ok:
                            break
                    rgb = self._convert(cv2, bgr)
                    self.decode_s += time.perf_counter() - t0
                    yield Frame(index=n, t=t, image=rgb)
                    n += 1
                    t0 = time.perf_counter()
                i += 1
                bgr = None
                if not cap.grab():
                    break
        finally:
            self.close()


class OpenCVCameraSource(_OpenCVReader):
    """An OpenCV capture device (``camera:N``: a USB webcam or laptop camera).

    Frames are stamped with ``time.monotonic()`` at capture.
    """

    live = True

    def __init__(self, index: int = 0, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None) -> None:
        cv2 = opencv()

        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise DeviceError(f"camera {index} (/dev/video{index}) not found or busy: plug it "
                              "in, close other apps using it, or use a video file instead")
        if width and height:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self.cap.set(cv2.CAP_PROP_FPS, fps)
        w = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        f = float(self.cap.get(cv2.CAP_PROP_FPS) or 30.0)
        self.info = FrameInfo(width=w or 640, height=h or 480, fps=f if f > 0 else 30.0)

    def __iter__(self) -> Iterator[Frame]:
        cv2 = opencv()

        i = 0
        try:
            while True:
                ok, bgr = self.cap.read()
                if not ok:
                    raise DeviceError("the camera stopped delivering frames: check the cable")
                yield Frame(index=i, t=time.monotonic(), image=self._convert(cv2, bgr))
                i += 1
        finally:
            self.close()


class Picamera2Source:
    """The Raspberry Pi camera module through picamera2 (apt ``python3-picamera2``).

    Asks libcamera for 24-bit frames in R, G, B byte order (picamera2 calls that
    ``BGR888``), so no conversion is needed before the model. Timestamps are the sensor's
    (``SensorTimestamp``, nanoseconds on the monotonic clock) in seconds.
    """

    live = True

    def __init__(self, width: int = 640, height: int = 480, fps: float = 30.0) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise DeviceError("picamera2 is not available (it comes from apt python3-picamera2 "
                              "on Raspberry Pi OS; the venv needs --system-site-packages): "
                              "use camera:0 or a video file elsewhere") from exc
        try:
            self.cam = Picamera2()
        except (IndexError, RuntimeError) as exc:
            raise DeviceError(f"no Pi camera found ({exc}): check the ribbon cable and "
                              "`rpicam-hello --list-cameras`") from exc
        cfg = self.cam.create_video_configuration(
            main={"size": (width, height), "format": "BGR888"},
            controls={"FrameRate": fps},
        )
        self.cam.configure(cfg)
        self.info = FrameInfo(width=width, height=height, fps=float(fps))
        self.cam.start()

    def __iter__(self) -> Iterator[Frame]:
        i = 0
        try:
            while True:
                req = self.cam.capture_request()
                try:
                    image = req.make_array("main")
                    ts = req.get_metadata().get("SensorTimestamp")
                finally:
                    req.release()
                t = ts / 1e9 if ts else time.monotonic()
                yield Frame(index=i, t=t, image=image)
                i += 1
        finally:
            self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cam.stop()
            self.cam.close()


# --- pose sources ----------------------------------------------------------------------

class TracePoseSource:
    """A recorded trace (DESIGN 3.1) replayed as a pose source."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from hingecoach.pose.trace import TraceReader

        self._reader = TraceReader(path)
        self.info = self._reader.info

    def __iter__(self) -> Iterator[Pose]:
        return iter(self._reader)

    def close(self) -> None:
        self._reader.close()


class SyntheticPoseSource:
    """The synthetic athlete (``hingecoach.sim``) as a pose source.

    ``spec`` is what follows ``synthetic:`` on the command line: empty or ``demo`` for the
    demo session, an integer seed for ``random_session(seed)``, ``long`` for a 10-minute
    session. ``truth`` holds the session's true reps.
    """

    def __init__(self, spec: str = "") -> None:
        from hingecoach import sim

        spec = spec.strip()
        if spec in ("", "demo"):
            session = sim.demo_session()
        elif spec == "long":
            session = sim.long_session()
        elif spec.lstrip("-").isdigit():
            session = sim.random_session(int(spec))
        else:
            raise InputError(f"bad synthetic spec {spec!r}: use synthetic, synthetic:demo, "
                             "synthetic:long or synthetic:SEED")
        self.info, self._poses, self.truth = sim.render(session)

    def __iter__(self) -> Iterator[Pose]:
        return iter(self._poses)

    def close(self) -> None:
        pass


def parse_camera(spec: str) -> int | None:
    """The device index of ``camera:N`` (``camera`` alone means 0), else None."""
    if spec == "camera":
        return 0
    if spec.startswith("camera:"):
        rest = spec.split(":", 1)[1]
        if not rest.isdigit():
            raise InputError(f"bad camera spec {spec!r}: use camera:0, camera:1, ...")
        return int(rest)
    return None


def open_frames(spec: str, *, max_side: int | None = None,
                max_fps: float | None = None) -> FrameSource:
    """A FrameSource for ``picamera2``, ``camera:N`` or a video file path."""
    if spec == "picamera2":
        return Picamera2Source()
    cam = parse_camera(spec)
    if cam is not None:
        return OpenCVCameraSource(cam)
    return VideoFileSource(spec, max_side=max_side, max_fps=max_fps)


def open_source(spec: str, *, model: str | Path | None = None, progress: bool = False,
                workers: int | None = None) -> PoseSource:
    """A PoseSource for any ``--source`` spec.

    ``picamera2`` / ``camera:N`` / a video path go through the pose estimator; a ``.jsonl``
    trace is replayed; ``synthetic[:OPTIONS]`` runs the synthetic athlete.
    """
    from hingecoach.pose.trace import looks_like_trace

    if spec == "synthetic" or spec.startswith("synthetic:"):
        return SyntheticPoseSource(spec.partition(":")[2])
    if spec != "picamera2" and parse_camera(spec) is None:
        p = Path(spec)
        if p.is_file() and p.stat().st_size > 0 and looks_like_trace(p):
            return TracePoseSource(p)
    from hingecoach.pose.video import EstimatedPoseSource

    return EstimatedPoseSource(open_frames(spec), model=model, progress=progress,
                               workers=workers)
