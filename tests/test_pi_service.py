"""sd_notify over a real datagram socket, watchdog pacing, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hingecoach.service import Notifier, Service, sleep_until_stop, watchdog_interval


@pytest.fixture
def notify_socket(tmp_path: Path):
    """A bound AF_UNIX datagram socket standing in for systemd's /run/systemd/notify."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    yield path, sock
    sock.close()


def receive(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_reaches_the_notify_socket(notify_socket):
    path, sock = notify_socket
    svc = Service(Notifier(str(path)))
    svc.ready("waiting for a voice command")
    message = receive(sock).split("\n")
    assert message[0] == "READY=1"
    assert f"MAINPID={os.getpid()}" in message
    assert "STATUS=waiting for a voice command" in message


def test_abstract_socket_names_work(tmp_path):
    name = f"hingecoach-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        assert Notifier.from_env({"NOTIFY_SOCKET": "@" + name}).notify("STATUS=hi")
        assert sock.recv(100) == b"STATUS=hi"


def test_without_notify_socket_every_call_is_a_quiet_no_op():
    svc = Service.from_env({})
    svc.ready()
    svc.stopping()
    assert not svc.notifier.enabled
    assert svc.tick(0.0) is False
    assert svc.notifier.sent == []


def test_a_vanished_socket_never_raises(tmp_path):
    notifier = Notifier(str(tmp_path / "gone"))
    assert notifier.notify("READY=1") is False
    assert notifier.failed


def test_watchdog_interval_comes_from_watchdog_usec_for_this_process_only():
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=2) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "junk"}) is None


def test_tick_pings_the_watchdog_at_half_the_interval(notify_socket):
    path, sock = notify_socket
    svc = Service(Notifier(str(path)), watchdog_s=30.0)
    pings = [t for t in (0.0, 5.0, 14.9, 15.0, 20.0, 30.0, 44.0, 45.1) if svc.tick(t)]
    assert pings == [0.0, 15.0, 30.0, 45.1]
    assert [receive(sock) for _ in pings] == ["WATCHDOG=1"] * 4


def test_sleep_until_stop_keeps_feeding_the_watchdog_and_wakes_on_stop():
    clock = {"t": 100.0}
    svc = Service(Notifier(None), watchdog_s=1.0)
    sent: list[float] = []
    svc.notifier.notify = lambda *f: sent.append(clock["t"]) or True  # type: ignore[method-assign]

    def fake_sleep(dt: float) -> None:
        clock["t"] += dt
        if clock["t"] >= 103.0:
            svc.request_stop()

    sleep_until_stop(svc, 10.0, step=0.25, clock=lambda: clock["t"], sleep=fake_sleep)
    assert clock["t"] == pytest.approx(103.0)
    assert sent == pytest.approx([100.0, 100.5, 101.0, 101.5, 102.0, 102.5])


def test_handle_signals_turns_sigterm_into_a_stop_request_and_restores_handlers():
    before = signal.getsignal(signal.SIGTERM)
    svc = Service(Notifier(None))
    with svc.handle_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
            if svc.stop_requested:
                break
            time.sleep(0.01)
        assert svc.stop_requested and svc.stop_signal == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


CHILD = textwrap.dedent("""
    import sys, time
    from hingecoach.service import Service
    log = open(sys.argv[1], "w", buffering=1)
    svc = Service.from_env()
    with svc.handle_signals():
        svc.ready("waiting")
        log.write("ready\\n")
        frames = 0
        while not svc.stop_requested:
            frames += 1                 # one frame of work
            svc.tick(time.monotonic())
            time.sleep(0.01)
        svc.stopping()
        log.write("saved rep in hand\\n")
        log.write("goodbye\\n")
    sys.exit(0)
""")


def test_sigterm_ends_the_loop_cleanly_with_stopping_and_goodbye(notify_socket, tmp_path):
    path, sock = notify_socket
    log = tmp_path / "child.log"
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "200000"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(log)], env=env)
    try:
        assert receive(sock).startswith("READY=1")
        assert receive(sock) == "WATCHDOG=1"
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
    rest = []
    sock.settimeout(1)
    try:
        while True:
            rest.append(receive(sock))
    except TimeoutError:
        pass
    assert rest[-1].startswith("STOPPING=1")
    assert set(rest[:-1]) <= {"WATCHDOG=1"}
    assert log.read_text().splitlines() == ["ready", "saved rep in hand", "goodbye"]


HUNG = textwrap.dedent("""
    import time
    from hingecoach.resilience import ResilientCamera, live_items
    from hingecoach.service import Service

    class Camera:
        def __init__(self):
            self.n = 0
        def read(self):
            self.n += 1
            if self.n > 20:
                time.sleep(3600)          # the driver hangs: read never returns
            time.sleep(0.01)
            return self.n

    svc = Service.from_env()
    svc.ready()
    for frame in live_items(ResilientCamera(Camera), svc):
        pass
""")


def test_a_hung_camera_read_stops_the_watchdog_pings_so_systemd_restarts_us(notify_socket):
    path, sock = notify_socket
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "40000"}
    child = subprocess.Popen([sys.executable, "-c", HUNG], env=env)
    try:
        assert receive(sock).startswith("READY=1")
        pings = 0
        sock.settimeout(2.0)
        try:
            while True:
                assert receive(sock) == "WATCHDOG=1"
                pings += 1
        except TimeoutError:
            pass                           # silence: systemd would now kill and restart it
        assert pings >= 2
        assert child.poll() is None        # still alive, stuck in read()
    finally:
        child.kill()
        child.wait(timeout=10)
