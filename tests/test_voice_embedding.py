"""The second ear: the speech embedding intent classifier and how it checks the decoder.

Fast tests use a fake decoder and a fake classifier (the rule is pure); the slow ones run
the real ONNX models from models/ (fetched by script/setup, sha256-checked).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from hingecoach.audio.corpus import Condition, render
from hingecoach.audio.embedding import (
    FRAME_PAD_S,
    HEAD_FILE,
    HEAD_STEPS,
    NONE,
    SECOND_HEAD_FILE,
    IntentHead,
    Verdict,
    frame_utterance,
    intent_label,
    load_classifier,
    utterance_vector,
)
from hingecoach.audio.intents import INTENT_NAMES, Intent, parse_command
from hingecoach.audio.recognisers import CHECK_RULE, CheckedRecogniser, Recognition, make_recogniser
from hingecoach.errors import ModelError


@dataclass
class FakeDecoder:
    """Says whatever text it was given; a command when the text is one."""

    text: str = ""
    name: str = "fake"

    def recognise(self, samples: np.ndarray) -> Recognition:
        c = parse_command(self.text)
        return Recognition(self.text, Intent(c.name, c.slots, self.text, 0.8) if c else None,
                           0.8 if c else 0.0, self.name, {})


def _verdict(probs: dict[str, float], second: Verdict | None = None) -> Verdict:
    label = max(probs, key=probs.get)
    return Verdict(label, probs[label], dict(probs), second)


@dataclass
class FakeClassifier:
    probs: dict[str, float]
    second: dict[str, float] | None = None

    def classify(self, samples: np.ndarray) -> Verdict:
        return _verdict(self.probs, _verdict(self.second) if self.second else None)


def checked(text: str, probs: dict[str, float], rule: dict[str, float] | None = None,
            second: dict[str, float] | None = None) -> Recognition:
    rec = CheckedRecogniser(FakeDecoder(text), FakeClassifier(probs, second), rule)
    return rec.recognise(np.zeros(16000, np.int16))


def test_both_ears_agreeing_give_the_command_with_the_decoders_words() -> None:
    r = checked("start the hinge drill", {"start_drill/hinge": 0.95, NONE: 0.05})
    assert (r.intent.name, r.intent.slots, r.text) == ("start_drill", {"drill": "hinge"}, "start the hinge drill")
    assert r.details["decided_by"] == "both" and r.confidence == pytest.approx(0.95)


def test_a_confident_embedding_overrides_a_decoy_win() -> None:
    """PocketSphinx's commonest miss: a command heard as one of the coach's counts."""
    r = checked("four", {"stop": CHECK_RULE["lead"], NONE: 1 - CHECK_RULE["lead"]})
    assert r.intent.name == "stop" and r.text == "stop"
    assert r.details["decided_by"] == "embedding" and r.details["decoder_text"] == "four"


def test_an_unsure_embedding_leaves_the_decoders_command_standing() -> None:
    r = checked("pause", {"pause": 0.3, NONE: 0.45, "stop": 0.25})  # nobody above the lead
    assert r.intent.name == "pause" and r.details["decided_by"] == "decoder"


def test_with_a_veto_the_embedding_stops_a_decoders_command_it_finds_very_unlikely() -> None:
    """Off in CHECK_RULE (it cost more live commands than the sentences it stopped)."""
    probs = {NONE: 0.97, "resume": 0.001, "pause": 0.029}
    r = checked("resume", probs, {"lead": 0.9, "veto": 0.05})
    assert r.intent is None and r.details["reason"] == "vetoed by the embedding"
    assert checked("resume", probs, {"lead": 0.9, "veto": 0.0}).intent.name == "resume"


def test_the_second_head_is_heard_only_where_nothing_else_names_a_command() -> None:
    sure = {"pause": CHECK_RULE["second"], NONE: 1 - CHECK_RULE["second"]}
    # the decoder heard a count, the first head is unsure: the second head's command stands
    r = checked("four", {NONE: 0.6, "pause": 0.4}, second=sure)
    assert r.intent.name == "pause" and r.text == "pause" and r.details["decided_by"] == "second head"
    assert r.details["embedding"]["second"] == {"label": "pause", "p": CHECK_RULE["second"]}
    # under its threshold, or saying "none": no command
    unsure = {"pause": CHECK_RULE["second"] - 0.01, NONE: 1.01 - CHECK_RULE["second"]}
    assert checked("four", {NONE: 0.6, "pause": 0.4}, second=unsure).intent is None
    assert checked("four", {NONE: 0.6, "pause": 0.4}, second={NONE: 0.99, "pause": 0.01}).intent is None
    # it never overrules the first head or the decoder's command
    r = checked("four", {"stop": 0.9, NONE: 0.1}, second={"pause": 0.99, NONE: 0.01})
    assert r.intent.name == "stop" and r.details["decided_by"] == "embedding"
    r = checked("resume", {NONE: 0.6, "resume": 0.4}, second={"pause": 0.99, NONE: 0.01})
    assert r.intent.name == "resume" and r.details["decided_by"] == "decoder"
    # a rule without the key (as before 2026-11-23) never asks it
    assert checked("four", {NONE: 0.6, "pause": 0.4}, {"lead": 0.7, "veto": 0.0}, second=sure).intent is None


def test_the_second_head_ships_too_and_knows_the_same_intents() -> None:
    first, second = IntentHead.load(), IntentHead.load(SECOND_HEAD_FILE)
    assert SECOND_HEAD_FILE.parent == HEAD_FILE.parent
    assert second.classes == first.classes and second.w1.shape == first.w1.shape
    assert "bench/voice_tune.py head --framings mixed" in second.info
    v = np.random.default_rng(0).normal(size=first.mean.shape).astype(np.float32)
    assert not np.allclose(first.probabilities(v), second.probabilities(v))  # not a copy of the first


def test_nothing_from_either_ear_is_no_command() -> None:
    r = checked("what time is it", {NONE: 0.95, "stop": 0.05})
    assert r.intent is None and r.to_json()["intent"] is None


def test_the_head_has_a_class_for_every_intent_and_drill_and_none() -> None:
    head = IntentHead.load()
    want = {intent_label(n) for n in INTENT_NAMES if n != "start_drill"}
    want |= {intent_label("start_drill", {"drill": d}) for d in ("hinge", "wall")}
    assert set(head.classes) == want | {NONE}
    assert head.w1.shape[0] == head.mean.shape[0] == (HEAD_STEPS + 2) * 96
    assert "bench/voice_tune.py head" in head.info


def test_a_head_saves_and_loads_unchanged(tmp_path: Path) -> None:
    head = IntentHead.load()
    head.save(tmp_path / "h.npz")
    again = IntentHead.load(tmp_path / "h.npz")
    v = np.random.default_rng(0).normal(size=head.mean.shape).astype(np.float32)
    assert again.classes == head.classes
    np.testing.assert_allclose(again.probabilities(v), head.probabilities(v))
    assert head.probabilities(v).sum() == pytest.approx(1.0)


def test_a_damaged_head_file_is_a_one_line_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "h.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot read the intent head"):
        IntentHead.load(bad)


def test_the_utterance_vector_keeps_order_and_has_a_fixed_length() -> None:
    e = np.arange(20 * 96, dtype=np.float32).reshape(20, 96)
    v = utterance_vector(e)
    assert v.shape == ((HEAD_STEPS + 2) * 96,)
    np.testing.assert_allclose(v[:96], e[0])
    np.testing.assert_allclose(v[(HEAD_STEPS - 1) * 96 : HEAD_STEPS * 96], e[-1])
    assert not np.allclose(utterance_vector(e[::-1]), v)
    assert utterance_vector(e[:1]).shape == v.shape  # one step is enough


def test_without_the_models_the_decoder_works_alone_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("HINGECOACH_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match="hingecoach models fetch speech_melspectrogram speech_embedding"):
        load_classifier(tmp_path)
    with caplog.at_level(logging.WARNING):
        rec = make_recogniser("pocketsphinx", tmp_path)
    assert rec.name == "pocketsphinx"
    assert "works alone" in caplog.text and "models fetch" in caplog.text


def test_the_head_file_ships_inside_the_package() -> None:
    """In the source tree, and named by the package-data rule that puts it in a wheel."""
    import tomllib

    assert HEAD_FILE.is_file() and HEAD_FILE.parent.name == "data"
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "**/*.npz" in pyproject["tool"]["setuptools"]["package-data"]["hingecoach"]


@pytest.mark.slow
def test_the_real_models_classify_commands_and_ordinary_speech() -> None:
    clf = load_classifier()
    us = Condition("en-us", 165)
    assert clf.classify(render("start the wall drill", us)).label == "start_drill/wall"
    assert clf.classify(render("how many reps", us)).label == "count"
    assert clf.classify(render("I would rather have tea than coffee", us)).label == NONE
    assert clf.classify(np.zeros(800, np.int16)).label == NONE  # shorter than one window


@pytest.mark.slow
def test_the_app_builds_the_checked_recogniser_when_the_models_are_there() -> None:
    rec = make_recogniser("pocketsphinx")
    assert isinstance(rec, CheckedRecogniser) and rec.name == "pocketsphinx+embedding"
    r = rec.recognise(render("next level", Condition("en-gb", 170)))
    assert r.intent is not None and r.intent.name == "next_level"


def test_a_failing_classifier_leaves_the_decoders_result_standing(caplog: pytest.LogCaptureFixture) -> None:
    """The listener thread must not die because the second ear broke (e.g. onnxruntime)."""

    class Broken:
        def classify(self, samples: np.ndarray) -> Verdict:
            raise RuntimeError("onnxruntime exploded")

    with caplog.at_level(logging.WARNING):
        r = CheckedRecogniser(FakeDecoder("pause"), Broken()).recognise(np.zeros(1600, np.int16))
    assert r.intent.name == "pause" and r.details["decided_by"] == "decoder"
    assert "onnxruntime exploded" in caplog.text


def test_a_head_label_this_build_does_not_know_leaves_the_decoder_in_charge() -> None:
    r = checked("pause", {"jump": 0.97, NONE: 0.03})
    assert r.intent.name == "pause" and r.details["decided_by"] == "decoder"


def test_an_accepted_command_does_not_carry_the_decoders_rejection_reason() -> None:
    class Rejecting(FakeDecoder):
        def recognise(self, samples: np.ndarray) -> Recognition:
            return Recognition("four", None, 0.0, self.name, {"reason": "decoy"})

    r = CheckedRecogniser(Rejecting(), FakeClassifier({"stop": 0.95, NONE: 0.05})).recognise(np.zeros(160, np.int16))
    assert r.intent.name == "stop" and "reason" not in r.details and r.details["decoder_reason"] == "decoy"


def test_the_checked_stream_feeds_the_decoder_and_classifies_the_whole_utterance() -> None:
    seen: list[int] = []

    class Stream:
        def __init__(self) -> None:
            self.blocks: list[np.ndarray] = []
            self.cancelled = False

        def feed(self, b: np.ndarray) -> None:
            self.blocks.append(b)

        def finish(self) -> Recognition:
            return FakeDecoder("next level").recognise(np.concatenate(self.blocks))

        def cancel(self) -> None:
            self.cancelled = True

    class StreamingDecoder(FakeDecoder):
        def open_stream(self) -> Stream:
            self.last = Stream()
            return self.last

    class Counting(FakeClassifier):
        def classify(self, samples: np.ndarray) -> Verdict:
            seen.append(len(samples))
            return super().classify(samples)

    dec = StreamingDecoder("next level")
    rec = CheckedRecogniser(dec, Counting({"next_level": 0.6, NONE: 0.4}))
    stream = rec.open_stream()
    for _ in range(5):
        stream.feed(np.ones(320, np.int16))
    r = stream.finish()
    assert r.intent.name == "next_level" and seen == [1600] and len(dec.last.blocks) == 5
    other = rec.open_stream()
    other.feed(np.ones(320, np.int16))
    other.cancel()
    assert dec.last.cancelled and seen == [1600]  # a cancelled utterance is never classified


def test_framing_cuts_a_long_file_to_the_command_and_pads_it() -> None:
    """A WAV with seconds of silence around a short command frames like the command alone."""
    rng = np.random.default_rng(1)
    word = (rng.normal(0, 3000, 8000)).astype(np.int16)  # 0.5 s of "speech"
    quiet = np.zeros(16000 * 8, np.int16)
    long_file = frame_utterance(np.concatenate([quiet, word, quiet]))
    short = frame_utterance(np.concatenate([quiet[:4800], word, quiet[:4800]]))
    assert len(long_file) == len(short) < 16000 * 2
    pad = int(FRAME_PAD_S * 16000)
    assert not long_file[:pad].any() and not long_file[-pad:].any()
    assert len(frame_utterance(np.zeros(100, np.int16))) == 2 * pad + 100  # shorter than a frame


def test_a_corrupt_model_in_the_given_directory_names_the_fetch_for_that_directory(tmp_path: Path) -> None:
    from hingecoach.audio.embedding import EMBEDDING_MODEL, MEL_MODEL

    (tmp_path / f"{MEL_MODEL}.onnx").write_bytes(b"x")
    (tmp_path / f"{EMBEDDING_MODEL}.onnx").write_bytes(b"y")
    with pytest.raises(ModelError, match=f"corrupt.*models fetch --dir {tmp_path} {MEL_MODEL} {EMBEDDING_MODEL}"):
        load_classifier(tmp_path)


def test_framing_brings_a_quiet_and_a_loud_speaker_to_the_same_level() -> None:
    """A user far from the microphone and one close to it give the head the same input."""
    rng = np.random.default_rng(2)
    word = rng.normal(0, 3000, 8000)
    quiet_room = np.zeros(4800)
    loud = frame_utterance(np.concatenate([quiet_room, word, quiet_room]).astype(np.int16))
    quiet = frame_utterance(np.concatenate([quiet_room, word / 20, quiet_room]).astype(np.int16))  # 26 dB down
    assert len(loud) == len(quiet)
    assert np.sqrt(np.mean(quiet.astype(float) ** 2)) == pytest.approx(np.sqrt(np.mean(loud.astype(float) ** 2)), rel=0.02)
    assert not frame_utterance(np.zeros(16000, np.int16)).any()  # digital silence stays silent


def test_the_heads_training_sentences_are_disjoint_from_every_evaluation_split() -> None:
    from hingecoach.audio.corpus import CUE_LIKE, SENTENCES
    from hingecoach.coach.cues import decoy_phrases

    train = set(SENTENCES["train"])
    assert len(train) == len(SENTENCES["train"]) >= 150
    for split in ("test", "holdout", "fresh", "other"):
        assert not train & set(SENTENCES[split]), split
    assert not train & (set(CUE_LIKE) | set(decoy_phrases()))
    assert not [s for s in train if parse_command(s)]


def test_the_other_synthesizers_split_is_for_evaluation_only() -> None:
    from hingecoach.audio.corpus import CONDITIONS, SENTENCES, TALKERS

    other = CONDITIONS["other"]
    assert len(other) == 36 and all(":" in c.voice for c in other)  # flite: / festival: voices only
    for split in ("tune", "train", "test", "holdout", "fresh"):
        assert not {c.voice for c in CONDITIONS[split]} & {c.voice for c in other}, split
        if split != "other":
            assert not set(SENTENCES.get(split, [])) & set(SENTENCES["other"]), split
    assert {c.noise for c in other} - {"clean"} <= {"white", "pink", "brown", *TALKERS}
    assert not [s for s in SENTENCES["other"] if parse_command(s)]


def test_the_select_split_shares_no_voice_with_an_evaluation_split_and_is_never_trained_on() -> None:
    from hingecoach.audio.corpus import CONDITIONS

    select = CONDITIONS["select"]
    assert len(select) == 24 and len({c.voice for c in select}) == 12
    # only the test split's accents, so holdout, fresh and other keep accents select never chose on
    assert {c.voice.split("+")[0] for c in select} == {"en-gb-scotland", "en-029"}
    for split in ("tune", "train", "test", "holdout", "fresh", "other"):
        assert not {c.voice for c in CONDITIONS[split]} & {c.voice for c in select}, split
    assert {c.noise for c in select} - {"clean"} <= {"white", "pink", "brown", "chatter"}  # not holdout's babble
    bench = Path(__file__).resolve().parents[1] / "bench"
    sys.path.insert(0, str(bench))
    try:
        import voice_tune
    finally:
        sys.path.remove(str(bench))
    assert "select" not in voice_tune.HEAD_SPLITS
