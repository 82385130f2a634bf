"""The systemd unit, rendered as pi/install.sh installs it, passes `systemd-analyze verify`."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "pi" / "install.sh"


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    """The unit as installed, in a temp dir, its ExecStart pointing at a real executable
    (the hingecoach entry point of the running venv, linked into a fake venv)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    real = Path(sys.executable).parent / "hingecoach"
    assert real.exists(), "run the tests from the project venv (./script/setup)"
    (venv / "bin" / "hingecoach").symlink_to(real)
    done = subprocess.run(["bash", str(SCRIPT), "--print-unit", "--user", getpass.getuser()],
                          capture_output=True, text=True, timeout=30,
                          env={**os.environ, "HINGECOACH_VENV": str(venv)})
    assert done.returncode == 0, done.stderr
    unit_dir = tmp_path / "system"
    unit_dir.mkdir()
    unit = unit_dir / "hingecoach.service"
    unit.write_text(done.stdout)
    return unit


def directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_installed_unit_verifies(rendered):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: ./script/setup installs the systemd package"
    done = subprocess.run([analyze, "verify", str(rendered)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if str(rendered) in line]
    assert done.returncode == 0, done.stdout + done.stderr
    assert complaints == []


def test_every_placeholder_is_filled_in(rendered):
    text = rendered.read_text()
    assert "@" not in text.replace("@USER@", "")  # no @PLACEHOLDER@ left
    assert f"User={getpass.getuser()}" in text
    assert f"WorkingDirectory={REPO}" in text


def test_the_unit_notifies_restarts_and_stops_gently(rendered):
    d = directives(rendered)
    assert d["Type"] == ["notify"]
    assert d["WatchdogSec"] == ["30"]
    assert d["Restart"] == ["always"]
    assert d["KillSignal"] == ["SIGTERM"]
    assert int(d["TimeoutStopSec"][0]) >= 10
    assert d["ExecStart"][0].endswith("/bin/hingecoach run")
    assert d["WantedBy"] == ["multi-user.target"]
    assert d["StandardOutput"] == ["journal"]


def test_the_unit_can_open_no_network_socket(rendered):
    d = directives(rendered)
    assert d["RestrictAddressFamilies"] == ["AF_UNIX AF_NETLINK"]
    assert d["IPAddressDeny"] == ["any"]


def test_the_unit_can_reach_camera_and_audio(rendered):
    d = directives(rendered)
    assert set(d["SupplementaryGroups"][0].split()) >= {"video", "audio"}
    assert "PrivateDevices" not in d
