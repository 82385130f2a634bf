"""The rep tracker's phase table: exact transition transcripts, and what is not a rep."""

from __future__ import annotations

import math
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from hingecoach.motion.analysis import analyze_stream
from hingecoach.motion.reps import TABLE, RepTracker
from hingecoach.motion.types import Angles, Phase
from hingecoach.sim import RepSpec, Segment, Session, Spoil, render

P = Phase


def lean_curve(points: list[tuple[float, float]], fps: float = 30.0) -> list[tuple[float, float]]:
    """Piecewise-linear lean over time from (t, lean) knots, sampled at fps."""
    out = []
    t_end = points[-1][0]
    n = int(t_end * fps)
    j = 0
    for i in range(n + 1):
        t = i / fps
        while j < len(points) - 2 and t > points[j + 1][0]:
            j += 1
        (t0, a), (t1, b) = points[j], points[j + 1]
        u = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        out.append((t, a + (b - a) * u))
    return out


def feed(curve, knee=10.0):
    tr = RepTracker(record=True)
    reps = []
    for t, lean in curve:
        reps += tr.update(t, Angles(lean, lean + knee, knee, 3.0, 0.0, None))
    return tr, reps


def test_the_table_covers_every_phase_it_can_reach():
    sources = {row.source for row in TABLE}
    targets = {row.target for row in TABLE}
    assert targets <= sources | {P.UNKNOWN}
    assert P.STANDING in sources and P.LOCKOUT in sources


def test_one_clean_rep_walks_the_phases_in_order():
    tr, reps = feed(lean_curve([(0, 2), (1.0, 2), (2.2, 70), (2.5, 70), (3.7, 2), (5.0, 2)]))
    assert [(s, d) for _, s, d in tr.log] == [
        (P.UNKNOWN, P.STANDING), (P.STANDING, P.DESCENDING), (P.DESCENDING, P.BOTTOM),
        (P.BOTTOM, P.ASCENDING), (P.ASCENDING, P.LOCKOUT), (P.LOCKOUT, P.STANDING)]
    assert len(reps) == 1
    r = reps[0]
    assert r.peak_lean == 70
    assert 0.9 <= r.start_s <= 1.15
    assert 2.1 <= r.bottom_s <= 2.25
    assert not r.short


def test_a_torso_nod_is_not_a_rep():
    tr, reps = feed(lean_curve([(0, 2), (1.0, 2), (1.6, 35), (2.2, 2), (3.0, 2)]))
    assert reps == []
    assert [(s, d) for _, s, d in tr.log][-1] == (P.DESCENDING, P.STANDING)


def test_bending_over_before_standing_still_is_moving_into_position_not_a_rep():
    # appears mid-bend, stands up, then leaves before ever standing still: no rep
    tr, reps = feed(lean_curve([(0, 60), (0.8, 5), (0.9, 5), (1.5, 60), (2.5, 5), (2.6, 5)]))
    assert reps == []
    tr, reps = feed(lean_curve([(0, 60), (0.8, 5), (2.0, 5), (3.0, 60), (4.0, 3), (5.0, 3)]))
    assert len(reps) == 1


def test_stopping_short_of_standing_and_pausing_is_a_short_rep():
    tr, reps = feed(lean_curve([(0, 2), (1, 2), (2, 70), (3, 28), (4.5, 28), (6, 2), (7, 2)]))
    assert len(reps) == 1 and reps[0].short
    assert P.PAUSED in [d for _, _, d in tr.log]


def test_going_straight_into_the_next_rep_from_a_short_finish_counts_both():
    tr, reps = feed(lean_curve([(0, 2), (1, 2), (2, 70), (3, 28), (3.2, 28), (4.2, 70), (5.3, 2),
                                (6.5, 2)]))
    assert [r.short for r in reps] == [True, False]


def test_a_bounce_at_the_bottom_is_one_rep():
    tr, reps = feed(lean_curve([(0, 2), (1, 2), (2, 75), (2.3, 58), (2.6, 78), (3.8, 2), (5, 2)]))
    assert len(reps) == 1
    assert reps[0].peak_lean == 78


def test_losing_the_athlete_for_long_drops_the_rep_in_progress():
    tr = RepTracker()
    reps = []
    for t, lean in lean_curve([(0, 2), (1, 2), (2, 70)]):
        reps += tr.update(t, Angles(lean, lean, 10, 3, 0, None))
    tr.lost(4.0)
    assert tr.phase is P.UNKNOWN
    for t, lean in lean_curve([(4.1, 40), (5, 2), (6, 2)]):
        reps += tr.update(t, Angles(lean, lean, 10, 3, 0, None))
    assert reps == []


def test_a_dropout_of_exactly_max_gap_is_not_a_loss_at_any_frame():
    # at 30 fps a 30-frame gap is 1.0 s (max_gap_s), yet (i + 30)/30 - i/30 is a hair over
    # 1.0 in floating point for some i: the bound must not depend on where the gap falls
    th = RepTracker().th
    fps = 30.0
    n = round(th.max_gap_s * fps)
    for i in range(45, 105):
        tr = RepTracker()
        for k in range(i + 1):
            tr.update(k / fps, Angles(2.0, 2.0, 10, 3, 0, None))
        assert tr.phase is P.STANDING
        tr.lost((i + n) / fps)
        tr.update((i + n) / fps, Angles(2.0, 2.0, 10, 3, 0, None))
        assert tr.phase is P.STANDING, i
        tr.lost((i + 2 * n + 1) / fps)
        assert tr.phase is P.UNKNOWN, i


