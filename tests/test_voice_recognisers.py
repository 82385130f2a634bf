"""Choosing a recogniser, Vosk's result handling, and the cue-safety check (no audio)."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from hingecoach.audio.recognisers import (
    ScriptedRecogniser,
    SphinxRecogniser,
    VoskRecogniser,
    add_noise_floor,
    describe_recogniser,
    find_vosk_model,
    make_recogniser,
    phone_agreement,
    sphinx_features,
    sphinx_score,
)
from hingecoach.audio.safety import text_conflicts
from hingecoach.errors import ModelError


class FakeKaldi:
    """Stands in for vosk.KaldiRecognizer: records the audio, answers a set result."""

    def __init__(self, result: dict) -> None:
        self.result = result
        self.audio = b""
        self.resets = 0

    def Reset(self) -> None:  # noqa: N802 - Vosk's name
        self.audio = b""
        self.resets += 1

    def AcceptWaveform(self, data: bytes) -> bool:  # noqa: N802
        self.audio += data
        return False

    def FinalResult(self) -> str:  # noqa: N802
        return json.dumps(self.result)


def vosk_like(min_word_conf: float = 0.6, result: dict | None = None) -> VoskRecogniser:
    """A VoskRecogniser without a model, to test its pure result handling."""
    rec = VoskRecogniser.__new__(VoskRecogniser)
    rec.min_word_conf = min_word_conf
    rec.decoys = []
    rec._rec = FakeKaldi(result or {"text": ""})
    return rec


def test_with_no_vosk_model_the_choice_is_pocketsphinx_and_says_why(tmp_path) -> None:  # noqa: ANN001
    choice = describe_recogniser(tmp_path)
    assert choice.engine == "pocketsphinx"
    assert "no Vosk model" in choice.reason and str(tmp_path) in choice.reason


def test_a_vosk_model_folder_is_found_in_models(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "vosk-model-small-en-us-0.15" / "am").mkdir(parents=True)
    (tmp_path / "vosk-model-small-en-us-0.15" / "am" / "final.mdl").write_bytes(b"x")
    (tmp_path / "notes").mkdir()
    assert find_vosk_model(tmp_path).name == "vosk-model-small-en-us-0.15"
    assert describe_recogniser(tmp_path).engine == "vosk"


def test_a_broken_vosk_model_is_a_model_error_naming_the_folder(tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "vosk-model-broken"
    (bad / "conf").mkdir(parents=True)
    (bad / "conf" / "model.conf").write_text("nonsense")
    with pytest.raises(ModelError, match="vosk-model-broken"):
        VoskRecogniser(bad)


def test_auto_falls_back_to_pocketsphinx_visibly_in_the_log(tmp_path, caplog) -> None:  # noqa: ANN001
    with caplog.at_level(logging.WARNING, logger="hingecoach.audio.recognisers"):
        rec = make_recogniser("auto", tmp_path)
    assert rec.name in ("pocketsphinx", "pocketsphinx+embedding")  # checked when models/ has the embedding
    assert "PocketSphinx fallback" in caplog.text


def test_vosk_output_in_grammar_with_confident_words_is_the_command() -> None:
    r = vosk_like().interpret({"text": "start the hinge drill", "result": [{"word": w, "conf": 0.9} for w in ["start", "the", "hinge", "drill"]]})
    assert r.intent.name == "start_drill" and r.intent.slots == {"drill": "hinge"}
    assert r.confidence == pytest.approx(0.9)


@pytest.mark.parametrize(
    "result",
    [
        {"text": "[unk] stop", "result": [{"word": "[unk]", "conf": 1.0}, {"word": "stop", "conf": 1.0}]},
        {"text": "", "result": []},
        {"text": "stop", "result": [{"word": "stop", "conf": 0.31}]},
        {"text": "three", "result": [{"word": "three", "conf": 1.0}]},
    ],
)
def test_vosk_unknown_words_low_confidence_and_decoys_map_to_no_intent(result) -> None:  # noqa: ANN001
    assert vosk_like().interpret(result).intent is None


def test_vosk_takes_the_utterance_block_by_block_and_starts_each_afresh() -> None:
    rec = vosk_like(result={"text": "pause", "result": [{"word": "pause", "conf": 0.95}]})
    kaldi = rec._rec
    stream = rec.open_stream()
    for i in range(5):
        stream.feed(np.full(320, i, np.int16))
    assert len(kaldi.audio) == 5 * 320 * 2
    assert stream.finish().intent.name == "pause"
    rec.open_stream().cancel()
    assert kaldi.audio == b""
    assert rec.recognise(np.zeros(800, np.int16)).intent.name == "pause"
    assert len(kaldi.audio) == 1600 and kaldi.resets == 4  # every stream starts afresh; cancel too


def test_the_scripted_fake_parses_what_it_is_told_to_hear() -> None:
    rec = ScriptedRecogniser(["next level", "hello"])
    assert rec.recognise(np.zeros(160, np.int16)).intent.name == "next_level"
    assert rec.recognise(np.zeros(160, np.int16)).intent is None
    assert rec.heard == [160, 160]


def test_speech_the_command_leaves_unexplained_lowers_the_acceptance_score() -> None:
    energy = np.full(100, 70.0)
    energy[:10] = 20.0
    energy[90:] = 20.0
    tight = sphinx_features([("stop", 10, 89, -80.0)], [("S", 10, 49, -1.0), ("AA", 50, 89, -1.0)], energy, 100)
    loose = sphinx_features(
        [("<sil>", 0, 59, -300.0), ("stop", 60, 89, -80.0)],
        [("AY", 10, 29, -1.0), ("L", 30, 59, -1.0), ("S", 60, 89, -1.0)], energy, 100,
    )
    assert tight["speech_outside_words"] == 0.0 and loose["speech_outside_words"] > 0.5
    assert sphinx_score(loose) < sphinx_score(tight)


def test_cue_text_that_is_itself_a_command_is_reported() -> None:
    conflicts = text_conflicts(["push your hips back", "Pause.", "stop at the wall"])
    assert [(c.phrase, c.intent) for c in conflicts] == [("Pause.", "pause")]


def test_the_noise_floor_sits_the_asked_decibels_under_the_loud_frames_and_is_repeatable() -> None:
    t = np.arange(16000) / 16000
    tone = (10000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    x = np.concatenate([np.zeros(8000, np.int16), tone, np.zeros(8000, np.int16)])
    y = add_noise_floor(x, 30.0, 3.0)
    assert y.dtype == np.int16 and np.array_equal(y, add_noise_floor(x, 30.0, 3.0))
    floor_rms = float(np.sqrt(np.mean(y[:8000].astype(float) ** 2)))
    loud_rms = 10000 / np.sqrt(2)
    assert 20 * np.log10(loud_rms / floor_rms) == pytest.approx(30.0, abs=0.5)
    # digital silence still gets the minimum dither, never nothing
    assert float(np.std(add_noise_floor(np.zeros(4000, np.int16), 30.0, 3.0))) == pytest.approx(3.0, rel=0.1)


def test_phone_agreement_is_zero_for_the_words_phones_and_grows_with_other_phones() -> None:
    prons = {"stop": [["S", "T", "AA", "P"], ["S", "T", "AO", "P"]]}
    grammar = [("<sil>", 0, 9, -1.0), ("stop", 10, 49, -50.0)]
    exact = [("SIL", 0, 9, 0.0), ("S", 10, 19, 0.0), ("T", 20, 29, 0.0), ("AO", 30, 39, 0.0), ("P", 40, 49, 0.0)]
    other = [("SIL", 0, 9, 0.0), ("HH", 10, 24, 0.0), ("EH", 25, 39, 0.0), ("L", 40, 49, 0.0)]
    assert phone_agreement(grammar, exact, prons) == (0.0, 0.0)
    mean, worst = phone_agreement(grammar, other, prons)
    assert mean == pytest.approx(1.0) and worst == pytest.approx(1.0)


def test_the_decoder_knows_the_non_rhotic_forms_of_the_command_words() -> None:
    rec = SphinxRecogniser()
    assert ["HH", "AA", "D", "AH"] in rec.prons["harder"]
    assert ["S", "T", "AA", "T"] in rec.prons["start"]
    assert ["HH", "AA", "R", "D", "ER"] in rec.prons["harder"]  # the dictionary's own stays


def test_every_rep_count_the_coach_says_is_a_decoy() -> None:
    from hingecoach.coach.cues import DECOY_COUNTS, decoy_phrases

    phrases = decoy_phrases()
    assert all(f"That makes {n}." in phrases for n in DECOY_COUNTS)
    assert len(phrases) == len(set(phrases))


@pytest.mark.parametrize("live", [False, True], ids=["first utterance", "live-ready"])
def test_an_utterance_with_no_samples_is_no_speech_and_the_decoder_still_works(live: bool) -> None:
    """A header-only WAV reached PocketSphinx as zero samples: process_raw raised IndexError
    (and left the decoder mid-utterance, so every later decode failed too). A stream
    finished with nothing fed (the listener's path) went the same way."""
    rec = SphinxRecogniser()
    rec.live_ready = live
    empty = np.zeros(0, np.int16)
    r = rec.recognise(empty)
    assert (r.text, r.intent, r.details["reason"]) == ("", None, "no speech")
    stream = rec.open_stream()
    r = stream.finish()
    assert (r.text, r.intent) == ("", None)
    rec.recognise(np.zeros(1600, np.int16))  # the decoder is still usable afterwards
