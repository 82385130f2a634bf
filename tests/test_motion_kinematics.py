"""Kinematics measure DESIGN 3.3's angles wherever the athlete stands and however they face."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hingecoach.motion.kinematics import Kinematics, _Smoother, joint_angle
from hingecoach.motion.thresholds import DEFAULT
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.sim.athlete import Athlete, Camera, Segment, Session, Spoil, body_points
from hingecoach.sim.athlete import render as render_session


def pose_of(lean: float, knee: float, shin: float, head: float, *, camera: Camera,
            duration: float = 0.6) -> list[Pose]:
    """A still athlete holding one posture, filmed without noise."""
    from hingecoach.sim.athlete import Script

    session = Session(segments=[Segment("idle", duration)], camera=camera,
                      spoil=Spoil(jitter=0.0), athlete=Athlete(head_neutral=0.0))
    script = Script(session)
    for k in script.keys:
        k.lean, k.knee, k.shin, k.head = lean, knee, shin, head
    from hingecoach.sim.athlete import _frames

    return list(_frames(session, script))


CAMERAS = [
    Camera(width=640, height=480, facing=1),
    Camera(width=640, height=480, facing=-1),
    Camera(width=720, height=1280, facing=1, x_center=0.3),
    Camera(width=1920, height=1080, facing=-1, x_center=0.7, body_frac=0.5),
]


@pytest.mark.parametrize("camera", CAMERAS, ids=lambda c: f"{c.width}x{c.height}f{c.facing}")
@pytest.mark.parametrize(("lean", "knee", "shin", "head"),
                         [(0, 5, 2, 0), (45, 15, 5, 0), (80, 20, 6, 10), (60, 60, 25, -30)])
def test_angles_match_the_posture_in_any_frame_and_facing(camera, lean, knee, shin, head):
    kin = Kinematics(FrameInfo(camera.width, camera.height, camera.fps))
    feats = [kin.update(p) for p in pose_of(lean, knee, shin, head, camera=camera)]
    last = feats[-1]
    assert last.present
    assert last.facing == camera.facing
    a = last.raw
    assert a.torso_lean == pytest.approx(lean, abs=0.5)
    assert a.knee_flexion == pytest.approx(knee, abs=0.5)
    assert a.shin_angle == pytest.approx(shin, abs=0.5)
    assert a.hip_flexion == pytest.approx(lean + knee - shin, abs=0.5)
    assert a.head_angle == pytest.approx(head, abs=0.5)
    assert last.smooth.torso_lean == pytest.approx(lean, abs=0.5)


def test_leaning_back_gives_a_negative_lean():
    cam = Camera(facing=-1)
    kin = Kinematics(FrameInfo(cam.width, cam.height, cam.fps))
    feats = [kin.update(p) for p in pose_of(-12, 4, 1, 0, camera=cam)]
    assert feats[-1].raw.torso_lean == pytest.approx(-12, abs=0.5)


def test_hip_travel_is_measured_in_metres_with_and_without_world_landmarks():
    pts = body_points(1.72, 60, 20, 5, 0, 0)
    truth = -pts["P"][0]
    for world in (True, False):
        cam = Camera()
        session = Session(segments=[Segment("idle", 0.5)], camera=cam,
                          spoil=Spoil(jitter=0.0, world=world))
        from hingecoach.sim.athlete import Script, _frames

        script = Script(session)
        for k in script.keys:
            k.lean, k.knee, k.shin = 60, 20, 5
        kin = Kinematics(session.info)
        feats = [kin.update(p) for p in _frames(session, script)]
        # world landmarks are exact; the pixel scale assumes a 1.70 m adult
        tol = 0.01 if world else 0.03
        assert feats[-1].raw.hip_travel_m == pytest.approx(truth, abs=tol)


def test_a_frame_without_a_person_or_with_hidden_legs_is_not_present():
    info = FrameInfo(640, 480, 30)
    kin = Kinematics(info)
    assert not kin.update(Pose(0.0, None)).present
    dim = tuple((0.5, 0.1 + i * 0.02, 0.0, 0.2) for i in range(33))
    f = kin.update(Pose(0.1, dim))
    assert not f.present
    assert f.framing is not None and f.framing.quality < DEFAULT.min_chain_quality


def test_framing_reports_the_view_head_and_feet():
    frames = pose_of(0, 4, 1, 0, camera=Camera())
    kin = Kinematics(FrameInfo(640, 480, 30))
    fr = [kin.update(p) for p in frames][-1].framing
    assert fr.view == "side-right"
    assert fr.head_visible and fr.feet_visible
    assert 0.6 < fr.height_frac < 0.8
    session = Session(segments=[Segment("idle", 0.5, yaw=90)], spoil=Spoil(jitter=0.0))
    info, poses, _ = render_session(session)
    kin = Kinematics(info)
    assert [kin.update(p) for p in poses][-1].framing.view == "front"


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3),
       st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_joint_angle_is_between_0_and_180_or_nan(ax, ay, bx, by, cx, cy):
    ang = joint_angle((ax, ay), (bx, by), (cx, cy))
    assert math.isnan(ang) or 0.0 <= ang <= 180.0


@settings(max_examples=60)
@given(st.lists(st.floats(-90, 120), min_size=2, max_size=200),
       st.sampled_from([15.0, 24.0, 30.0, 60.0]))
def test_the_smoother_never_leaves_the_range_of_its_input(values, fps):
    sm = _Smoother(fps, DEFAULT, 1)
    out = [sm(i / fps, [v])[0] for i, v in enumerate(values)]
    lo, hi = min(values), max(values)
    assert all(lo - 1e-6 <= o <= hi + 1e-6 for o in out)


@settings(max_examples=30)
@given(st.floats(-30, 100), st.integers(5, 120), st.sampled_from([15.0, 30.0, 60.0]))
def test_the_smoother_holds_a_constant_signal_exactly(value, n, fps):
    sm = _Smoother(fps, DEFAULT, 1)
    out = [sm(i / fps, [value])[0] for i in range(n)]
    assert all(o == pytest.approx(value) for o in out)


def test_the_smoother_ignores_repeated_timestamps():
    sm = _Smoother(30.0, DEFAULT, 1)
    a = sm(0.0, [10.0])
    b = sm(0.0, [50.0])
    assert a == b


@settings(max_examples=80)
@given(st.lists(st.tuples(st.floats(0.005, 0.2), st.one_of(st.floats(-90, 120), st.just(math.nan))),
                min_size=1, max_size=150),
       st.sampled_from([15.0, 24.0, 30.0, 60.0]))
def test_the_smoother_matches_the_one_euro_reference_implementation(steps, fps):
    """Our inline One Euro filter gives the reference package's values (NaN = no sample)."""
    from OneEuroFilter import OneEuroFilter

    ref = OneEuroFilter(fps, DEFAULT.one_euro_min_cutoff_hz, DEFAULT.one_euro_beta,
                        DEFAULT.one_euro_d_cutoff_hz)
    ours = _Smoother(fps, DEFAULT, 1)
    t = 0.0
    for dt, v in steps:
        t += dt
        got = ours(t, [v])[0]
        if math.isnan(v):
            assert math.isnan(got)
            continue
        want = ref(v, t - steps[0][0] + 1.0)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
