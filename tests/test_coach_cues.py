"""The cue catalogue: our own words, several phrasings, never a command word."""

from __future__ import annotations

import pytest

from hingecoach.coach.cues import (
    CATALOGUE,
    COACH_FAULTS,
    COMMAND_WORDS,
    CORRECTION_ORDER,
    FOCUS,
    HELP_LINES,
    KINDS,
    Cue,
    Phrasebook,
    command_words_in,
    placeholders,
)
from hingecoach.motion.types import FAULTS, FLAGS

ALL_PROBLEMS = (*FAULTS, *FLAGS, *COACH_FAULTS)


@pytest.mark.parametrize("cue_id", sorted(CATALOGUE))
def test_no_catalogue_phrase_contains_a_command_word(cue_id: str) -> None:
    for phrase in CATALOGUE[cue_id][1]:
        assert command_words_in(phrase) == [], (cue_id, phrase)


def test_the_command_word_check_catches_inflections() -> None:
    assert command_words_in("We started, then stopping.") == ["started", "stopping"]
    assert command_words_in("Hips back, chest proud.") == []


def test_help_is_the_only_text_that_names_the_commands() -> None:
    named = {w for line in HELP_LINES for w in command_words_in(line)}
    assert {"start", "pause", "resume", "stop", "next", "louder", "quieter"} <= named
    assert all(w not in CATALOGUE for w in COMMAND_WORDS)


@pytest.mark.parametrize("cue_id", sorted(CATALOGUE))
def test_every_cue_has_several_phrasings_with_the_same_placeholders(cue_id: str) -> None:
    kind, phrases = CATALOGUE[cue_id]
    assert kind in KINDS
    assert len(phrases) >= 2
    assert len(set(phrases)) == len(phrases)
    assert len({frozenset(placeholders(p)) for p in phrases}) == 1


@pytest.mark.parametrize("problem", ALL_PROBLEMS)
def test_every_fault_has_a_correction_a_praise_and_a_summary_focus(problem: str) -> None:
    assert CATALOGUE[f"fix.{problem}"][0] == "correction"
    assert CATALOGUE[f"fixed.{problem}"][0] == "praise"
    assert problem in FOCUS
    assert problem in CORRECTION_ORDER


def test_safety_problems_are_talked_about_before_lockout_and_tempo() -> None:
    pos = CORRECTION_ORDER.index
    for safety in ("back_rounding", "knees_forward", "neck_extension"):
        for polish in ("hyperextension", "incomplete_lockout", "too_fast"):
            assert pos(safety) < pos(polish)
    assert CORRECTION_ORDER[0] == "back_rounding"


def test_phrasings_rotate_deterministically_without_repeating_back_to_back() -> None:
    a, b = Phrasebook(), Phrasebook()
    seq_a = [a.text("fix.knees_forward") for _ in range(6)]
    seq_b = [b.text("fix.knees_forward") for _ in range(6)]
    assert seq_a == seq_b
    assert all(x != y for x, y in zip(seq_a, seq_a[1:], strict=False))
    assert len(set(seq_a)) == len(CATALOGUE["fix.knees_forward"][1])


def test_cues_are_short_enough_to_say_between_reps() -> None:
    for cue_id, (kind, phrases) in CATALOGUE.items():
        if kind in ("correction", "praise", "count", "progression"):
            for p in phrases:
                assert len(p.split()) <= 14, (cue_id, p)


def test_a_transcript_line_carries_the_fault_only_on_corrections() -> None:
    fix = Cue(1.23456, "Soft knees.", "correction", "fix.knees_forward", "knees_forward")
    praise = Cue(2.0, "Better.", "praise", "fixed.knees_forward", "knees_forward")
    assert fix.to_json() == {"t": 1.235, "text": "Soft knees.", "kind": "correction",
                             "fault": "knees_forward"}
    assert praise.to_json() == {"t": 2.0, "text": "Better.", "kind": "praise"}
