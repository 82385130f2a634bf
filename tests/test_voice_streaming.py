"""Decoding while the user talks: the listener's path through PocketSphinx (and, for the
live-path figures, the app's recogniser: PocketSphinx checked by the speech embedding)."""

from __future__ import annotations

import numpy as np
import pytest

from hingecoach.audio.corpus import CONDITIONS, SENTENCES, Condition, command_outcome, render
from hingecoach.audio.embedding import load_classifier
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.listener import Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, pad
from hingecoach.audio.recognisers import STREAM_LEVEL_WINDOW_S, CheckedRecogniser, SphinxRecogniser
from hingecoach.coach.cues import decoy_phrases

pytestmark = pytest.mark.slow

US = Condition("en-us", 165)

# Regression floor for the app's live path (Listener: endpointer + streamed decoding)
# on the `test` split's US voice = what it measured (2026-11-21: 106/108, both misses
# "harder" heard as "quieter" in noise), NOT the product target
MIN_LIVE_US_ACCURACY = 0.98


@pytest.fixture(scope="module")
def recogniser() -> SphinxRecogniser:
    return SphinxRecogniser(decoys=decoy_phrases())


def blocks(x: np.ndarray) -> list[np.ndarray]:
    """``x`` in the microphone's 20 ms blocks."""
    return [b for _, b in FakeMic(x).blocks()]


def test_the_first_utterance_is_decoded_whole_as_listen_wav_does() -> None:
    rec = SphinxRecogniser(decoys=decoy_phrases())
    x = render("start the wall drill", US)
    stream = rec.open_stream()
    for b in blocks(x):
        stream.feed(b)
    assert stream.decoded_s == 0.0  # no running cepstral mean yet: nothing decoded early
    first = stream.finish()
    assert "decode" not in first.details
    assert first.to_json() == rec.recognise(x).to_json()
    assert rec.live_ready


def test_a_whole_clip_decodes_the_same_whatever_was_heard_before(recogniser) -> None:  # noqa: ANN001
    x = render("start the wall drill", US)
    before = recogniser.recognise(x).details
    recogniser.recognise(render("how many", Condition("en-gb", 140)))
    stream = recogniser.open_stream()
    for b in blocks(render("next level", US)):
        stream.feed(b)
    stream.finish()
    assert recogniser.recognise(x).details == before


def test_after_the_first_utterance_the_rest_is_decoded_while_it_is_spoken(recogniser) -> None:  # noqa: ANN001
    recogniser.recognise(render("how many", US))
    x = render("start the hinge drill", US)
    stream = recogniser.open_stream()
    for b in blocks(x):
        stream.feed(b)
    # all of it decoded before the end is known; finish() only closes the search
    assert stream.decoded_s == pytest.approx(len(x) / ASR_RATE)
    r = stream.finish()
    assert r.details["decode"] == "live"
    assert r.intent is not None and (r.intent.name, r.intent.slots) == ("start_drill", {"drill": "hinge"})


def test_a_stream_waits_for_the_level_window_before_decoding(recogniser) -> None:  # noqa: ANN001
    recogniser.recognise(render("pause", US))
    x = render("next level", US)
    stream = recogniser.open_stream()
    window = int(STREAM_LEVEL_WINDOW_S * ASR_RATE)
    fed = 0
    for b in blocks(x):
        stream.feed(b)
        fed += len(b)
        if fed < window:
            assert stream.decoded_s == 0.0
        else:
            assert stream.decoded_s == pytest.approx(fed / ASR_RATE)
    assert stream.finish().intent.name == "next_level"


def test_a_cancelled_stream_leaves_the_recogniser_working(recogniser) -> None:  # noqa: ANN001
    recogniser.recognise(render("resume", US))
    talk = render("I was going to tell you about the weekend and the long drive", US)
    stream = recogniser.open_stream()
    for b in blocks(talk)[:80]:
        stream.feed(b)
    stream.cancel()
    stream.cancel()  # twice is harmless
    with pytest.raises(RuntimeError):
        stream.feed(blocks(talk)[80])
    again = recogniser.open_stream()
    for b in blocks(render("louder", US)):
        again.feed(b)
    assert again.finish().intent.name == "louder"


