"""Privacy and time: no network listener anywhere, frames off disk by default, monotonic time."""

from __future__ import annotations

import re
from pathlib import Path

from hingecoach.config import SCHEMA

SRC = Path(__file__).resolve().parents[1] / "src" / "hingecoach"
# A socket's listen() takes nothing or a backlog number (listener.listen(mic) is the voice
# package's microphone loop, not a socket).
LISTENERS = re.compile(r"socketserver|http\.server|\.listen\(\s*\d*\s*\)|AF_INET|SOCK_STREAM"
                       r"|asyncio\.start_server")


def test_no_module_can_open_a_network_listener():
    offenders = [f"{p.relative_to(SRC)}:{n}: {line.strip()}"
                 for p in sorted(SRC.rglob("*.py"))
                 for n, line in enumerate(p.read_text().splitlines(), start=1)
                 if LISTENERS.search(line) and not line.lstrip().startswith("#")]
    assert offenders == []


def test_frames_are_never_written_to_disk_unless_asked():
    assert SCHEMA["privacy"]["save_frames"].default is False


def test_the_pi_modules_use_monotonic_time_only():
    """A Pi has no RTC battery: NTP moves the wall clock at boot. Durations and back-off
    must come from time.monotonic (or frame timestamps), never time.time/datetime.now."""
    wall = re.compile(r"time\.time\(|datetime\.now\(|datetime\.utcnow\(|time\.localtime\(")
    for name in ("resilience.py", "service.py", "follow.py", "doctor.py", "config.py"):
        text = (SRC / name).read_text()
        assert not wall.search(text), name
