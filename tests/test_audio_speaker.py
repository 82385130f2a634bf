"""The Speaker never blocks, obeys priorities, gates the mic, and survives missing devices."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hingecoach.audio import speaker as speaker_mod
from hingecoach.audio.pcm import Audio, read_wav
from hingecoach.audio.sinks import MemorySink, NullSink, WavDirSink
from hingecoach.audio.speaker import (
    FakeSpeaker,
    Line,
    PlaybackSpeaker,
    Priority,
    enqueue,
    make_speaker,
    should_interrupt,
)
from hingecoach.audio.tts import PhraseCache, SilentTts
from hingecoach.errors import DeviceError


class GatedTts:
    """A TTS that cannot finish until the test says so (proves say() does not wait)."""

    name = "gated"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[str] = []

    def render(self, text: str) -> Audio:
        self.calls.append(text)
        self.release.wait(10)
        return Audio(np.full(1600, 1000, dtype=np.int16), 16000)


class SlowSink(MemorySink):
    """Plays ``slow_text`` in 5 ms steps for 3 s unless stopped; everything else at once."""

    slow_text = "seven"

    def play(self, audio, text, stop, on_first_sample=None):  # noqa: ANN001
        super().play(audio, text, stop, on_first_sample)
        end = time.monotonic() + (3.0 if text == self.slow_text else 0.0)
        while time.monotonic() < end and not stop.is_set():
            time.sleep(0.005)
        return audio.duration_s


def line(text: str, p: Priority, seq: int, t: float = 0.0) -> Line:
    return Line(text, p, "k", t, seq)


def test_only_a_safety_line_interrupts_and_only_something_less_urgent() -> None:
    assert should_interrupt(Priority.COUNT, Priority.SAFETY)
    assert should_interrupt(Priority.CUE, Priority.SAFETY)
    assert not should_interrupt(Priority.SAFETY, Priority.SAFETY)
    assert not should_interrupt(Priority.COUNT, Priority.CUE)


def test_the_queue_keeps_only_the_latest_count_and_orders_by_urgency() -> None:
    q, dropped = enqueue([], line("three", Priority.COUNT, 1))
    q, _ = enqueue(q, line("hips back", Priority.CUE, 2))
    q, dropped = enqueue(q, line("four", Priority.COUNT, 3))
    assert [x.text for x in q] == ["hips back", "four"]
    assert [x.text for x in dropped] == ["three"]


def test_the_fake_records_a_timeline_where_safety_cuts_off_a_count() -> None:
    fake = FakeSpeaker(seconds_per_line=1.0)
    fake.say("four", Priority.COUNT, "count")
    fake.advance(0.3)
    fake.say("keep your back flat", Priority.SAFETY, "safety")
    fake.advance(2.0)
    assert [(s.t, s.text, s.event) for s in fake.timeline] == [
        (0.0, "four", "start"),
        (0.3, "four", "interrupted"),
        (0.3, "keep your back flat", "start"),
    ]
    assert fake.spoken == [(0.0, "four"), (0.3, "keep your back flat")]


def test_the_fake_is_speaking_until_the_line_ends_plus_the_tail() -> None:
    fake = FakeSpeaker(seconds_per_line=1.0, tail_s=0.3)
    fake.say("hips back")
    assert fake.is_speaking(0.5)
    assert fake.is_speaking(1.2)
    assert not fake.is_speaking(1.31)


def test_the_fake_follows_an_external_clock_such_as_frame_time() -> None:
    now = [10.0]
    fake = FakeSpeaker(clock=lambda: now[0], seconds_per_line=0.5)
    fake.say("one", Priority.COUNT)
    fake.say("nice depth", Priority.CUE)
    now[0] = 12.0
    assert fake.spoken == [(10.0, "one"), (10.5, "nice depth")]


def test_louder_and_quieter_step_the_volume_within_bounds() -> None:
    fake = FakeSpeaker()
    fake.volume = 0.9
    assert fake.louder() == 1.0
    for _ in range(20):
        fake.quieter()
    assert fake.volume == pytest.approx(0.05)


def test_say_returns_at_once_even_while_the_tts_is_still_rendering() -> None:
    tts = GatedTts()
    sink = MemorySink()
    spk = PlaybackSpeaker(sink, tts=tts)
    try:
        spk.say("push your hips back")
        spk.say("three", Priority.COUNT)  # would deadlock here if say() waited for audio
        assert sink.played == []
        tts.release.set()
        assert spk.wait_idle(10)
        assert [t for t, _ in sink.played] == ["push your hips back", "three"]
    finally:
        tts.release.set()
        spk.close()


def test_a_safety_line_interrupts_a_count_that_is_playing() -> None:
    sink = SlowSink()
    spk = PlaybackSpeaker(sink, tts=SilentTts())
    try:
        spk.say("seven", Priority.COUNT, "count")
        deadline = time.monotonic() + 5
        while not sink.played and time.monotonic() < deadline:
            time.sleep(0.005)
        spk.say("keep your back flat", Priority.SAFETY, "safety")
        assert spk.wait_idle(15)
        events = [(s.text, s.event) for s in spk.timeline]
        assert ("seven", "interrupted") in events
        assert events.index(("seven", "interrupted")) < events.index(("keep your back flat", "start"))
    finally:
        spk.close()


def test_the_speaker_gates_the_mic_while_playing_and_for_a_tail_after() -> None:
    now = [100.0]
    spk = PlaybackSpeaker(NullSink(), clock=lambda: now[0], tail_s=0.4)
    try:
        spk.say("hello")
        assert spk.is_speaking()
        assert spk.wait_idle(5)
        assert spk.is_speaking(100.3)
        assert not spk.is_speaking(100.5)
    finally:
        spk.close()


def test_warmed_phrases_are_served_from_the_cache() -> None:
    tts = SilentTts()
    sink = MemorySink()
    spk = PlaybackSpeaker(sink, tts=tts, warm=["hips back", "soft knees"])
    try:
        spk.wait_until_warm()
        spk.say("hips back")
        assert spk.wait_idle(5)
        assert tts.rendered == ["hips back", "soft knees"]
        assert spk.cache.hits == 1 and spk.cache.misses == 0
    finally:
        spk.close()


def test_closing_during_start_up_warming_stops_it_and_the_worker_closes_the_engine() -> None:
    """A session that ends while hundreds of cues are still being rendered (a slow Pi) does
    not wait for them, and the engine is closed once, by the thread that renders with it,
    never under a render (pyttsx3 must stay on one thread)."""

    class SlowTts:
        name = "slow"

        def __init__(self) -> None:
            self.rendered: list[str] = []
            self.rendering = threading.Event()
            self.closed_by: list[tuple[str, bool]] = []  # (thread, a render in progress)

        def render(self, text: str) -> Audio:
            self.rendering.set()
            time.sleep(0.1)
            self.rendered.append(text)
            self.rendering.clear()
            return Audio(np.full(160, 1000, dtype=np.int16), 16000)

        def close(self) -> None:
            self.closed_by.append((threading.current_thread().name, self.rendering.is_set()))

    tts = SlowTts()
    spk = PlaybackSpeaker(MemorySink(), tts=tts, warm=[f"cue number {i}" for i in range(200)])  # 20 s
    while not tts.rendered:
        time.sleep(0.01)
    spk.close()
    spk._thread.join(10)
    assert not spk._thread.is_alive()
    assert len(tts.rendered) < 200
    assert tts.closed_by == [("hingecoach-speaker", False)]


def test_volume_scales_the_samples_that_reach_the_sink() -> None:
    class Loud:
        name = "loud"

        def render(self, text: str) -> Audio:
            return Audio(np.full(800, 10000, dtype=np.int16), 16000)

    sink = MemorySink()
    spk = PlaybackSpeaker(sink, tts=Loud())
    try:
        spk.volume = 0.5
        spk.say("x")
        assert spk.wait_idle(5)
        assert int(sink.played[0][1].samples.max()) == 5000
    finally:
        spk.close()


def test_the_wav_sink_writes_numbered_files_and_a_transcript(tmp_path) -> None:  # noqa: ANN001
    spk = make_speaker(f"wav:{tmp_path}", tts=SilentTts())
    try:
        spk.say("hips back")
        spk.say("soft knees")
        assert spk.wait_idle(5)
    finally:
        spk.close()
    names = sorted(p.name for p in tmp_path.glob("*.wav"))
    assert names == ["0001-hips-back.wav", "0002-soft-knees.wav"]
    assert read_wav(tmp_path / names[0]).duration_s > 0.3
    rows = (tmp_path / "transcript.tsv").read_text().splitlines()
    assert [r.split("\t")[3] for r in rows] == ["hips back", "soft knees"]


def test_with_no_sound_device_the_speaker_says_so_once_and_falls_back_to_wav(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    def no_device(*a, **k):  # noqa: ANN002, ANN003
        raise DeviceError("no sound output device (test)")

    monkeypatch.setattr(speaker_mod, "DeviceSink", no_device)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    spks = [make_speaker("device", fallback_dir=tmp_path, tts=SilentTts()) for _ in range(2)]
    try:
        for s in spks:
            assert isinstance(s.sink, WavDirSink)
            s.say("hello")
            assert s.wait_idle(5)
    finally:
        for s in spks:
            s.close()
    err = capsys.readouterr().err
    assert err.count("no sound output device") == 1
    assert str(tmp_path) in err


def test_a_failing_tts_never_kills_the_speaker() -> None:
    class Broken:
        name = "broken"

        def render(self, text: str) -> Audio:
            raise RuntimeError("espeak crashed")

    spk = PlaybackSpeaker(MemorySink(), tts=Broken())
    try:
        spk.say("one")
        spk.say("two")
        assert spk.wait_idle(5)
        assert len(spk.errors) == 2
    finally:
        spk.close()


def test_the_phrase_cache_renders_each_phrase_once() -> None:
    tts = SilentTts()
    cache = PhraseCache(tts)
    cache.get("hips  back")
    cache.get("hips back")
    assert tts.rendered == ["hips back"] and cache.hits == 1


def test_an_unknown_speaker_spec_is_a_clear_error() -> None:
    with pytest.raises(DeviceError, match="none, wav:DIR, device"):
        make_speaker("bluetooth")


def test_with_no_sound_device_and_an_unwritable_wav_folder_speech_is_off_and_nothing_raises(
        tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """It used to raise 'cannot create WAV folder', and `run` would not start (a restart loop
    under systemd) when the working folder could not be written."""
    def no_device(*a, **k):  # noqa: ANN002, ANN003
        raise DeviceError("no sound output device (test)")

    monkeypatch.setattr(speaker_mod, "DeviceSink", no_device)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    (tmp_path / "a-file").write_text("x")
    s = make_speaker("device", fallback_dir=tmp_path / "a-file" / "speech", tts=SilentTts())
    try:
        assert isinstance(s.sink, NullSink)
        s.say("hello")
        assert s.wait_idle(5)
    finally:
        s.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no sound output device" in err[0] and "speech is off (transcript only)" in err[0]
    assert "cannot create WAV folder" in err[0]
