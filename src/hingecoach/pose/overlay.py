"""``analyze VIDEO --overlay out.mp4``: the video with the skeleton, key angles and rep labels.

Drawing works from the motion contract (:mod:`hingecoach.motion.types`): each frame gets
its :class:`~hingecoach.pose.landmarks.Pose` and :class:`~hingecoach.motion.types.MotionUpdate`.
:class:`OverlayWriter` is handed to ``analyze_stream`` as ``on_update``: for every update
it decodes the matching frame with its own OpenCV reader (the pose pipeline yields one
pose per analysed frame, in order, every k-th frame of the file when the pose rate is
capped; decoding is ~1 ms a frame, much cheaper than keeping frames around), draws, and
writes, at the analysed rate, an ``mp4v`` .mp4 (the codec OpenCV's wheel can
write; ``avc1`` is not available there). The file is written under a temporary name and
renamed by ``close()``, so a failed run leaves no half-written overlay.

Usage (the ``analyze`` command)::

    overlay = OverlayWriter("out.mp4", "clip.mp4", info)
    try:
        result = analyze_stream(info, poses, input_name=path, on_update=overlay.on_update)
    finally:
        overlay.close()
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hingecoach.errors import InputError
from hingecoach.motion.types import MotionUpdate, Phase, Rep
from hingecoach.pose import landmarks as L
from hingecoach.pose.landmarks import FrameInfo, Pose

# Skeleton edges drawn (MediaPipe indices): torso, arms, legs, feet, head to shoulders.
EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),
    (11, 13), (13, 15), (12, 14), (14, 16),
    (23, 25), (25, 27), (24, 26), (26, 28),
    (27, 29), (29, 31), (27, 31), (28, 30), (30, 32), (28, 32),
    (7, 11), (8, 12),
)  # fmt: skip
MIN_VISIBILITY = 0.5
"""Landmarks below this visibility are not drawn (MediaPipe's usual cut-off)."""
REP_LABEL_S = 2.0
"""How long a finished rep's label (number and faults) stays on screen, seconds."""

_GREEN = (80, 200, 80)
_RED = (60, 60, 230)
_WHITE = (255, 255, 255)
_GREY = (160, 160, 160)
_YELLOW = (40, 210, 230)


def _text(cv2: Any, img: Any, text: str, org: tuple[int, int], scale: float,
          color: tuple[int, int, int]) -> None:
    thick = max(1, int(round(scale * 2)))
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)


