"""A whole session in a real process: camera loss, microphone loss, a full disk, a wall-clock
jump and a passer-by all happen, none of them ends the process, and SIGTERM ends it cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from hingecoach.resilience import NOTICES

SCRIPT = Path(__file__).with_name("pi_session.py")


def test_a_session_survives_everything_and_stops_cleanly_on_sigterm(tmp_path):
    out = tmp_path / "session.json"
    child = subprocess.Popen([sys.executable, str(SCRIPT), str(out)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "waiting", child.stderr.read()
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
    result = json.loads(out.read_text())

    # Frame times are multiples of 1/30 s; retries land on the first frame after each delay.
    assert [(s["t"], s["kind"]) for s in result["said"]] == [
        (2.0, "microphone_lost"),
        (5.0, "camera_lost"),
        (5.533, "camera_retry_failed"),    # 0.5 s later, still unplugged
        (6.567, "camera_retry_failed"),    # 1 s later
        (8.6, "camera_back"),              # 2 s later; it was plugged back at 7 s
        (12.0, "recording_stopped"),       # the 4th rep to save (reps at 2, 4, 10 s fit)
        (20.0, "goodbye"),
    ]
    spoken = [(s["kind"], s["say"]) for s in result["said"] if s["say"]]
    kinds = [k for k, _ in spoken]
    assert kinds == ["microphone_lost", "camera_lost", "camera_back", "recording_stopped", "goodbye"]
    for kind, text in spoken[:-1]:
        assert text == NOTICES[kind]
    assert result["chosen"]["stranger"] == 0
    assert result["chosen"]["user"] > 0 and result["chosen"]["paused"] > 0
    assert result["paused_at_end"] is False
    assert result["voice"] is False
    assert result["recording"] is False and result["saved"] == 3
