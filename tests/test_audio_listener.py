"""The endpointer cuts speech into utterances; the listener never hears the coach itself."""

from __future__ import annotations

import numpy as np

from hingecoach.audio.listener import ENDPOINT, Endpointer, Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, coloured_noise
from hingecoach.audio.recognisers import ScriptedRecogniser
from hingecoach.audio.speaker import FakeSpeaker


def tone(seconds: float, amp: float = 3000.0, f: float = 300.0) -> np.ndarray:
    """A voiced-like burst standing in for speech (the endpointer only looks at energy)."""
    t = np.arange(int(seconds * ASR_RATE)) / ASR_RATE
    return (amp * np.sin(2 * np.pi * f * t) * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))).astype(np.int16)


def quiet(seconds: float, level: float = 30.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, level, int(seconds * ASR_RATE))).astype(np.int16)


def utterances(samples: np.ndarray, ep: Endpointer | None = None) -> list:
    ep = ep or Endpointer()
    out = []
    for t, block in FakeMic(samples).blocks():
        u = ep.push(t, block)
        if u is not None:
            out.append(u)
    return out


def test_two_commands_separated_by_silence_are_two_utterances_with_their_times() -> None:
    x = np.concatenate([quiet(0.5), tone(0.8), quiet(0.6, seed=1), tone(0.5), quiet(0.6, seed=2)])
    us = utterances(x)
    assert len(us) == 2
    assert abs(us[0].t_start - 0.5) < 0.05 and abs(us[0].t_end - 1.3) < 0.05
    assert abs(us[1].t_start - 1.9) < 0.05 and abs(us[1].t_end - 2.4) < 0.05


def test_the_end_is_detected_one_hangover_after_the_speech_ends() -> None:
    (u,) = utterances(np.concatenate([quiet(0.4), tone(0.7), quiet(0.8)]))
    assert 0.15 <= u.t_detected - u.t_end <= 0.25


def test_a_short_pause_inside_a_command_does_not_split_it() -> None:
    x = np.concatenate([quiet(0.4), tone(0.4), quiet(0.1, seed=3), tone(0.4), quiet(0.6, seed=4)])
    assert len(utterances(x)) == 1


def test_long_talk_is_dropped_unheard_as_no_command_can_be_that_long() -> None:
    ep = Endpointer()
    assert utterances(np.concatenate([quiet(0.4), tone(5.0), quiet(0.6)]), ep) == []
    assert ep.dropped_long == 1


def test_quieter_talk_right_after_a_command_is_not_the_user() -> None:
    # a command, then talk behind the user 20 dB down starting 0.3 s after it, going on
    x = np.concatenate([quiet(0.5), tone(0.8, amp=6000), quiet(0.3, seed=1), tone(0.5, amp=600),
                        quiet(0.3, seed=2), tone(0.5, amp=600), quiet(0.8, seed=3)])
    ep = Endpointer()
    us = utterances(x, ep)
    assert len(us) == 1 and abs(us[0].t_start - 0.5) < 0.05
    assert ep.dropped_follower == 2


def test_a_second_command_at_the_users_level_or_after_a_pause_is_heard() -> None:
    loud_again = np.concatenate([quiet(0.5), tone(0.8, amp=6000), quiet(0.3, seed=1), tone(0.5, amp=4000), quiet(0.8)])
    assert len(utterances(loud_again)) == 2
    # a quieter voice is heard too once it is not following straight on (0.6 s, follower_gap_s)
    later = np.concatenate([quiet(0.5), tone(0.8, amp=6000), quiet(0.9, seed=1), tone(0.5, amp=600), quiet(0.8)])
    assert len(utterances(later)) == 2


def test_a_click_is_not_an_utterance() -> None:
    assert utterances(np.concatenate([quiet(0.4), tone(0.06), quiet(0.6)])) == []


def test_steady_background_noise_is_learnt_as_the_floor() -> None:
    rng = np.random.default_rng(5)
    noise = np.round(rng.normal(0, 600, int(3.0 * ASR_RATE))).astype(np.int16)
    speech = np.concatenate([np.zeros(int(1.0 * ASR_RATE), np.int16), tone(0.8, amp=6000), np.zeros(int(1.2 * ASR_RATE), np.int16)])
    us = utterances(np.clip(noise.astype(int) + speech, -32768, 32767).astype(np.int16))
    assert len(us) == 1


