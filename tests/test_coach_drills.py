"""Drills and levels: the wall drill's progression, units, and what the camera can judge."""

from __future__ import annotations

import pytest

from coachkit import ListRecorder, Script, kinds, make_rep, play, start
from hingecoach.coach.coach import Coach
from hingecoach.coach.drills import Level, WallProgress, judge_rep


def test_the_wall_ladder_runs_6_to_12_inches_then_no_wall() -> None:
    lv = Level("wall", 0, "in")
    seen = []
    for _ in range(6):
        seen.append(lv.spoken_distance())
        lv = lv.moved(+1)
    assert seen == ["6 inches", "8 inches", "10 inches", "12 inches", "no wall", "no wall"]
    assert Level("wall", 0, "in").moved(-1).index == 0


def test_centimetres_by_config() -> None:
    assert Level("wall", 1, "cm").spoken_distance() == "20 centimetres"
    assert Level("wall", 1, "in").wall_cm == pytest.approx(20.3)


def test_the_hinge_ladder_goes_hip_crease_free_hinge_dowel() -> None:
    assert [Level("hinge", i).drill for i in range(3)] == ["hip_crease", "hinge", "dowel"]


def test_a_run_of_clean_reps_steps_further_and_repeated_faults_step_back_in() -> None:
    w = WallProgress()
    assert [w.update(True) for _ in range(5)] == [0, 0, 0, 0, 1]
    assert [w.update(ok) for ok in (False, True, False, False)] == [0, 0, 0, -1]


def test_hips_that_do_not_reach_the_announced_wall_are_a_problem_only_in_the_wall_drill() -> None:
    rep = make_rep(1, 0.0, 2.4, hip_travel_m=0.10)
    assert judge_rep(rep, Level("wall", 0)) == ()            # 6 in: 0.10 m is enough
    assert judge_rep(rep, Level("wall", 3)) == ("wall_not_reached",)  # 12 in: short
    assert judge_rep(rep, Level("hinge", 1)) == ()
    assert judge_rep(make_rep(1, 0, 2.4, hip_travel_m=None), Level("wall", 3)) == ()


def test_knees_bending_before_the_hips_reach_the_wall_count_as_knees_forward() -> None:
    rep = make_rep(1, 0.0, 2.4, knee_lead=45.0)
    assert judge_rep(rep, Level("wall", 0)) == ("knees_forward",)


def test_the_wall_drill_session_progresses_and_saves_the_level() -> None:
    s = Script().stand(4.0).reps_of(5).reps_of(5).reps_of(2)
    coach = Coach(recorder=(rec := ListRecorder()))
    cues = play(coach, s.updates, start("wall"))
    prog = kinds(cues, "progression")
    assert [c.cue_id for c in prog] == ["wall.further", "wall.further"]
    assert "8 inches" in prog[0].text and "10 inches" in prog[1].text
    assert ("level", "wall", 2) in rec.events
    assert "10 inches" in cues[-1].text  # the session summary names the saved distance


def test_a_struggling_athlete_is_moved_back_in() -> None:
    s = Script().stand(4.0).reps_of(4, hip_travel_m=0.12)
    coach = Coach(levels={"wall": 3}, units="cm")
    cues = play(coach, s.updates, start("wall"))
    assert [c.cue_id for c in kinds(cues, "progression")] == ["wall.closer"]
    assert coach.levels["wall"].spoken_distance() == "25 centimetres"


def test_a_saved_level_is_where_the_next_session_begins() -> None:
    cues = play(Coach(levels={"wall": 2}), Script().stand(2.0).updates, start("wall"))
    assert "10 inches" in cues[0].text


