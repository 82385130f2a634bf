"""The real MediaPipe model behind the estimator, record and the model checks (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _pose_support import DEV, ensure_model, write_video
from hingecoach.cli import main
from hingecoach.errors import ModelError
from hingecoach.pose.estimator import MediaPipePoseEstimator
from hingecoach.pose.trace import TraceReader
from hingecoach.pose.video import open_video_poses

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def model() -> Path:
    return ensure_model()


def test_a_video_with_nobody_in_it_gives_empty_poses_not_an_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frames = [np.full((120, 160, 3), 90, np.uint8) + rng.integers(0, 20, (120, 160, 3), np.uint8)
              for _ in range(15)]
    info, poses = open_video_poses(write_video(tmp_path / "empty.mp4", frames))
    got = list(poses)
    assert (info.width, info.height) == (160, 120)
    assert len(got) == 15
    assert all(p.landmarks is None for p in got)


def test_a_missing_model_is_one_line_naming_the_fetch_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINGECOACH_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match="missing: run `hingecoach models fetch`"):
        open_video_poses(DEV / "kb_deadlift_side_clean.mp4")


def test_a_corrupt_model_file_is_a_model_error_naming_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINGECOACH_MODELS", str(tmp_path))
    (tmp_path / "pose_landmarker_full.task").write_bytes(b"PK\x03\x04 not really a model")
    with pytest.raises(ModelError, match="corrupt.*hingecoach models fetch"):
        open_video_poses(DEV / "kb_deadlift_side_clean.mp4")
    # A .task path given directly skips the manifest but still fails cleanly.
    with pytest.raises(ModelError, match="cannot be loaded.*hingecoach models fetch"):
        MediaPipePoseEstimator(tmp_path / "pose_landmarker_full.task")


def test_record_writes_a_trace_the_trace_reader_accepts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec.jsonl"
    assert main(["record", str(DEV / "kb_deadlift_side_clean.mp4"), "--out", str(out),
                 "--seconds", "0.5"]) == 0
    reader = TraceReader(out)
    assert (reader.info.width, reader.info.height, reader.info.fps) == (360, 640, 60.0)
    poses = list(reader)
    assert len(poses) == 30
    assert all(p.landmarks is not None and p.world is not None for p in poses)
    assert "recorded 30 frames" in capsys.readouterr().err


def test_record_rejects_a_file_that_is_not_a_video_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello\n" * 100)
    assert main(["record", str(bad), "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a video" in err[0]


def test_the_live_stream_estimator_delivers_poses_to_its_callback() -> None:
    import threading

    from hingecoach.pose.estimator import LivePoseEstimator
    from hingecoach.pose.sources import VideoFileSource

    got: list = []
    arrived = threading.Event()

    def on_pose(pose) -> None:
        got.append(pose)
        if pose.landmarks is not None:
            arrived.set()

    live = LivePoseEstimator(on_pose)
    try:
        for frame in VideoFileSource(DEV / "kb_deadlift_side_clean.mp4"):
            live.submit(frame.image, frame.t)
            if arrived.wait(0.05) or frame.index >= 120:
                break
        arrived.wait(30)
    finally:
        live.close()
    assert arrived.is_set()
    assert live.latest() is not None
    ts = [p.t for p in got]
    assert ts == sorted(ts)
