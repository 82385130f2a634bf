"""The microphone disappears: coaching goes on without voice, and says so; it comes back."""

from __future__ import annotations

from hingecoach.resilience import NOTICES, Backoff, ResilientMicrophone
from pi_fakes import FakeClock, FakeDevice


def test_a_vanishing_microphone_is_said_once_and_audio_stops_without_an_exception():
    clock = FakeClock(0.0)
    mic = FakeDevice(name="chunk", clock=clock, fail_after=3)
    heard = []
    wrapped = ResilientMicrophone(mic.open, clock=clock, on_event=heard.append)
    chunks = []
    for _ in range(40):                      # 10 s of 0.25 s audio blocks
        chunks.append(wrapped.read())
        clock.advance(0.25)
    assert chunks[:3] == ["chunk#1", "chunk#2", "chunk#3"]
    assert set(chunks[3:]) == {None}
    spoken = [e.notice for e in heard if e.notice]
    assert spoken == [NOTICES["microphone_lost"]]
    assert "voice commands are off" in spoken[0]


def test_the_microphone_retries_slowly_and_says_when_it_is_back():
    clock = FakeClock(0.0)
    mic = FakeDevice(name="chunk", clock=clock, plugged=False)
    wrapped = ResilientMicrophone(mic.open, clock=clock)
    assert wrapped.backoff == Backoff(1.0, 2.0, 30.0)
    for _ in range(8):                        # 8 s: attempts at 0, 1, 3, 7
        wrapped.read()
        clock.advance(1.0)
    assert [t for t, what in mic.timeline if what == "open failed"] == [0.0, 1.0, 3.0, 7.0]
    mic.plug()
    got = []
    for _ in range(16):                       # next attempt at 15
        got.append(wrapped.read())
        clock.advance(1.0)
    assert got.index("chunk#1") == 7          # t = 15
    assert [e.kind for e in wrapped.events][-1] == "microphone_back"
    assert wrapped.events[0].notice == NOTICES["microphone_lost_at_start"]
    assert wrapped.events[-1].notice == NOTICES["microphone_back_at_start"]