def draw_skeleton(cv2: Any, img: Any, pose: Pose, side: str | None = None) -> None:
    """Lines and joints of the pose on a BGR image (the side chain in colour)."""
    if pose.landmarks is None:
        return
    h, w = img.shape[:2]
    lms = pose.landmarks
    chain = set(L.SIDE_CHAIN.get(side, ())) if side else set()
    r = max(2, int(round(min(w, h) / 160)))
    for a, b in EDGES:
        pa, pb = lms[a], lms[b]
        if pa[3] < MIN_VISIBILITY or pb[3] < MIN_VISIBILITY:
            continue
        color = _YELLOW if a in chain and b in chain else _GREY
        cv2.line(img, (int(pa[0] * w), int(pa[1] * h)), (int(pb[0] * w), int(pb[1] * h)),
                 color, max(1, r // 2 + 1), cv2.LINE_AA)
    for i in range(11, L.COUNT):
        p = lms[i]
        if p[3] >= MIN_VISIBILITY:
            cv2.circle(img, (int(p[0] * w), int(p[1] * h)), r,
                       _YELLOW if i in chain else _WHITE, -1, cv2.LINE_AA)


def draw_frame(cv2: Any, img: Any, pose: Pose, update: MotionUpdate | None, *,
               reps_done: int, last_rep: Rep | None, view: str | None) -> None:
    """Everything for one frame: skeleton, angles, phase, rep count, the last rep's faults."""
    h, w = img.shape[:2]
    scale = max(0.4, min(w, h) / 700)
    step = int(32 * scale) + 4
    feats = update.features if update is not None else None
    draw_skeleton(cv2, img, pose, feats.side if feats else None)
    y = step
    header = f"reps {reps_done}"
    if update is not None and update.phase is not Phase.UNKNOWN:
        header += f"  {update.phase.value}"
    _text(cv2, img, header, (8, y), scale * 1.1, _WHITE)
    if view:
        y += step
        _text(cv2, img, f"view {view}", (8, y), scale * 0.8,
              _GREEN if view.startswith("side") else _RED)
    ang = feats.smooth if feats is not None else None
    if ang is not None:
        for label, value in (("torso", ang.torso_lean), ("hip", ang.hip_flexion),
                             ("knee", ang.knee_flexion), ("shin", ang.shin_angle)):
            y += step
            shown = "  --" if value != value else f"{value:5.0f} deg"  # NaN: not measured
            _text(cv2, img, f"{label} {shown}", (8, y), scale * 0.8, _WHITE)
    if last_rep is not None and pose.t - last_rep.end_s <= REP_LABEL_S:
        faults = list(last_rep.faults) + [f"({f})" for f in last_rep.flags]
        msg = f"rep {last_rep.index}: " + (", ".join(faults) if faults else "clean")
        _text(cv2, img, msg, (8, h - step // 2), scale * 0.9, _RED if last_rep.faults else _GREEN)


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise InputError(f"overlay {out}: use an .mp4 file name (written with the mp4v codec)")
    if not out.parent.exists():
        raise InputError(f"overlay {out}: the folder {out.parent} does not exist")


class OverlayWriter:
    """Writes the overlay video while the analysis runs (see the module docstring).

    Args:
        out: the .mp4 to write.
        video: the input video (decoded a second time, in lockstep with the analysis).
        info: the stream header (frame size for the writer).
    """

    def __init__(self, out: str | os.PathLike[str], video: str | os.PathLike[str],
                 info: FrameInfo) -> None:
        from hingecoach.pose.sources import opencv

        cv2 = opencv()
        self._cv2 = cv2
        self.out = Path(out)
        _check_out(self.out)
        self._cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            raise InputError(f"{video}: cannot be decoded for the overlay (--overlay needs a video "
                             "input, not a trace)")
        self._tmp = self.out.with_name(f".{self.out.stem}.part{self.out.suffix}")
        self._fps = info.fps
        # The pose stream may cover every k-th frame (video.DEFAULT_MAX_FPS): keep the same
        # frames, exactly as VideoFileSource picks them.
        file_fps = self._cap.get(cv2.CAP_PROP_FPS) or info.fps
        self._stride = max(1, round(file_fps / info.fps)) if info.fps > 0 else 1
        self._writer: Any = None
        self.frames = 0
        self.reps = 0
        self._last_rep: Rep | None = None
        self._closed = False

    def on_update(self, pose: Pose, update: MotionUpdate | None) -> None:
        """Draw the next frame of the video with this pose and update, and write it."""
        cv2 = self._cv2
        if self.frames > 0:
            for _ in range(self._stride - 1):
                self._cap.grab()
        ok, img = self._cap.read()
        if not ok:
            return  # the analysis saw more frames than this reader: nothing to draw on
        if self._writer is None:
            h, w = img.shape[:2]
            self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"),
                                           self._fps, (w, h))
            if not self._writer.isOpened():
                raise InputError(f"overlay {self.out}: OpenCV cannot write mp4v here")
        if update is not None and update.rep is not None:
            self.reps += 1
            self._last_rep = update.rep
        fr = update.features.framing if update is not None else None
        draw_frame(cv2, img, pose, update, reps_done=self.reps, last_rep=self._last_rep,
                   view=fr.view if fr is not None else None)
        self._writer.write(img)
        self.frames += 1

    def close(self) -> None:
        """Finish the file and move it into place (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._cap.release()
        if self._writer is not None:
            self._writer.release()
        if self.frames == 0:
            self._tmp.unlink(missing_ok=True)
            raise InputError(f"overlay {self.out}: the video had no frames to draw on")
        os.replace(self._tmp, self.out)

    def abort(self) -> None:
        """Drop the partial file (after an error)."""
        self._closed = True
        self._cap.release()
        if self._writer is not None:
            self._writer.release()
        self._tmp.unlink(missing_ok=True)
