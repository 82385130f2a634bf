"""The real model on the real dev clips: a pose on every frame, sane landmarks, and the
kinematic signals that tell a side view from a front-oblique one (slow; each clip is
processed once per session and shared with test_pose_clip_reps.py)."""

from __future__ import annotations

import math
import statistics

import pytest

from _pose_support import DEV, clip_poses
from hingecoach.pose import landmarks as L
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.video import DEFAULT_MAX_FPS

pytestmark = pytest.mark.slow

SIDE = ("barbell_deadlift_side.mp4", "bodyweight_squat_side.mp4", "db_rdl_side.mp4",
        "kb_deadlift_side_clean.mp4", "kb_deadlift_side_knee_dominant.mp4")
OBLIQUE = ("goblet_squat_oblique.mp4", "kb_good_morning_oblique.mp4",
           "kb_swing_russian_oblique.mp4")
# (width, height, fps) from clips/MANIFEST.md.
SIZES = {
    "kb_deadlift_side_clean.mp4": (360, 640, 60), "kb_deadlift_side_knee_dominant.mp4": (360, 640, 60),
    "barbell_deadlift_side.mp4": (492, 720, 24), "db_rdl_side.mp4": (240, 848, 46.9),
    "kb_good_morning_oblique.mp4": (404, 720, 30), "bodyweight_squat_side.mp4": (960, 544, 30),
    "goblet_squat_oblique.mp4": (404, 720, 30), "kb_swing_russian_oblique.mp4": (404, 720, 30),
}


def frame_count(name: str) -> int:
    from hingecoach.pose.sources import opencv

    cv2 = opencv()

    cap = cv2.VideoCapture(str(DEV / name))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def shoulder_spread(info: FrameInfo, p: Pose) -> float:
    """Image distance between the shoulders over the torso length (0 = perfectly side-on)."""
    lm = p.landmarks
    assert lm is not None
    w, h = info.width, info.height
    ls, rs, lh, rh = lm[L.LEFT_SHOULDER], lm[L.RIGHT_SHOULDER], lm[L.LEFT_HIP], lm[L.RIGHT_HIP]
    spread = abs(ls[0] - rs[0]) * w
    torso = math.hypot((ls[0] + rs[0] - lh[0] - rh[0]) * w / 2, (ls[1] + rs[1] - lh[1] - rh[1]) * h / 2)
    return spread / torso


def shoulder_yaw(p: Pose) -> float:
    """Angle of the shoulder line out of the image plane, from world landmarks (90 = side-on)."""
    assert p.world is not None
    ls, rs = p.world[L.LEFT_SHOULDER], p.world[L.RIGHT_SHOULDER]
    return math.degrees(math.atan2(abs(ls[2] - rs[2]), abs(ls[0] - rs[0])))


def seen(name: str) -> list[Pose]:
    return [p for p in clip_poses(name)[1] if p.landmarks is not None]


@pytest.mark.parametrize("name", SIDE + OBLIQUE)
def test_every_analysed_frame_of_a_dev_clip_gets_a_pose_with_the_files_own_timestamps(
        name: str) -> None:
    info, poses = clip_poses(name)
    w, h, fps = SIZES[name]
    stride = max(1, round(fps / DEFAULT_MAX_FPS))  # 60 fps clips: every second frame
    assert (info.width, info.height) == (w, h)
    assert info.fps == pytest.approx(fps / stride, rel=0.01)
    assert len(poses) == -(-frame_count(name) // stride)
    ts = [p.t for p in poses]
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False))
    assert ts[-1] - ts[0] == pytest.approx((len(ts) - 1) / info.fps, rel=0.02)
    assert len(seen(name)) >= 0.9 * len(poses)


@pytest.mark.parametrize("name", SIDE + OBLIQUE)
def test_landmarks_are_in_the_picture_and_world_landmarks_are_body_sized(name: str) -> None:
    poses = seen(name)
    hips = [L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER]
    inside = [all(-0.05 <= p.landmarks[i][0] <= 1.05 and -0.05 <= p.landmarks[i][1] <= 1.05
                  for i in hips) for p in poses]
    assert sum(inside) >= 0.95 * len(poses)
    assert all(0.0 <= v[3] <= 1.0 for p in poses for v in p.landmarks)
    # Shoulder-to-hip (torso) length in metres, from the world landmarks: an adult's.
    torso = []
    for p in poses:
        wl = p.world
        mid_s = [(a + b) / 2 for a, b in zip(wl[L.LEFT_SHOULDER], wl[L.RIGHT_SHOULDER], strict=True)]
        mid_h = [(a + b) / 2 for a, b in zip(wl[L.LEFT_HIP], wl[L.RIGHT_HIP], strict=True)]
        torso.append(math.dist(mid_s, mid_h))
        assert math.dist(mid_h, (0, 0, 0)) < 0.1  # world origin sits between the hips
    assert 0.35 <= statistics.median(torso) <= 0.75


@pytest.mark.parametrize("name", SIDE)
def test_side_views_show_the_shoulders_overlapping(name: str) -> None:
    info, _ = clip_poses(name)
    poses = seen(name)
    assert statistics.median(shoulder_spread(info, p) for p in poses) < 0.15
    assert statistics.median(shoulder_yaw(p) for p in poses) > 75


@pytest.mark.parametrize("name", OBLIQUE)
def test_front_oblique_views_show_the_shoulders_apart(name: str) -> None:
    info, _ = clip_poses(name)
    poses = seen(name)
    assert statistics.median(shoulder_spread(info, p) for p in poses) > 0.3
    assert statistics.median(shoulder_yaw(p) for p in poses) < 60
