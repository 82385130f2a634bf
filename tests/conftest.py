"""Shared fixtures: running the CLI as a user would, and the shared clips folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# As the CLI does before it first imports OpenCV (hingecoach.pose.sources.opencv): tests run
# many things in one process, and FFmpeg reads its log level when the first capture opens.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CLIPS = SHARED / "clips"


def run_cli(*args: str, timeout: float = 300, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hingecoach ARGS`` in a subprocess and capture its output."""
    return subprocess.run([sys.executable, "-m", "hingecoach", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, input=input)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def clips_dir() -> Path:
    if not CLIPS.is_dir():
        pytest.fail(f"the shared clips are missing at {CLIPS}: check out ../shared beside the repo")
    return CLIPS