def test_rumble_under_80_hz_opens_nothing_and_does_not_hide_a_command() -> None:
    # brown noise: its slow swings move a 20 ms block's level by tens of dB, all below 80 Hz
    rumble = coloured_noise(int(4.0 * ASR_RATE), "brown", np.random.default_rng(8)) * 2000
    speech = np.concatenate([np.zeros(int(0.3 * ASR_RATE)), tone(0.8), np.zeros(int(2.9 * ASR_RATE))])
    x = np.clip(np.round(rumble + speech), -32768, 32767).astype(np.int16)
    (u,) = utterances(x)  # only 0.3 s to learn the floor, and still one utterance
    assert abs(u.t_start - 0.3) < 0.05 and abs(u.t_end - 1.1) < 0.05
    raw = Endpointer(settings=dict(ENDPOINT, level_highpass_hz=0.0))
    # measured without the high-pass, the rumble holds the command open half a second longer
    (held,) = utterances(x, raw)
    assert held.t_end - u.t_end > 0.3


def test_the_high_pass_leaves_the_level_of_speech_alone() -> None:
    x = np.concatenate([tone(0.5, f=150.0), tone(0.5, f=300.0)])
    hp, raw = Endpointer(), Endpointer(settings=dict(ENDPOINT, level_highpass_hz=0.0))
    for t, block in FakeMic(x).blocks():
        hp.push(t, block)
        raw.push(t, block)
    assert abs(hp._peak_db - raw._peak_db) < 0.5


def test_the_listener_ignores_everything_heard_while_the_speaker_talks() -> None:
    fake = FakeSpeaker(seconds_per_line=1.0, tail_s=0.3)
    fake.say("push your hips back")  # speaking 0.0-1.0 s, gated until 1.3 s
    rec = ScriptedRecogniser(["pause"])
    listener = Listener(rec, speaker=fake)
    # the coach's own voice (0.2-0.9 s), then the user (1.8-2.4 s)
    x = np.concatenate([quiet(0.2), tone(0.7), quiet(0.9, seed=6), tone(0.6), quiet(0.7, seed=7)])
    heard = [h for t, b in FakeMic(x).blocks() if (h := listener.feed(t, b)) is not None]
    assert [h.result.intent.name for h in heard] == ["pause"]
    assert len(rec.heard) == 1 and abs(heard[0].utterance.t_start - 1.8) < 0.05
    assert listener.gated_blocks >= int(1.3 / 0.02) - 1


def test_an_utterance_cut_by_the_speaker_starting_is_discarded() -> None:
    now = [0.0]
    fake = FakeSpeaker(clock=lambda: now[0], seconds_per_line=1.0)
    rec = ScriptedRecogniser(["stop"])
    listener = Listener(rec, speaker=fake)
    x = np.concatenate([quiet(0.3), tone(0.8), quiet(1.6, seed=8)])
    for t, b in FakeMic(x).blocks():
        now[0] = t
        if abs(t - 0.6) < 1e-9:
            fake.say("three")  # the coach talks over the user at 0.6 s
        listener.feed(t, b)
    assert rec.heard == []


class SpyStream:
    """Records what the listener feeds, and whether it finished or cancelled."""

    def __init__(self, log: list) -> None:
        self.log = log
        self.fed: list[np.ndarray] = []
        self.compute_s = 0.0
        self.state = "open"

    def feed(self, block: np.ndarray) -> None:
        assert self.state == "open"
        self.fed.append(block)

    def finish(self):  # noqa: ANN201
        self.state = "finished"
        return ScriptedRecogniser(["pause"]).recognise(np.concatenate(self.fed))

    def cancel(self) -> None:
        self.state = "cancelled"


class StreamingFake(ScriptedRecogniser):
    def __init__(self) -> None:
        super().__init__()
        self.streams: list[SpyStream] = []

    def open_stream(self) -> SpyStream:
        self.streams.append(SpyStream(self.streams))
        return self.streams[-1]


