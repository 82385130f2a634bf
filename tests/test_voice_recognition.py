"""The real recogniser (PocketSphinx checked by the speech embedding, as shipped) on
espeak-ng speech it was never tuned or trained on.

Speaks every command phrase in the corpus ``test`` split (voices, speeds and noises
disjoint from the ``tune`` split the rejection model was fitted on and from the ``train``
split the embedding head was trained on), plus ordinary sentences, and checks what comes
out: of PocketSphinx alone (what runs when the embedding models are missing) and of the
app's :class:`CheckedRecogniser`.
"""

from __future__ import annotations

import json
import sys

import pytest

from hingecoach.audio.corpus import CONDITIONS, SENTENCES, render
from hingecoach.audio.embedding import load_classifier
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.pcm import ASR_RATE, Audio, write_wav
from hingecoach.audio.recognisers import CheckedRecogniser, SphinxRecogniser
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
# The app's recogniser, PocketSphinx checked by the speech embedding (CheckedRecogniser),
# measured 2026-11-22 on the same clips with the third head (lead 0.7): 316/324 = 97.5%
# right (second head: 313), the US voice 108/108, 1/324 taken for another command (was 3),
# 3/180 sentences accepted (PocketSphinx's own 3).
# With the second head (CHECK_RULE "second", 2026-11-23) the same: 316/324, 1 wrong, 3/180.
MIN_CHECKED_ACCURACY = 0.975
MIN_CHECKED_US_ACCURACY = 1.0
MAX_CHECKED_WRONG_INTENT = 0.0031


@pytest.fixture(scope="module")
def recogniser() -> CheckedRecogniser:
    """As the app and `listen` build it: the coach's catalogue competes as decoys, and the
    speech embedding checks every decode (a missing model is an error here, not a fallback)."""
    return CheckedRecogniser(SphinxRecogniser(decoys=decoy_phrases()), load_classifier())


def _both(rec: CheckedRecogniser, x) -> dict:  # noqa: ANN001
    """PocketSphinx alone and checked, from one decode."""
    alone = rec.base.recognise(x)
    return {"sphinx": alone, "checked": rec.combine(alone, x)}


@pytest.fixture(scope="module")
def command_results(recogniser: CheckedRecogniser) -> list[tuple[str, str, dict]]:
    out = []
    for ci, cond in enumerate(TEST_CONDITIONS):
        for k, phrase in enumerate(command_phrases()):
            out.append((phrase, cond.label, _both(recogniser, render(phrase, cond, seed=50_000 + ci * 100 + k))))
    return out


@pytest.fixture(scope="module")
def sentence_results(recogniser: CheckedRecogniser) -> list[tuple[str, str, dict]]:
    out = []
    for ci, cond in enumerate(TEST_CONDITIONS[::2] + TEST_CONDITIONS[1::4]):
        for k, s in enumerate(SENTENCES["test"]):
            out.append((s, cond.label, _both(recogniser, render(s, cond, seed=60_000 + ci * 100 + k))))
    return out


ENGINES = pytest.mark.parametrize("engine", ["sphinx", "checked"])
FLOORS = {
    "sphinx": (MIN_COMMAND_ACCURACY, MIN_US_VOICE_ACCURACY, MAX_WRONG_INTENT),
    "checked": (MIN_CHECKED_ACCURACY, MIN_CHECKED_US_ACCURACY, MAX_CHECKED_WRONG_INTENT),
}


def _right(phrase: str, result) -> bool:  # noqa: ANN001
    want = parse_command(phrase)
    got = result.intent
    return got is not None and (got.name, got.slots) == (want.name, want.slots)


@ENGINES
def test_spoken_commands_map_to_the_right_intent_at_the_measured_rate(command_results, engine) -> None:  # noqa: ANN001
    right = sum(_right(p, r[engine]) for p, _, r in command_results)
    misses = [(p, c, r[engine].text) for p, c, r in command_results if not _right(p, r[engine])]
    assert right / len(command_results) >= FLOORS[engine][0], misses


@ENGINES
def test_the_us_voice_is_understood_nearly_always_clean_or_noisy(command_results, engine) -> None:  # noqa: ANN001
    us = [(p, r[engine]) for p, c, r in command_results if c.startswith("en-us")]
    assert sum(_right(p, r) for p, r in us) / len(us) >= FLOORS[engine][1]


@ENGINES
def test_a_spoken_command_is_rarely_taken_for_a_different_command(command_results, engine) -> None:  # noqa: ANN001
    wrong = [(p, c, r[engine].text) for p, c, r in command_results
             if r[engine].intent is not None and not _right(p, r[engine])]
    assert len(wrong) <= FLOORS[engine][2] * len(command_results), wrong


@ENGINES
def test_at_most_one_in_18_ordinary_sentences_is_taken_as_a_command(sentence_results, engine) -> None:  # noqa: ANN001
    accepted = [(s, c, r[engine].text) for s, c, r in sentence_results if r[engine].intent is not None]
    assert len(sentence_results) >= 15
    assert len(accepted) <= len(sentence_results) / 18, accepted


def test_the_checked_recogniser_says_which_ear_decided(command_results) -> None:  # noqa: ANN001
    """Evidence for `listen --verbose`: the decoder's words and intent, the embedding's label."""
    for _, _, r in command_results[:27]:
        d = r["checked"].details
        assert d["decided_by"] in ("both", "decoder", "embedding", "none")
        assert {"decoder_text", "decoder_intent", "embedding"} <= set(d)
        assert 0.0 <= d["embedding"]["p"] <= 1.0


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


def test_listen_checks_the_file_before_loading_a_recogniser(tmp_path) -> None:  # noqa: ANN001
    # in a fresh process the recogniser's fallback notice would otherwise come first
    import subprocess

    done = subprocess.run([sys.executable, "-m", "hingecoach", "listen", "--wav", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"hingecoach listen: error: {tmp_path}: is a folder, not a WAV file: name the file in it"]
