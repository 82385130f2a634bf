"""Golden transcripts of the main coaching journeys, compared byte for byte.

A deliberate change to the coach's wording or timing updates them with
``HINGECOACH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_coach_golden.py``;
review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from coachkit import Script, play, said_in_run, start
from hingecoach.app import cue_line
from hingecoach.coach.coach import Coach
from hingecoach.commands.demo import DEMO_COMMANDS, coached_demo_session
from hingecoach.sim import render

GOLDEN = Path(__file__).parent / "golden"


def hinge_with_a_fault() -> tuple[list[str], Coach]:
    s = Script().stand(12.0).reps_of(2).reps_of(4, ("knees_forward",)).reps_of(4).stand(3.0)
    s.reps_of(3, ("too_fast", "incomplete_lockout"))
    coach = Coach()
    return [cue_line(c) for c in play(coach, s.updates, start("hinge"))], coach


def wall_up_and_down() -> tuple[list[str], Coach]:
    s = Script().stand(12.0).reps_of(5).reps_of(5).reps_of(4, hip_travel_m=0.12)
    s.reps_of(2, knee_lead=50.0)
    coach = Coach(units="cm")
    return [cue_line(c) for c in play(coach, s.updates, start("wall"))], coach


def setup_and_intents() -> tuple[list[str], Coach]:
    s = (Script().absent(3.0).problem("facing", 6.0).problem("feet_cut", 8.0).stand(10.0)
         .reps_of(3).stand(1.0).reps_of(3))
    intents = [*start("hinge", 0.2), (24.0, "count", {}), (26.0, "pause", {}),
               (30.0, "resume", {}), (33.0, "help", {}), (36.0, "repeat", {}),
               (37.0, "quieter", {}), (40.0, "next_level", {}), (44.0, "stop", {})]
    coach = Coach()
    return [cue_line(c) for c in play(coach, s.updates, intents, finish=False)], coach


def coached_demo() -> tuple[list[str], Coach]:
    info, poses, _ = render(coached_demo_session())
    coach = Coach(aspect=info.width / info.height)
    return [cue_line(c) for c in said_in_run(info, poses, coach, DEMO_COMMANDS)], coach


JOURNEYS: dict[str, Callable[[], tuple[list[str], Coach]]] = {
    "hinge_with_a_fault": hinge_with_a_fault,
    "wall_up_and_down": wall_up_and_down,
    "setup_and_intents": setup_and_intents,
    "coached_demo": coached_demo,
}


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("HINGECOACH_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with HINGECOACH_UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_the_journey_says_exactly_the_golden_transcript(journey: str) -> None:
    lines, coach = JOURNEYS[journey]()
    check(f"{journey}.jsonl", "".join(line + "\n" for line in lines))
    transitions = [json.dumps({"t": round(t, 3), "from": a, "event": e, "to": b})
                   for t, a, e, b in coach.transitions]
    check(f"{journey}.transitions.jsonl", "".join(x + "\n" for x in transitions))
