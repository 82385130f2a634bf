"""The camera fails or is unplugged mid-session: notice, pause, reopen with back-off, resume."""

from __future__ import annotations

import time

import pytest

from hingecoach.resilience import (
    NOTICES,
    Backoff,
    DeviceEvent,
    ResilientCamera,
    ResilientMicrophone,
)
from pi_fakes import FakeClock, FakeDevice


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(100.0)


def read_for(camera: ResilientCamera, clock: FakeClock, seconds: float, step: float = 0.125) -> list:
    """Call read() every ``step`` seconds of fake time, as a frame loop would (an exact
    binary fraction, so times add up exactly)."""
    out = []
    for _ in range(round(seconds / step)):
        out.append(camera.read())
        clock.advance(step)
    return out


def test_frames_pass_through_while_the_camera_works(clock):
    device = FakeDevice(clock=clock)
    camera = ResilientCamera(device.open, clock=clock)
    assert [camera.read() for _ in range(3)] == ["frame#1", "frame#2", "frame#3"]
    assert camera.events == [] and not camera.lost


def test_a_camera_that_raises_after_n_frames_is_reported_lost_once_then_back(clock):
    device = FakeDevice(clock=clock, fail_after=5)
    heard: list[DeviceEvent] = []
    camera = ResilientCamera(device.open, clock=clock, on_event=heard.append)
    frames = read_for(camera, clock, 1.0)
    assert frames[:5] == [f"frame#{i}" for i in range(1, 6)]
    assert frames[5:] == [None] * 3          # paused, no exception
    assert [(e.t, e.kind) for e in heard] == [(100.625, "camera_lost")]
    assert "Input/output error" in heard[0].detail
    assert heard[0].notice == NOTICES["camera_lost"]

    frames = read_for(camera, clock, 1.0)    # still unplugged: one silent retry at 101.125
    assert frames == [None] * 8
    assert [(e.t, e.kind, e.notice) for e in heard[1:]] == [(101.125, "camera_retry_failed", None)]

    device.plug()
    frames = read_for(camera, clock, 1.0)    # now 102.0; next retry at 101.125 + 1.0
    assert frames[:4] == [None, "frame#6", "frame#7", "frame#8"]
    assert (heard[-1].t, heard[-1].kind) == (102.125, "camera_back")
    assert heard[-1].notice == NOTICES["camera_back"]
    assert not camera.lost


def test_reopening_backs_off_exponentially_up_to_the_cap(clock):
    device = FakeDevice(clock=clock, plugged=False)
    camera = ResilientCamera(device.open, clock=clock, backoff=Backoff(0.5, 2.0, 4.0))
    read_for(camera, clock, 20.0)
    attempts = [t - 100.0 for t, what in device.timeline if what == "open failed"]
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert set(gaps[4:]) == {4.0}
    assert camera.events[0].kind == "camera_lost"
    assert {e.kind for e in camera.events[1:]} == {"camera_retry_failed"}
    assert [e.attempt for e in camera.events] == list(range(1, len(camera.events) + 1))


def test_the_back_off_resets_after_the_camera_comes_back(clock):
    device = FakeDevice(clock=clock, fail_after=1)
    camera = ResilientCamera(device.open, clock=clock, backoff=Backoff(1.0, 2.0, 8.0))
    read_for(camera, clock, 8.0)          # lost, retries at +1, +3, +7
    device.plug()
    device.fail_after = 1
    read_for(camera, clock, 20.0)
    lost = [e for e in camera.events if e.kind == "camera_lost"]
    back = [e for e in camera.events if e.kind == "camera_back"]
    assert len(lost) == 2 and len(back) == 1
    assert lost[1].next_retry_s == 1.0    # a fresh outage starts at the first delay again


def test_an_absent_camera_at_start_is_an_outage_not_a_crash(clock):
    device = FakeDevice(clock=clock, plugged=False)
    camera = ResilientCamera(device.open, clock=clock)
    assert camera.read() is None
    assert camera.lost and camera.events[0].kind == "camera_lost"
    assert camera.events[0].notice == NOTICES["camera_lost_at_start"]   # not "lost": never seen
    assert camera.retry_in() == pytest.approx(0.5)
    device.plug()
    clock.advance(0.5)
    assert camera.read() == "frame#1"
    assert camera.events[-1].kind == "camera_back"


def test_a_video_file_that_ends_is_not_a_failure(clock):
    device = FakeDevice(clock=clock, end_after=2)
    camera = ResilientCamera(device.open, clock=clock)
    assert list(camera) == ["frame#1", "frame#2"]
    assert camera.ended and camera.events == []