def test_asking_for_the_next_and_previous_level_moves_and_announces() -> None:
    s = Script().stand(4.0).reps_of(2).stand(2.0)
    t = s.t - 1.5
    coach = Coach()
    cues = play(coach, s.updates, [*start(), (t, "next_level", {}), (t + 0.5, "next_level", {}),
                                   (t + 1.0, "previous_level", {})])
    ids = [c.cue_id for c in cues if c.t >= t]
    assert ids[:2] == ["level.up", "drill.dowel"]
    assert "level.top" in ids and "level.down" in ids
    assert coach.levels["hinge"].drill == "hinge"


def test_a_drill_switch_mid_set_closes_the_set_and_introduces_the_new_drill() -> None:
    s = Script().stand(4.0).reps_of(2).stand(4.0).reps_of(2)
    coach = Coach(recorder=(rec := ListRecorder()))
    cues = play(coach, s.updates, [*start(), (11.0, "start_drill", {"drill": "wall"})])
    assert any(c.cue_id == "drill.wall" for c in cues)
    sets = [e for e in rec.events if e[0] in ("set_started", "set_ended")]
    assert sets[0] == ("set_started", 1, "hinge") and sets[1][0] == "set_ended"
    assert ("set_started", 2, "wall") in sets


def test_a_level_the_user_asks_for_is_announced_without_praise_and_the_rep_under_way_keeps_the_old_one() -> None:
    """'next level' said mid-rep: the cue praised reps never seen ("Clean run...", even with
    no reps at all), and the rep under way was judged at the new, further wall."""
    old, new = Level("wall", 1), Level("wall", 2)
    travel = next(m / 100 for m in range(5, 60) if not judge_rep(make_rep(1, 0, 2.4, hip_travel_m=m / 100), old)
                  and judge_rep(make_rep(1, 0, 2.4, hip_travel_m=m / 100), new) == ("wall_not_reached",))
    s = Script().stand(4.0).reps_of(2, hip_travel_m=travel)
    mid_rep = s.t + 1.0  # the third rep runs from s.t for 2.4 s
    s.reps_of(1, hip_travel_m=travel).stand(3.0)
    coach = Coach(levels={"wall": 1}, recorder=(rec := ListRecorder()))
    cues = play(coach, s.updates, [*start("wall"), (mid_rep, "next_level", {})], finish=False)
    (prog,) = kinds(cues, "progression")
    assert prog.cue_id == "wall.further" and "Clean" not in prog.text and "Great" not in prog.text
    reps = [e for e in rec.events if e[0] == "rep"]
    assert len(reps) == 3 and all(e[2] == () for e in reps), reps  # the third: judged at the old wall
    # asked for with no reps at all, up to no wall: never "You've earned it"
    coach = Coach(levels={"wall": 1})
    said = play(coach, Script().stand(30.0).updates,
                [*start("wall"), *[(5.0 + 4 * i, "next_level", {}) for i in range(6)]], finish=False)
    texts = [c.text for c in kinds(said, "progression")]
    assert texts and not any(w in t for t in texts for w in ("Clean", "Great", "earned")), texts


def test_a_level_asked_for_while_paused_applies_to_the_reps_after_resume() -> None:
    """'pause', 'next level', 'resume': the coach announced 8 inches, then went on judging and
    recording the set at 6 (the paused set kept its level; session 14)."""
    s = Script().stand(4.0).reps_of(2, hip_travel_m=0.09).stand(3.0).reps_of(2, hip_travel_m=0.09)
    coach = Coach(recorder=(rec := ListRecorder()))
    play(coach, s.updates, [*start("wall"), (11.5, "pause", {}), (12.0, "next_level", {}),
                            (12.5, "resume", {})])
    sets = [e for e in rec.events if e[0] in ("set_started", "set_ended")]
    assert sets == [("set_started", 1, "wall"), ("set_ended", 2, 2), ("set_started", 2, "wall"),
                    ("set_ended", 2, 0)]
    assert [e[2] for e in rec.events if e[0] == "rep"] == [(), (), ("wall_not_reached",), ("wall_not_reached",)]
    assert coach.levels["wall"].index == 1
