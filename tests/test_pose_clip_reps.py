"""Real footage end to end: video -> MediaPipe -> motion core gives what a person sees.

Truth from ../shared/clips/MANIFEST.md (reps counted by a person looking at the frames).
A clip filmed front-on or at an angle must be reported as ``front`` and never judged for
faults; squats must not pass as clean hinges. Cases the motion core does not get right
yet are marked ``xfail(strict=True)`` with the reason, so they show up as known failures
and turn into errors (XPASS) the moment they are fixed: remove the mark then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from _pose_support import clip_poses
from hingecoach.motion.analysis import analyze_stream

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Truth:
    reps: int | None  # None: not a side view, the count is not asserted
    view: str  # "side" (either side) or "front"
    all_knees_forward: bool = False  # every rep is a squat pattern


TRUTH: dict[str, Truth] = {
    "kb_deadlift_side_clean.mp4": Truth(10, "side"),
    "kb_deadlift_side_knee_dominant.mp4": Truth(10, "side", all_knees_forward=True),
    "barbell_deadlift_side.mp4": Truth(2, "side"),
    "db_rdl_side.mp4": Truth(1, "side"),
    "bodyweight_squat_side.mp4": Truth(3, "side", all_knees_forward=True),
    "kb_good_morning_oblique.mp4": Truth(None, "front"),
    "goblet_squat_oblique.mp4": Truth(None, "front"),
    "kb_swing_russian_oblique.mp4": Truth(None, "front"),
}

# Known gaps in the motion core on real footage: (clip, check) -> reason. Empty since the
# motion core of main@44cb1cf gets every dev clip right; add an entry (it becomes a strict
# xfail) rather than loosening a truth above.
KNOWN: dict[tuple[str, str], str] = {}


def case(name: str, what: str) -> Any:
    reason = KNOWN.get((name, what))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name.removesuffix(".mp4"))


def analysis(name: str) -> dict[str, Any]:
    info, poses = clip_poses(name)
    return analyze_stream(info, poses, input_name=name)


@pytest.mark.parametrize("name", [case(n, "view") for n in TRUTH])
def test_the_view_verdict_matches_how_the_clip_was_filmed(name: str) -> None:
    view = analysis(name)["view"]
    if TRUTH[name].view == "side":
        assert view in ("side-left", "side-right")
    else:
        assert view == "front"


@pytest.mark.parametrize("name", [case(n, "reps") for n in TRUTH if TRUTH[n].reps is not None])
def test_side_view_rep_counts_match_a_person_counting(name: str) -> None:
    assert analysis(name)["summary"]["reps"] == TRUTH[name].reps


@pytest.mark.parametrize("name", [case(n, "knees") for n in TRUTH if TRUTH[n].all_knees_forward])
def test_squat_pattern_reps_are_flagged_knees_forward_not_praised(name: str) -> None:
    reps = analysis(name)["reps"]
    assert reps and all("knees_forward" in r["faults"] for r in reps)


@pytest.mark.parametrize("name", [n for n in TRUTH if TRUTH[n].view == "front"])
def test_front_oblique_clips_are_never_judged_for_faults(name: str) -> None:
    result = analysis(name)
    assert result["summary"]["faults"] == {}
    assert all(r["faults"] == [] for r in result["reps"])


def test_the_clean_kettlebell_deadlift_is_not_mistaken_for_a_squat() -> None:
    reps = analysis("kb_deadlift_side_clean.mp4")["reps"]
    assert len(reps) == 10
    assert not any("knees_forward" in r["faults"] for r in reps)
