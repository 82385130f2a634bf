"""pi/install.sh: the dry run lists every step and changes nothing; the wrong machine stops it."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "pi" / "install.sh"

BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' \
           'VERSION_CODENAME=bookworm\nID=debian\n'
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n'
BULLSEYE = 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_CODENAME=bullseye\n'


@pytest.fixture
def pi(tmp_path: Path) -> dict[str, str]:
    """Environment overrides that make this machine look like a Pi 5 on Bookworm 64-bit,
    with the venv, unit directory and HOME pointed into a temp dir."""
    os_release = tmp_path / "os-release"
    os_release.write_text(BOOKWORM)
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    (tmp_path / "units").mkdir()
    return {
        **os.environ,
        "HINGECOACH_OS_RELEASE": str(os_release),
        "HINGECOACH_ARCH": "aarch64",
        "HINGECOACH_DPKG_ARCH": "arm64",
        "HINGECOACH_DT_MODEL": str(model),
        "HINGECOACH_UNIT_DIR": str(tmp_path / "units"),
        "HINGECOACH_VENV": str(tmp_path / "venv"),
        "HINGECOACH_HOME": str(tmp_path / "home"),
    }


def install(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), "--user", getpass.getuser(), *args],
                          capture_output=True, text=True, env=env, timeout=60)


def snapshot(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


def test_the_dry_run_prints_every_step_in_order(pi):
    done = install(pi, "--dry-run")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    steps = [line for line in out.splitlines() if line.startswith("[dry-run]")]
    order = [
        "apt-get install",          # apt (python3-picamera2 is never installed off a Pi)
        "-m venv --system-site-packages",
        "pip install --quiet --upgrade pip",
        "pip install --quiet -e",
        "config init",
        "models fetch",
        "hingecoach.service",       # the unit file written
        "systemctl daemon-reload",
        "systemctl enable hingecoach.service",
        "systemctl restart hingecoach.service",
        "hingecoach doctor",
    ]
    positions = []
    for needle in order:
        hits = [i for i, line in enumerate(steps) if needle in line]
        assert hits, f"dry run never mentions {needle!r}:\n{out}"
        positions.append(hits[0])
    assert positions == sorted(positions), out
    apt = next(line for line in steps if "apt-get install" in line)
    assert "python3-picamera2" in apt
    assert "nothing was changed" in out


def test_the_dry_run_changes_nothing(pi, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".config").mkdir()
    before = snapshot(tmp_path)
    repo_before = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                                 capture_output=True, text=True).stdout
    done = install({**pi, "HOME": str(home)}, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert snapshot(tmp_path) == before
    assert not Path(pi["HINGECOACH_VENV"]).exists()
    assert subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                          capture_output=True, text=True).stdout == repo_before


def test_the_dry_run_honours_no_models_and_no_service(pi):
    out = install(pi, "--dry-run", "--no-models", "--no-service").stdout
    assert "models: skipped" in out and "service: skipped" in out
    steps = [line for line in out.splitlines() if line.startswith("[dry-run]")]
    assert not [line for line in steps if "models fetch" in line]
    assert "systemctl" not in out


@pytest.mark.parametrize("os_release, arch, dpkg_arch, expected", [
    (UBUNTU, "aarch64", "arm64", "wrong OS: found 'Ubuntu 24.04.1 LTS'"),
    (BULLSEYE, "aarch64", "arm64", "wrong OS release: found 'Debian GNU/Linux 11 (bullseye)'"),
    (BOOKWORM, "x86_64", "amd64", "wrong architecture: kernel x86_64, packages amd64"),
    (BOOKWORM, "aarch64", "armhf", "wrong architecture: kernel aarch64, packages armhf"),
    (BOOKWORM, "armv7l", "armhf", "wrong architecture: kernel armv7l"),
])
def test_the_wrong_machine_stops_early_with_a_clear_message(pi, tmp_path, os_release, arch,
                                                             dpkg_arch, expected):
    (tmp_path / "os-release").write_text(os_release)
    env = {**pi, "HINGECOACH_ARCH": arch, "HINGECOACH_DPKG_ARCH": dpkg_arch}
    done = install(env, "--dry-run")
    assert done.returncode == 1
    assert expected in done.stderr
    assert "[dry-run]" not in done.stdout  # stopped before the first step
    assert done.stderr.startswith("install: error: ")


def test_a_missing_os_release_stops_early(pi, tmp_path):
    done = install({**pi, "HINGECOACH_OS_RELEASE": str(tmp_path / "none")}, "--dry-run")
    assert done.returncode == 1 and "cannot read" in done.stderr


def test_another_board_is_a_warning_not_a_stop(pi, tmp_path):
    (tmp_path / "model").write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\0")
    done = install(pi, "--dry-run")
    assert done.returncode == 0
    assert "warning: found 'Raspberry Pi 4 Model B Rev 1.4'" in done.stdout


def test_an_unknown_user_is_refused(pi):
    done = subprocess.run(["bash", str(SCRIPT), "--dry-run", "--user", "no-such-user-xyz"],
                          capture_output=True, text=True, env=pi, timeout=60)
    assert done.returncode == 1 and "user 'no-such-user-xyz' does not exist" in done.stderr


def test_an_existing_venv_without_system_site_packages_is_switched_on(pi, tmp_path):
    venv = Path(pi["HINGECOACH_VENV"])
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(shutil.which("python3"))
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\n")
    out = install(pi, "--dry-run").stdout
    assert "switching them on" in out
    assert "-m venv" not in out
    assert (venv / "pyvenv.cfg").read_text().endswith("= false\n")  # dry run: untouched


def test_an_installed_identical_unit_is_left_alone(pi, tmp_path):
    unit = install(pi, "--print-unit").stdout
    (tmp_path / "units" / "hingecoach.service").write_text(unit)
    out = install(pi, "--dry-run").stdout
    assert "is up to date" in out
    assert "daemon-reload" not in out
    assert "systemctl enable hingecoach.service" in out


def test_unknown_options_are_refused_with_usage(pi):
    done = install(pi, "--frobnicate")
    assert done.returncode == 2 and "Usage:" in done.stderr


def test_the_script_is_shellcheck_clean():
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: ./script/setup installs it"
    done = subprocess.run([shellcheck, "--severity=style", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
