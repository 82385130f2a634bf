"""``analyze VIDEO --overlay out.mp4``: the video with the skeleton, key angles and rep labels.

Drawing works from the motion contract (:mod:`hingecoach.motion.types`): each frame gets
its :class:`~hingecoach.pose.landmarks.Pose` and :class:`~hingecoach.motion.types.MotionUpdate`.
The analysis pass collects them (:class:`OverlayRecorder`, handed to ``analyze_stream`` as
``on_update``); :meth:`OverlayRecorder.render` then decodes the video again (decoding is
~1 ms a frame, far cheaper than keeping every frame in memory) and writes an ``mp4v``
.mp4 (the codec OpenCV's wheel can write; ``avc1`` is not available there).

Usage (the ``analyze`` command)::

    rec = OverlayRecorder()
    result = analyze_stream(info, poses, input_name=path, on_update=rec.on_update)
    rec.render(path, "out.mp4", result)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hingecoach.errors import InputError
from hingecoach.motion.types import MotionUpdate, Phase, Rep
from hingecoach.pose import landmarks as L
from hingecoach.pose.landmarks import Pose

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


@dataclass
class OverlayRecorder:
    """Collects each frame's pose and motion update during the analysis pass."""

    poses: list[Pose] = field(default_factory=list)
    updates: list[MotionUpdate | None] = field(default_factory=list)

    def on_update(self, pose: Pose, update: MotionUpdate) -> None:
        self.poses.append(pose)
        self.updates.append(update)

    def render(self, video: str | os.PathLike[str], out: str | os.PathLike[str],
               result: dict[str, Any] | None = None) -> int:
        """Write the overlay video; returns the number of frames written."""
        return render_overlay(video, out, self.poses, self.updates, result)


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
            _text(cv2, img, f"{label} {value:5.0f} deg", (8, y), scale * 0.8, _WHITE)
    if last_rep is not None and pose.t - last_rep.end_s <= REP_LABEL_S:
        faults = list(last_rep.faults) + [f"({f})" for f in last_rep.flags]
        msg = f"rep {last_rep.index}: " + (", ".join(faults) if faults else "clean")
        _text(cv2, img, msg, (8, h - step // 2), scale * 0.9, _RED if last_rep.faults else _GREEN)


def render_overlay(video: str | os.PathLike[str], out: str | os.PathLike[str],
                   poses: list[Pose], updates: list[MotionUpdate | None],
                   result: dict[str, Any] | None = None) -> int:
    """Decode ``video`` again and write it with the analysis drawn on every frame.

    Frame ``i`` of the video is drawn with ``poses[i]`` and ``updates[i]`` (the pose
    pipeline yields exactly one pose per decoded frame, in order). Returns frames written.
    The file is written to a temporary name and renamed, so a failure leaves no partial
    overlay behind.
    """
    import cv2

    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise InputError(f"overlay {out}: use an .mp4 file name (written with the mp4v codec)")
    if not out.parent.exists():
        raise InputError(f"overlay {out}: the folder {out.parent} does not exist")
    cap = cv2.VideoCapture(str(video), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise InputError(f"{video}: cannot be decoded for the overlay")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    view = (result or {}).get("view")
    tmp = out.with_name(f".{out.stem}.part{out.suffix}")
    writer = None
    n = reps_done = 0
    last_rep: Rep | None = None
    try:
        while n < len(poses):
            ok, img = cap.read()
            if not ok:
                break
            if writer is None:
                h, w = img.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                if not writer.isOpened():
                    raise InputError(f"overlay {out}: OpenCV cannot write mp4v here")
            upd = updates[n] if n < len(updates) else None
            if upd is not None and upd.rep is not None:
                reps_done += 1
                last_rep = upd.rep
            draw_frame(cv2, img, poses[n], upd, reps_done=reps_done, last_rep=last_rep, view=view)
            writer.write(img)
            n += 1
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if n == 0:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{video}: no frames to draw the overlay on")
    os.replace(tmp, out)
    return n


def analyze_with_overlay(video: str | os.PathLike[str], out: str | os.PathLike[str], *,
                         progress: bool = False, input_name: str | None = None) -> dict[str, Any]:
    """``analyze VIDEO --overlay OUT`` in one call: the DESIGN 3.2 result, plus OUT written.

    Checks the overlay destination before the (long) analysis pass.
    """
    from hingecoach.motion.analysis import analyze_stream
    from hingecoach.pose.video import open_video_poses

    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise InputError(f"overlay {out}: use an .mp4 file name (written with the mp4v codec)")
    if not out.parent.exists():
        raise InputError(f"overlay {out}: the folder {out.parent} does not exist")
    info, poses = open_video_poses(video, progress=progress)
    rec = OverlayRecorder()
    result = analyze_stream(info, poses, input_name=input_name or str(video),
                            on_update=rec.on_update)
    rec.render(video, out, result)
    return result
