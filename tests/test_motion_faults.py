"""Every fault of DESIGN 3.4 is caught when scripted, and never on clean reps."""

from __future__ import annotations

import random

import pytest

from hingecoach.motion.analysis import analyze_stream
from hingecoach.motion.faults import judge
from hingecoach.motion.reps import RepMetrics
from hingecoach.motion.thresholds import DEFAULT
from hingecoach.motion.types import FAULTS
from hingecoach.sim import Camera, Segment, Session, Spoil, render
from hingecoach.sim.sessions import FAULT_KINDS, clean_rep, faulty_rep


def session_of(specs, *, seed=0, camera=None, spoil=None):
    segs = [Segment("idle", 2.0)]
    for spec in specs:
        segs += [Segment("rep", rep=spec), Segment("idle", 1.2)]
    return Session(segments=segs, camera=camera or Camera(),
                   spoil=spoil or Spoil(jitter=0.004, dropout=0.01), seed=seed)


@pytest.mark.parametrize("kind", FAULT_KINDS)
@pytest.mark.parametrize("facing", [1, -1])
def test_a_scripted_fault_is_found_on_every_rep_and_nothing_else(kind, facing):
    rng = random.Random(hash((kind, facing)) & 0xFFFF)
    specs = [faulty_rep(rng, kind) for _ in range(4)]
    info, poses, truth = render(session_of(specs, camera=Camera(facing=facing)))
    res = analyze_stream(info, poses)
    assert res["summary"]["reps"] == 4
    for rep, want in zip(res["reps"], truth, strict=True):
        assert rep["faults"] == list(want.faults)
        assert rep["flags"] == list(want.flags)


def test_clean_reps_have_no_faults_in_portrait_and_landscape():
    rng = random.Random(11)
    for cam in (Camera(720, 1280, facing=1), Camera(1280, 720, facing=-1, x_center=0.35)):
        info, poses, _ = render(session_of([clean_rep(rng) for _ in range(6)], camera=cam))
        res = analyze_stream(info, poses)
        assert res["summary"] == {"reps": 6, "faults": {}, "flags": {}}


def test_the_rules_follow_the_safety_order():
    m = RepMetrics(start_s=0.0, bottom_s=0.3, end_s=1.0, peak_lean=40, peak_hip=120,
                   peak_knee=110, peak_shin=38, head_bottom=40, lockout_lean=30, short=True)
    faults, _ = judge(m, DEFAULT)
    assert faults == ("back_rounding", "knees_forward", "incomplete_lockout", "too_fast")
    assert list(faults) == [f for f in FAULTS if f in faults]


def test_a_descent_right_at_the_bound_is_not_too_fast_whatever_the_float_rounding():
    # frames 34 and 40 at 15 fps: six frames, 0.4 s, but 40/15 - 34/15 < 0.4 in floating point
    m = RepMetrics(start_s=34 / 15, bottom_s=40 / 15, end_s=4.0, peak_lean=60, peak_hip=120,
                   peak_knee=10, peak_shin=3, head_bottom=-5, lockout_lean=0, short=False)
    assert m.bottom_s - m.start_s < DEFAULT.min_descent_time_s
    assert "too_fast" not in judge(m, DEFAULT)[0]
    quick = RepMetrics(start_s=34 / 15, bottom_s=39 / 15, end_s=4.0, peak_lean=60, peak_hip=120,
                       peak_knee=10, peak_shin=3, head_bottom=-5, lockout_lean=0, short=False)
    assert "too_fast" in judge(quick, DEFAULT)[0]  # five frames, 0.33 s


def test_front_on_sessions_are_counted_but_not_judged():
    rng = random.Random(5)
    specs = [faulty_rep(rng, "knees_forward") for _ in range(3)]
    session = session_of(specs, camera=Camera(yaw=90.0))
    info, poses, _ = render(session)
    res = analyze_stream(info, poses)
    assert res["view"] == "front"
    assert all(r["faults"] == [] for r in res["reps"])


@pytest.mark.parametrize(
    ("knee", "hip", "shin", "squat"),
    [
        (46, 110, 8, False),  # the dev clips' dumbbell RDL, labelled correct
        (91, 113, 30, False),  # the deepest rep of the correct kettlebell deadlift
        (79, 134, 17, False),  # barbell deadlift from the floor
        (113, 100, 38, True),  # knee-dominant kettlebell "deadlift"
        (117, 125, 28, True),  # bodyweight squat
        (60, 65, 20, True),  # knees doing as much as the hips
    ],
)
def test_knees_forward_tells_a_squat_pattern_from_a_loaded_hinge(knee, hip, shin, squat):
    m = RepMetrics(start_s=0.0, bottom_s=1.0, end_s=2.0, peak_lean=50, peak_hip=hip,
                   peak_knee=knee, peak_shin=shin, head_bottom=0.0, lockout_lean=0.0)
    assert ("knees_forward" in judge(m, DEFAULT)[0]) is squat