def test_a_short_utterance_is_decoded_at_the_end(recogniser) -> None:  # noqa: ANN001
    recogniser.recognise(render("stop", US))
    x = render("stop", US)[: int(0.4 * ASR_RATE)]
    stream = recogniser.open_stream()
    for b in blocks(x):
        stream.feed(b)
    assert stream.decoded_s == 0.0
    r = stream.finish()
    assert r.details["decode"] == "live"
    assert stream.decoded_s == pytest.approx(len(x) / ASR_RATE)


def test_the_listener_hears_a_session_of_commands_as_they_are_spoken(recogniser) -> None:  # noqa: ANN001
    cond = CONDITIONS["test"][0]
    phrases = command_phrases()[:6]
    audio = np.concatenate([pad(render(p, cond, seed=7 + i), ASR_RATE, 0.0, 0.5) for i, p in enumerate(phrases)])
    recogniser.recognise(render("help", cond))
    listener = Listener(recogniser)
    heard = list(listener.listen(FakeMic(audio)))
    assert len(heard) == len(phrases)
    got = [(h.result.intent.name, h.result.intent.slots) if h.result.intent else None for h in heard]
    want = [(parse_command(p).name, parse_command(p).slots) for p in phrases]
    assert sum(g == w for g, w in zip(got, want, strict=True)) >= len(phrases) - 1
    assert all(h.result.details.get("decode") == "live" for h in heard)
    # the decoding happened while each command was spoken
    assert all(h.stream_s > 0 for h in heard)


def test_a_stream_left_open_is_ended_by_the_next_one_or_by_a_whole_clip(recogniser) -> None:  # noqa: ANN001
    recogniser.recognise(render("pause", US))
    left = recogniser.open_stream()
    for b in blocks(render("quieter", US)):
        left.feed(b)  # ... and its listener went away
    nxt = recogniser.open_stream()
    for b in blocks(render("harder", US)):
        nxt.feed(b)
    assert nxt.finish().intent.name == "next_level"
    with pytest.raises(RuntimeError):
        left.finish()
    again = recogniser.open_stream()
    for b in blocks(render("quieter", US)):
        again.feed(b)
    assert recogniser.recognise(render("louder", US)).intent.name == "louder"


def live_intents(rec: CheckedRecogniser, x: np.ndarray) -> list:
    return [h.result.intent for h in Listener(rec).listen(FakeMic(pad(x, ASR_RATE, 0.0, 0.4)))]


def fresh_live_recogniser() -> CheckedRecogniser:
    """A new recogniser as the app builds it (the running cepstral mean carries over between
    utterances, so each of these tests starts from the same state whatever ran before)."""
    return CheckedRecogniser(SphinxRecogniser(decoys=decoy_phrases()), load_classifier())


def test_the_live_path_understands_the_us_voice_of_the_test_split() -> None:
    recogniser = fresh_live_recogniser()
    right, misses = 0, []
    for ci, cond in enumerate(CONDITIONS["test"]):
        if not cond.voice.startswith("en-us"):
            continue
        for k, phrase in enumerate(command_phrases()):
            got = [i for i in live_intents(recogniser, render(phrase, cond, seed=50_000 + ci * 100 + k)) if i]
            ok, _ = command_outcome(phrase, got)
            right += ok
            if not ok:
                misses.append((phrase, cond.label, [i.text for i in got]))
    n = right + len(misses)
    assert n == 108
    assert right / n >= MIN_LIVE_US_ACCURACY, misses


def test_the_live_path_takes_at_most_one_in_18_ordinary_sentences_as_a_command() -> None:
    recogniser = fresh_live_recogniser()
    accepted, n = [], 0
    for ci, cond in enumerate(CONDITIONS["test"][::2]):
        for k, s in enumerate(SENTENCES["test"]):
            got = [i for i in live_intents(recogniser, render(s, cond, seed=60_000 + ci * 100 + k)) if i]
            n += 1
            if got:
                accepted.append((s, cond.label, [i.text for i in got]))
    assert n >= 15
    assert len(accepted) <= n / 18, accepted