def test_a_rep_may_start_once_standing_has_lasted_settle_s_from_any_frame():
    # 0.3 s at 30 fps is 9 frames; in floating point (i + 9)/30 - i/30 falls short of 0.3
    # for most i, which made the wait one frame longer depending on where standing began
    fps = 30.0
    n = round(RepTracker().th.settle_s * fps)
    for i in range(0, 90):
        for lean_at, starts in ((n, True), (n - 1, False)):
            tr = RepTracker(record=True)
            for k in range(i, i + lean_at):
                tr.update(k / fps, Angles(2.0, 2.0, 10, 3, 0, None))
            tr.update((i + lean_at) / fps, Angles(25.0, 25.0, 10, 3, 0, None))
            assert (tr.phase is P.DESCENDING) is starts, (i, lean_at)


def test_a_dropped_frame_before_a_rep_does_not_move_its_start():
    # the start is put half a frame after the last quiet frame: the frame period must be the
    # camera's, not one stretched by a frame the pose model missed
    curve = lean_curve([(0, 2), (2.0, 2), (2.8, 70), (3.2, 70), (4.2, 2), (5.5, 2)], fps=15.0)
    _, whole = feed(curve)
    _, gappy = feed([f for i, f in enumerate(curve) if i != 25])  # t = 1.667 s, before the rep
    assert len(whole) == len(gappy) == 1
    assert gappy[0].start_s == whole[0].start_s


def test_short_dropouts_mid_rep_do_not_lose_the_rep():
    segs = [Segment("idle", 2.0), Segment("rep", rep=RepSpec()), Segment("idle", 1.5)]
    session = Session(segments=segs, spoil=Spoil(jitter=0.003, dropout=0.15), seed=3)
    info, poses, truth = render(session)
    res = analyze_stream(info, poses)
    assert res["summary"]["reps"] == 1


rep_specs = st.builds(
    RepSpec,
    depth=st.floats(48, 90), descent_s=st.floats(0.8, 2.5), hold_s=st.floats(0, 0.8),
    ascent_s=st.floats(0.7, 2.0), knee=st.floats(5, 40), shin=st.floats(0, 8),
    head=st.floats(-22, -1), lockout_lean=st.floats(-3, 3))  # head: the angle at the bottom
gaps = st.floats(0.2, 2.5)


@settings(max_examples=int(os.environ.get('HINGECOACH_HYPOTHESIS_EXAMPLES', 40)), deadline=None)
@given(st.lists(st.tuples(rep_specs, gaps, st.booleans()), min_size=1, max_size=8),
       st.sampled_from([15.0, 24.0, 30.0, 60.0]), st.sampled_from([1, -1]),
       st.integers(0, 10_000))
def test_any_sequence_of_clean_reps_and_nods_is_counted_exactly(reps, fps, facing, seed):
    from hingecoach.sim import Camera

    segs = [Segment("idle", 2.0)]
    for spec, gap, nod in reps:
        if nod:
            segs += [Segment("nod", 1.2, nod_lean=30), Segment("idle", 0.6)]
        segs += [Segment("rep", rep=spec), Segment("idle", gap)]
    session = Session(segments=segs, camera=Camera(fps=fps, facing=facing),
                      spoil=Spoil(jitter=0.004, dropout=0.01), seed=seed)
    info, poses, truth = render(session)
    res = analyze_stream(info, poses)
    assert res["summary"]["reps"] == len(truth)
    assert all(r["faults"] == [] for r in res["reps"])
    for (spec, _, _), got, want in zip(reps, res["reps"], truth, strict=True):
        # onset and arrival are seen a few degrees into an eased movement: allow for that
        assert abs(got["start_s"] - want.start_s) < 0.2 + 0.25 * spec.descent_s
        assert abs(got["bottom_s"] - want.bottom_s) < 0.2 + 0.25 * spec.descent_s
        assert not math.isnan(got["descent_s"])


def test_a_lift_from_a_still_set_up_at_the_floor_is_a_rep():
    # a deadlift: first seen bent over the bar, still; lifts; lowers; lifts again
    curve = lean_curve([(0, 70), (1.0, 70), (2.0, 2), (3.5, 2), (4.7, 70), (6.0, 70), (7.0, 2),
                        (8.5, 2)])
    tr, reps = feed(curve)
    assert len(reps) == 2
    assert reps[0].from_floor and not reps[1].from_floor
    assert [(s, d) for _, s, d in tr.log][:2] == [(P.UNKNOWN, P.BOTTOM), (P.BOTTOM, P.ASCENDING)]


def test_passing_through_deep_on_the_way_up_is_not_a_floor_start():
    tr, reps = feed(lean_curve([(0, 70), (0.2, 70), (1.0, 2), (2.0, 2)]))
    assert reps == []