def test_reads_never_sleep_so_the_loop_stays_responsive(clock, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("read() slept"))
    device = FakeDevice(clock=clock, plugged=False)
    camera = ResilientCamera(device.open, clock=clock)
    for _ in range(50):
        assert camera.read() is None


def test_a_wall_clock_jump_changes_nothing(monkeypatch):
    """NTP corrects the clock by an hour mid-outage: the back-off runs on monotonic time."""
    clock = FakeClock(5.0)
    device = FakeDevice(clock=clock, fail_after=2)
    camera = ResilientCamera(device.open, clock=clock)
    wall = {"t": 1_700_000_000.0}
    monkeypatch.setattr(time, "time", lambda: wall["t"])
    read_for(camera, clock, 0.5)
    wall["t"] -= 3600.0                    # the wall clock jumps back an hour
    device.plug()
    read_for(camera, clock, 1.0)
    wall["t"] += 7200.0                    # and forward two
    read_for(camera, clock, 1.0)
    kinds = [e.kind for e in camera.events]
    assert kinds[0] == "camera_lost" and "camera_back" in kinds
    back = next(e for e in camera.events if e.kind == "camera_back")
    assert back.t == 5.25 + 0.5           # lost at the third read, back at the first retry


def test_the_default_clock_is_monotonic():
    camera = ResilientCamera(lambda: iter(()))
    assert camera._clock is time.monotonic
    assert ResilientMicrophone(lambda: iter(()))._clock is time.monotonic


def test_iterators_work_as_sources_too(clock):
    camera = ResilientCamera(lambda: iter(["a", "b"]), clock=clock)
    assert [camera.read(), camera.read(), camera.read()] == ["a", "b", None]
    assert camera.ended


def test_spoken_notices_contain_no_command_words():
    """Our own voice must never sound like a command to the recogniser."""
    commands = ["stop", "pause", "hold on", "resume", "continue", "next level", "harder",
                "easier", "previous level", "how many", "repeat", "say that again", "help",
                "what can i say", "louder", "quieter", "start", "begin", "end session"]
    for text in NOTICES.values():
        lowered = text.lower()
        assert not [c for c in commands if c in lowered], text


class IterableCamera:
    """Shaped like hingecoach.pose.sources: iterable (not an iterator), raising DeviceError
    from inside the iteration when the cable comes out, closing itself in ``finally``."""

    def __init__(self, frames_before_failure: int, log: list[str]) -> None:
        self.n = frames_before_failure
        self.log = log
        log.append("open")

    def __iter__(self):
        from hingecoach.errors import DeviceError

        try:
            for i in range(self.n):
                yield f"pose{i}"
            raise DeviceError("the camera stopped delivering frames: check the cable")
        finally:
            self.close()

    def close(self) -> None:
        self.log.append("close")


def test_iterable_pose_sources_are_iterated_once_per_opening(clock):
    log: list[str] = []
    camera = ResilientCamera(lambda: IterableCamera(2, log), clock=clock)
    got = read_for(camera, clock, 1.0)
    # fails at the third read (100.25), reopened 0.5 s later (100.75)
    assert got == ["pose0", "pose1", None, None, None, None, "pose0", "pose1"]
    assert log[:2] == ["open", "close"] and log.count("open") == 2
    assert "check the cable" in camera.events[0].detail


def test_live_items_waits_out_an_outage_feeding_the_watchdog_and_stops_on_request(clock):
    from hingecoach.resilience import live_items
    from hingecoach.service import Notifier, Service

    device = FakeDevice(clock=clock, fail_after=3)
    camera = ResilientCamera(device.open, clock=clock)
    svc = Service(Notifier(None), watchdog_s=1.0)
    pings: list[float] = []
    svc.notifier.notify = lambda *f: pings.append(clock()) or True  # type: ignore[method-assign]
    waits: list[float] = []

    def fake_sleep(dt: float) -> None:
        waits.append(dt)
        clock.advance(dt)
        if clock() >= 101.0 and not device.plugged:
            device.plug()

    items = []
    for item in live_items(camera, svc, clock=clock, sleep=fake_sleep, idle_step=0.25):
        items.append(item)
        clock.advance(0.125)
        if len(items) == 6:
            svc.request_stop()
    assert items == [f"frame#{i}" for i in range(1, 7)]
    assert [e.kind for e in camera.events][0] == "camera_lost"
    assert camera.events[-1].kind == "camera_back"
    assert waits and max(waits) <= 0.25
    assert len(pings) >= 3                 # the watchdog was fed during the outage


def test_live_items_ends_with_the_stream():
    from hingecoach.resilience import live_items

    camera = ResilientCamera(lambda: iter(["a", "b"]), clock=FakeClock())
    assert list(live_items(camera)) == ["a", "b"]
