"""`hingecoach run` as the systemd unit starts it: READY over sd_notify, watchdog pings from the
frame loop, and SIGTERM ends it cleanly (STOPPING, goodbye, every completed rep saved)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path


def reps_in(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2.0)
    try:
        return con.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
    finally:
        con.close()


def test_the_service_run_notifies_pings_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    trace = tmp_path / "session.jsonl"
    made = subprocess.run([sys.executable, "-m", "hingecoach", "simulate", "--seed", "11",
                           "--reps", "12", "--fault-rate", "0", "--out", str(trace)],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    sock_path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="2000000",
               HINGECOACH_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path),
               HINGECOACH_CAMERA_SOURCE=str(trace))  # the unit passes no --source
    proc = subprocess.Popen([sys.executable, "-m", "hingecoach", "run", "--pace", "1",
                             "--no-voice", "--speaker", "none", "--quiet",
                             "--commands", "0.5:start hinge drill"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    messages: list[str] = []

    def drain() -> None:  # read the socket all along, as systemd does
        sock.settimeout(0.5)
        while not done.is_set():
            try:
                messages.append(sock.recv(4096).decode())
            except (TimeoutError, OSError):
                continue

    done = threading.Event()
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("READY=1" in m for m in messages) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any("READY=1" in m for m in messages), "never signalled readiness"
        # let it coach a few reps in real time, then stop it as systemd would
        db = tmp_path / "data" / "hingecoach.db"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (not db.exists() or reps_in(db) < 2):
            time.sleep(0.5)
        assert db.exists() and reps_in(db) >= 2, "no reps were saved while coaching"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        time.sleep(0.6)  # let the reader pick up the last datagram
    finally:
        if proc.poll() is None:
            proc.kill()
        done.set()
        reader.join(5)
        sock.close()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert any("WATCHDOG=1" in m for m in messages)
    assert any("STOPPING=1" in m for m in messages)
    saved = reps_in(db)
    assert saved >= 2
    assert f"{saved} coached reps" in err or "coached reps" in err