def test_the_listener_feeds_each_utterance_to_the_recogniser_while_it_is_spoken() -> None:
    rec = StreamingFake()
    listener = Listener(rec)
    x = np.concatenate([quiet(0.5), tone(1.2), quiet(0.6, seed=9)])
    fed_at_end = None
    for t, b in FakeMic(x).blocks():
        if rec.streams and rec.streams[0].state == "open":
            fed_at_end = sum(len(f) for f in rec.streams[0].fed)
        heard = listener.feed(t, b)
        if heard is not None:
            break
    (stream,) = rec.streams
    assert stream.state == "finished" and heard.result.intent.name == "pause"
    # everything but the block that closed the utterance was fed before the end
    assert fed_at_end == len(heard.utterance.samples) - 320
    assert np.array_equal(np.concatenate(stream.fed), heard.utterance.samples)  # pre-roll included


def test_the_listener_abandons_the_stream_when_talk_runs_too_long_or_the_coach_speaks() -> None:
    rec = StreamingFake()
    listener = Listener(rec)
    for t, b in FakeMic(np.concatenate([quiet(0.4), tone(5.0), quiet(0.6)])).blocks():
        assert listener.feed(t, b) is None
    assert [s.state for s in rec.streams] == ["cancelled"]

    now = [0.0]
    fake = FakeSpeaker(clock=lambda: now[0], seconds_per_line=1.0)
    rec = StreamingFake()
    listener = Listener(rec, speaker=fake)
    for t, b in FakeMic(np.concatenate([quiet(0.3), tone(0.8), quiet(1.6, seed=8)])).blocks():
        now[0] = t
        if abs(t - 0.6) < 1e-9:
            fake.say("three")
        listener.feed(t, b)
    assert [s.state for s in rec.streams] == ["cancelled"]


def test_the_endpointer_shows_the_open_utterance_with_its_pre_roll() -> None:
    ep = Endpointer()
    x = np.concatenate([quiet(0.5), tone(0.5)])
    for t, b in FakeMic(x).blocks():
        ep.push(t, b)
    assert ep.in_utterance
    got = np.concatenate(ep.utterance_blocks())
    pre_blocks = int(ENDPOINT["preroll_s"] * ASR_RATE / 320)  # the pre-roll holds the start blocks too
    assert len(got) == int(0.5 * ASR_RATE) + (pre_blocks - int(ENDPOINT["start_blocks"])) * 320
    assert np.abs(got[:320]).max() < 200  # it opens on the quiet before the speech
    ep.reset()
    assert not ep.in_utterance and ep.utterance_blocks() == []


def test_quiet_talk_in_the_background_does_not_hold_an_utterance_open() -> None:
    # the user (loud) then a background voice 30 dB down that goes on and on
    rng = np.random.default_rng(11)
    user = tone(0.8, amp=8000)
    talk = (tone(4.0, amp=250, f=220) + rng.normal(0, 20, int(4.0 * ASR_RATE))).astype(np.int16)
    us = utterances(np.concatenate([quiet(0.4), user, talk]))
    assert len(us) == 1 and abs(us[0].t_end - 1.2) < 0.05
    # the same background alone is heard (it is all there is to hear)
    assert len(utterances(np.concatenate([quiet(0.4), talk[: int(1.5 * ASR_RATE)], quiet(0.6)]))) == 1


def test_has_speech_finds_commands_in_noise_and_nothing_in_silence_or_steady_noise() -> None:
    """`listen --wav` blanks a null result's words when the file holds no speech."""
    from hingecoach.audio.corpus import Condition, render
    from hingecoach.audio.listener import has_speech

    rng = np.random.default_rng(3)
    assert not has_speech(np.zeros(16000, np.int16))
    assert not has_speech(np.zeros(100, np.int16))  # shorter than a block
    for kind in ("white", "pink", "brown"):
        nz = coloured_noise(32000, kind, rng)
        assert not has_speech(np.round(nz / np.abs(nz).max() * 3000).astype(np.int16)), kind
    for cond in (Condition("en-us", 175), Condition("en-us+f3", 140, "brown", 10.0),
                 Condition("en-gb-scotland+m2", 175, "babble", 15.0)):
        x = render("stop", cond, seed=1)
        assert has_speech(x) and has_speech(x[int(0.35 * ASR_RATE):]), cond.label  # also mid-word
