"""The real recogniser (PocketSphinx, as shipped) on espeak-ng speech it was never tuned on.

Speaks every command phrase in the corpus ``test`` split (voices, speeds and noises
disjoint from the ``tune`` split the rejection model was fitted on), plus ordinary
sentences and coaching-style phrases, and checks what comes out.
"""

from __future__ import annotations

import json

import pytest

from hingecoach.audio.corpus import CONDITIONS, SENTENCES, render
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.pcm import ASR_RATE, Audio, write_wav
from hingecoach.audio.recognisers import SphinxRecogniser
from hingecoach.cli import main
from hingecoach.coach.cues import decoy_phrases

pytestmark = pytest.mark.slow

#: 3 voices x 2 speeds, each clean and with one noise (pink 10/15 dB, white 20 dB).
TEST_CONDITIONS = CONDITIONS["test"]

# Regression floors = what the recogniser measured on this split, NOT the product
# targets. Targets (issue 5): >= 95% of commands right, <= 1 in 18 sentences accepted.
# Measured here (2026-11-21, third pass: each whole clip decoded from the same settled
# front-end, so the figures no longer depend on what the recogniser heard before):
# 285/324 = 88.0% of commands right (first pass: 76.5%), the US voice 102/108, 12/324
# taken for another command, 3/180 sentences accepted; see README "Voice".
MIN_COMMAND_ACCURACY = 0.879
MIN_US_VOICE_ACCURACY = 0.944
MAX_WRONG_INTENT = 0.038


@pytest.fixture(scope="module")
def recogniser() -> SphinxRecogniser:
    """As the app and `listen` build it: the coach's catalogue competes as decoys."""
    return SphinxRecogniser(decoys=decoy_phrases())


@pytest.fixture(scope="module")
def command_results(recogniser: SphinxRecogniser) -> list[tuple[str, str, object]]:
    out = []
    for ci, cond in enumerate(TEST_CONDITIONS):
        for k, phrase in enumerate(command_phrases()):
            r = recogniser.recognise(render(phrase, cond, seed=50_000 + ci * 100 + k))
            out.append((phrase, cond.label, r))
    return out


@pytest.fixture(scope="module")
def sentence_results(recogniser: SphinxRecogniser) -> list[tuple[str, str, object]]:
    out = []
    for ci, cond in enumerate(TEST_CONDITIONS[::2] + TEST_CONDITIONS[1::4]):
        for k, s in enumerate(SENTENCES["test"]):
            out.append((s, cond.label, recogniser.recognise(render(s, cond, seed=60_000 + ci * 100 + k))))
    return out


def _right(phrase: str, result) -> bool:  # noqa: ANN001
    want = parse_command(phrase)
    got = result.intent
    return got is not None and (got.name, got.slots) == (want.name, want.slots)


def test_spoken_commands_map_to_the_right_intent_at_the_measured_rate(command_results) -> None:  # noqa: ANN001
    right = sum(_right(p, r) for p, _, r in command_results)
    misses = [(p, c, r.text) for p, c, r in command_results if not _right(p, r)]
    assert right / len(command_results) >= MIN_COMMAND_ACCURACY, misses


def test_the_us_voice_is_understood_nearly_always_clean_or_noisy(command_results) -> None:  # noqa: ANN001
    us = [(p, r) for p, c, r in command_results if c.startswith("en-us")]
    assert sum(_right(p, r) for p, r in us) / len(us) >= MIN_US_VOICE_ACCURACY


def test_a_spoken_command_is_rarely_taken_for_a_different_command(command_results) -> None:  # noqa: ANN001
    wrong = [(p, c, r.text) for p, c, r in command_results if r.intent is not None and not _right(p, r)]
    assert len(wrong) <= MAX_WRONG_INTENT * len(command_results), wrong


def test_at_most_one_in_18_ordinary_sentences_is_taken_as_a_command(sentence_results) -> None:  # noqa: ANN001
    accepted = [(s, c, r.text) for s, c, r in sentence_results if r.intent is not None]
    assert len(sentence_results) >= 15
    assert len(accepted) <= len(sentence_results) / 18, accepted


def test_the_coachs_own_phrases_given_as_decoys_never_trigger_a_command() -> None:
    from hingecoach.audio.safety import recognise_text_safety

    cues = ["hold that position at the bottom", "stop at the wall and stand up tall", "pause, then drive the hips forward"]
    rec = SphinxRecogniser(decoys=cues)
    assert recognise_text_safety(cues, recogniser=rec) == []


def test_listen_wav_json_prints_the_intent_slots_words_and_confidence(tmp_path, capsys) -> None:  # noqa: ANN001
    wav = write_wav(tmp_path / "cmd.wav", Audio(render("start the wall drill", TEST_CONDITIONS[0]), ASR_RATE))
    assert main(["listen", "--wav", str(wav), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == "start_drill" and out["slots"] == {"drill": "wall"}
    assert out["text"] == "start the wall drill" and 0.5 <= out["confidence"] <= 1.0


def test_listen_wav_json_prints_null_for_ordinary_speech(tmp_path, capsys) -> None:  # noqa: ANN001
    wav = write_wav(tmp_path / "talk.wav", Audio(render("I would rather have tea than coffee", TEST_CONDITIONS[0]), ASR_RATE))
    assert main(["listen", "--wav", str(wav), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] is None and out["slots"] == {}


def test_listen_with_a_missing_wav_is_a_one_line_error(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["listen", "--wav", str(tmp_path / "nope.wav")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.wav" in err[0] and "error" in err[0]
