"""No self-triggering: every phrase in the coach's cue catalogue, spoken by the coach's own
voice through espeak-ng, maps to no intent in the real recogniser."""

from __future__ import annotations

import pytest

from hingecoach.audio.corpus import Condition, render
from hingecoach.audio.embedding import load_classifier
from hingecoach.audio.recognisers import CheckedRecogniser, SphinxRecogniser
from hingecoach.audio.safety import recognise_text_safety, text_conflicts
from hingecoach.coach.cues import CATALOGUE, FOCUS, HELP_LINES, placeholders

pytestmark = pytest.mark.slow

#: Values for the catalogue's {placeholders} (what the coach fills in at run time).
SAMPLE_VALUES = {
    "target": "10", "distance": "6 inches", "n": "7", "drill": "free hinge", "reps": "10",
    "clean": "8", "focus": f" Next time, work on {FOCUS['back_rounding']}.", "sets": "3 sets",
    "saved": " Your progress is saved.",
}


def catalogue_phrases() -> list[str]:
    """Every phrasing with its placeholders filled; counts 1-15 spelled as the coach says them.
    HELP_LINES are left out: they name the commands on purpose and are only said on request."""
    out = []
    for cue_id, (_kind, variants) in CATALOGUE.items():
        for v in variants:
            if cue_id.startswith("count.") and "{n}" in v:
                out += [v.format(**{**SAMPLE_VALUES, "n": str(n)}) for n in range(1, 16)]
            else:
                out.append(v.format(**{k: SAMPLE_VALUES[k] for k in placeholders(v)}))
    return list(dict.fromkeys(out))


def test_no_catalogue_phrase_is_a_command_as_text() -> None:
    assert text_conflicts(catalogue_phrases()) == []
    assert HELP_LINES  # the one exception exists and is excluded on purpose


def test_no_catalogue_phrase_spoken_by_the_coach_voice_triggers_a_command() -> None:
    """The app builds its recogniser with the catalogue as decoys (make_recogniser(...,
    decoys=...)): then no cue, in the coach's voice or a second one, maps to an intent.
    (Without decoys, 13 of 526 spoken cues did, nearly all rep counts: "that's five" ->
    "stop". The mic is also gated while the coach talks, so this is the second guard.)
    Checked for the app's recogniser (PocketSphinx checked by the speech embedding) and for
    PocketSphinx alone (what runs without the embedding models), from one decode each."""
    phrases = catalogue_phrases()
    checked = CheckedRecogniser(SphinxRecogniser(decoys=phrases), load_classifier())
    conflicts: dict[str, list] = {"alone": [], "checked": []}
    n = 0
    for i, phrase in enumerate(phrases):
        for cond in (Condition("en-us", 165), Condition("en-gb", 175)):
            x = render(phrase, cond, seed=i)  # as recognise_text_safety speaks it
            alone = checked.base.recognise(x)
            both = checked.combine(alone, x)
            n += 1
            for name, r in (("alone", alone), ("checked", both)):
                if r.intent is not None:
                    conflicts[name].append((phrase, cond.label, r.intent.name, r.text))
    assert n == 2 * len(phrases) and len(phrases) >= 263
    assert conflicts == {"alone": [], "checked": []}


def test_the_safety_check_uses_the_apps_recogniser_by_default_and_finds_a_real_conflict() -> None:
    """recognise_text_safety itself, on a phrase that is a command: it must be reported."""
    conflicts = recognise_text_safety(["pause"], conditions=[Condition("en-us", 165)])
    assert [c.intent for c in conflicts] == ["pause", "pause"]  # as text and spoken
