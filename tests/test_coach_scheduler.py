"""The cue scheduler: one voice, stale cues dropped, the user's requests always answered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hingecoach.coach.cues import Cue
from hingecoach.coach.scheduler import CueScheduler


def cue(t: float, text: str = "Hips back now.", priority: int = 50, urgent: bool = False) -> Cue:
    return Cue(t, text, "correction", "x", None, priority, urgent)


def test_a_cue_that_cannot_be_said_in_time_is_dropped_not_queued() -> None:
    s = CueScheduler()
    assert s.offer([cue(0.0, "a long sentence of many many words here")])
    assert s.offer([cue(0.5)]) == []
    assert [d.t for d in s.dropped] == [0.5]


def test_the_highest_priority_cue_wins_a_moment() -> None:
    s = CueScheduler()
    said = s.offer([cue(1.0, "count", 60), cue(1.0, "fix", 90), cue(1.0, "praise", 70)])
    assert [c.text for c in said] == ["fix"]


def test_answers_to_the_user_wait_for_the_speaker_and_are_never_dropped() -> None:
    s = CueScheduler()
    s.offer([cue(0.0, "a long sentence of many many words here")])
    said = s.offer([cue(0.2, "On hold.", urgent=True)])
    assert len(said) == 1 and said[0].t > 0.2


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(1, 12), st.booleans()), max_size=40))
def test_spoken_cues_never_overlap(offers: list[tuple[float, int, bool]]) -> None:
    s = CueScheduler()
    for t, n, urgent in sorted(offers):
        s.offer([cue(t, " ".join(["word"] * n), urgent=urgent)])
    for a, b in zip(s.spoken, s.spoken[1:], strict=False):
        assert b.start >= a.end - 1e-9
    assert len(s.spoken) + len(s.dropped) == len(offers)


def test_a_cue_planned_but_not_begun_can_be_withdrawn_and_what_follows_moves_up() -> None:
    s = CueScheduler()
    playing = s.offer([cue(0.0, "one two three four five", urgent=True)])[0]
    stale = s.offer([cue(0.5, "six seven eight", urgent=True)])[0]
    answer = s.offer([cue(0.7, "nine ten", urgent=True)])[0]
    assert stale.t == s.spoken[0].end and answer.t == s.spoken[1].end
    moved = s.withdraw([stale], now=1.0)
    assert s.withdrawn == [stale]
    assert [sp.cue.text for sp in s.spoken] == [playing.text, "nine ten"]
    assert [c.text for c in moved] == ["nine ten"] and moved[0].t == s.spoken[0].end
    assert s.busy_until == pytest.approx(moved[0].t + s.duration("nine ten"))
    assert s.withdraw([stale], now=1.0) == []  # gone already: nothing to do
    # a cue already begun (or just beginning) is the speaker's: it cannot be taken back
    with pytest.raises(AssertionError):
        s.withdraw([playing], now=1.0)


@given(st.lists(st.tuples(st.floats(0, 100), st.integers(1, 12), st.booleans(), st.booleans()),
                max_size=40))
def test_after_withdrawals_cues_still_never_overlap_nor_begin_before_their_moment(
        offers: list[tuple[float, int, bool, bool]]) -> None:
    s = CueScheduler()
    for t, n, urgent, take_back in sorted(offers):
        s.offer([cue(t, " ".join(["word"] * n), urgent=urgent)])
        if take_back:  # everything planned past this moment, this cue included, is taken back
            s.withdraw([sp.cue for sp in s.spoken if sp.start > t], now=t)
    for a, b in zip(s.spoken, s.spoken[1:], strict=False):
        assert b.start >= a.end - 1e-9
    assert all(sp.start >= sp.asked and sp.cue.t == sp.start for sp in s.spoken)
    assert s.busy_until == (s.spoken[-1].end if s.spoken else float("-inf"))
    assert len(s.spoken) + len(s.dropped) + len(s.withdrawn) == len(offers)
