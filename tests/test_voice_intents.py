"""The text side of voice commands: phrases -> intents, and nothing else."""

from __future__ import annotations

import pytest

from hingecoach.audio.grammar import command_phrases, grammar_words, jsgf, vosk_grammar
from hingecoach.audio.intents import (
    COMMAND_PHRASES,
    INTENT_NAMES,
    Intent,
    parse_command,
    parse_command_script,
    phrases_for,
)

REQUIRED = {
    "start hinge drill": ("start_drill", {"drill": "hinge"}),
    "start the hinge drill": ("start_drill", {"drill": "hinge"}),
    "begin hinge drill": ("start_drill", {"drill": "hinge"}),
    "start wall drill": ("start_drill", {"drill": "wall"}),
    "start the wall drill": ("start_drill", {"drill": "wall"}),
    "begin wall drill": ("start_drill", {"drill": "wall"}),
    "stop": ("stop", {}),
    "end session": ("stop", {}),
    "pause": ("pause", {}),
    "hold on": ("pause", {}),
    "resume": ("resume", {}),
    "continue": ("resume", {}),
    "next level": ("next_level", {}),
    "harder": ("next_level", {}),
    "easier": ("previous_level", {}),
    "previous level": ("previous_level", {}),
    "how many": ("count", {}),
    "how many reps": ("count", {}),
    "repeat": ("repeat", {}),
    "say that again": ("repeat", {}),
    "help": ("help", {}),
    "what can I say": ("help", {}),
    "louder": ("louder", {}),
    "quieter": ("quieter", {}),
}


@pytest.mark.parametrize("phrase", sorted(REQUIRED))
def test_every_required_phrase_parses_to_its_intent(phrase: str) -> None:
    intent = parse_command(phrase)
    assert intent is not None
    assert (intent.name, intent.slots) == REQUIRED[phrase]


def test_every_intent_name_has_at_least_one_phrase() -> None:
    for name in INTENT_NAMES:
        assert phrases_for(name), name


def test_the_table_only_uses_known_intents() -> None:
    assert {name for name, _ in COMMAND_PHRASES.values()} == set(INTENT_NAMES)


def test_case_punctuation_and_polite_fillers_are_ignored() -> None:
    assert parse_command("Start the Hinge-Drill!") == Intent("start_drill", {"drill": "hinge"}, "start the hinge drill")
    assert parse_command("please stop") is not None
    assert parse_command("okay, next level please").name == "next_level"


@pytest.mark.parametrize(
    "text",
    ["stop at the wall", "pause at the bottom", "", "   ", "start", "hinge drill", "how many people are coming"],
)
def test_a_sentence_that_merely_contains_a_command_word_is_not_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_intent_json_has_the_listen_shape() -> None:
    assert parse_command("start wall drill", 0.87).to_json() == {
        "intent": "start_drill", "slots": {"drill": "wall"}, "text": "start wall drill", "confidence": 0.87,
    }


def test_a_command_script_is_parsed_into_sorted_timed_phrases() -> None:
    assert parse_command_script("12:pause; 0.5:start hinge drill") == [(0.5, "start hinge drill"), (12.0, "pause")]


@pytest.mark.parametrize("bad", ["start hinge drill", "x:stop", "3:"])
def test_a_malformed_command_script_names_the_bad_item(bad: str) -> None:
    with pytest.raises(ValueError, match="command"):
        parse_command_script(bad)


def test_the_grammars_hold_exactly_the_command_phrases() -> None:
    g = jsgf()
    for phrase in command_phrases():
        assert f"( {phrase} )" in g
    assert "<decoy>" not in g and "( three )" in jsgf(decoys=["three", "Stop"])
    assert "( stop )" not in jsgf(decoys=["three", "Stop"]).split("<decoy> =")[-1]
    import json

    assert json.loads(vosk_grammar()) == [*command_phrases(), "[unk]"]
    assert "hinge" in grammar_words() and "reps" in grammar_words()
