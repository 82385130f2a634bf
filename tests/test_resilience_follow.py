"""Someone walks through the frame: keep following the person who started."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from hingecoach.follow import Follower, body_of, follow, pick
from hingecoach.pose.landmarks import Pose
from pi_fakes import standing_pose

FPS = 30


def hinging_user(t: float) -> Pose:
    """The user: hips at x=0.45, body 0.5 tall, hinging 0 -> 80 deg and back every 3 s,
    the hips drifting back 0.05 as they hinge."""
    phase = (t % 3.0) / 3.0
    lean = 80.0 * math.sin(math.pi * phase)
    return standing_pose(t, hip_x=0.45 - 0.05 * lean / 80.0, scale=0.5, lean_deg=lean)


def passer_by(t: float, start: float, speed: float = 0.4, scale: float = 0.75) -> Pose:
    """Someone nearer the camera (bigger) walking left to right from x=0 at ``start``."""
    return standing_pose(t, hip_x=(t - start) * speed, scale=scale)


def is_user(pose: Pose) -> bool:
    body = body_of(pose)
    return body is not None and abs(body.length - 0.5) < 0.01


def test_a_passer_by_in_the_same_frame_is_ignored():
    frames = []
    for i in range(6 * FPS):
        t = i / FPS
        people = [hinging_user(t)]
        if 2.0 <= t <= 4.5:
            people.insert(0, passer_by(t, start=2.0))    # listed first, and bigger
        frames.append(people)
    chosen = list(follow(frames))
    assert len(chosen) == len(frames)
    assert all(is_user(p) for p in chosen)


def test_when_the_model_sees_only_the_stranger_we_report_nobody_not_the_stranger():
    """With one pose per frame the estimator may return the passer-by while they block the
    view: those frames become "no person", never the stranger's angles."""
    frames = []
    for i in range(4 * FPS):
        t = i / FPS
        blocked = 1.5 <= t < 2.0
        frames.append([passer_by(t, start=1.0) if blocked else hinging_user(t)])
    chosen = list(follow(frames))
    for frame, pose in zip(frames, chosen, strict=True):
        t = frame[0].t
        if 1.5 <= t < 2.0:
            assert pose.landmarks is None and pose.t == t
        else:
            assert is_user(pose)


def test_the_first_person_tracked_is_the_biggest_in_view():
    small = standing_pose(0.0, hip_x=0.2, scale=0.3)
    big = standing_pose(0.0, hip_x=0.7, scale=0.6)
    assert pick(None, [small, big], 0.0) == 1


def test_after_a_long_absence_whoever_steps_up_is_followed():
    f = Follower(reacquire_s=2.0)
    assert is_user(f.choose([hinging_user(0.0)]))
    stranger = standing_pose(1.0, hip_x=0.1, scale=0.8)
    assert f.choose([stranger]).landmarks is None          # too soon: not the user
    later = standing_pose(3.5, hip_x=0.1, scale=0.8)
    assert f.choose([later]) is later                       # 3.5 s later: a new user


def test_empty_frames_and_hidden_bodies_give_no_person():
    f = Follower()
    assert f.choose([], t=1.0) == Pose(1.0, None)
    assert f.choose([Pose(2.0, None)]).landmarks is None
    faint = standing_pose(3.0, visibility=0.1)
    assert f.choose([faint]).landmarks is None


@given(lean=st.floats(0, 90), hip_x=st.floats(0.2, 0.8), scale=st.floats(0.2, 0.9))
def test_the_body_length_does_not_change_when_the_torso_hinges(lean, hip_x, scale):
    upright = body_of(standing_pose(0.0, hip_x=hip_x, scale=scale))
    hinged = body_of(standing_pose(0.0, hip_x=hip_x, scale=scale, lean_deg=lean))
    assert upright is not None and hinged is not None
    assert math.isclose(upright.length, hinged.length, rel_tol=1e-9)
    assert upright.hip == hinged.hip
