"""Frame sources and the pose pipeline, with fakes in place of the model (fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _pose_support import write_video
from hingecoach.errors import DeviceError, InputError
from hingecoach.pose.estimator import FakePoseEstimator
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.sources import (
    Frame,
    Picamera2Source,
    TracePoseSource,
    VideoFileSource,
    open_source,
    parse_camera,
)
from hingecoach.pose.trace import TraceWriter
from hingecoach.pose.video import EstimatedPoseSource, estimate_stream

STANDING = Pose(t=0.0, landmarks=tuple((0.5, 0.1 + i * 0.02, 0.0, 0.9) for i in range(33)))


@pytest.fixture
def blue_video(tmp_path: Path) -> Path:
    """12 frames of 64 x 48 pure blue (BGR) at 30 fps, with a frame counter in the red channel."""
    frames = []
    for i in range(12):
        f = np.zeros((48, 64, 3), np.uint8)
        f[..., 0] = 255
        f[:8, :8, 2] = 20 * i
        frames.append(f)
    return write_video(tmp_path / "blue.mp4", frames)


def test_a_video_file_gives_rgb_frames_with_its_own_timestamps(blue_video: Path) -> None:
    src = VideoFileSource(blue_video)
    assert src.info == FrameInfo(width=64, height=48, fps=30.0)
    frames = list(src)
    assert [f.index for f in frames] == list(range(12))
    ts = [f.t for f in frames]
    assert ts[0] == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(np.diff(ts), 1 / 30, atol=2e-3)
    img = frames[5].image
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8 and img.flags.c_contiguous
    assert img[30, 30, 2] > 200 and img[30, 30, 0] < 50  # blue lands in the B of RGB


def test_large_frames_are_downscaled_to_max_side(blue_video: Path) -> None:
    src = VideoFileSource(blue_video, max_side=32)
    assert (src.info.width, src.info.height) == (32, 24)
    assert next(iter(src)).image.shape == (24, 32, 3)


@pytest.mark.parametrize(("content", "match"), [
    (None, "no such file"),
    (b"", "empty"),
    (b"this is not a video at all\n" * 50, "not a video"),
])
def test_bad_video_inputs_are_one_line_input_errors(tmp_path: Path, content: bytes | None,
                                                    match: str) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=match) as err:
        VideoFileSource(path)
    assert "\n" not in str(err.value)


def test_a_directory_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        VideoFileSource(tmp_path)


def test_camera_specs_parse_and_bad_ones_are_rejected() -> None:
    assert parse_camera("camera:2") == 2
    assert parse_camera("camera") == 0
    assert parse_camera("clip.mp4") is None
    with pytest.raises(InputError, match="camera:0"):
        parse_camera("camera:front")


def test_a_missing_camera_is_a_device_error_naming_the_fix() -> None:
    with pytest.raises(DeviceError, match="video file instead"):
        open_source("camera:97")


def test_picamera2_off_the_pi_is_a_device_error_not_an_import_crash() -> None:
    with pytest.raises(DeviceError, match="picamera2"):
        Picamera2Source()


def test_a_trace_spec_replays_the_trace(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path, FrameInfo(640, 480, 30.0)) as w:
        for i in range(3):
            w.write(Pose(t=i / 30, landmarks=STANDING.landmarks))
    src = open_source(str(path))
    assert isinstance(src, TracePoseSource)
    assert src.info.width == 640
    assert [round(p.t, 4) for p in src] == [0.0, 0.0333, 0.0667]


def fake_frames(n: int, fail_at: int | None = None):
    for i in range(n):
        if i == fail_at:
            raise InputError("decode failed")
        yield Frame(index=i, t=i / 10, image=np.zeros((4, 6, 3), np.uint8))


def test_the_pipeline_keeps_frame_order_and_spreads_frames_over_the_landmarkers() -> None:
    a = FakePoseEstimator(poses=[STANDING], repeat_last=True)
    b = FakePoseEstimator(poses=[STANDING], repeat_last=True)
    poses = list(estimate_stream(fake_frames(25), [a, b]))
    assert [round(p.t, 2) for p in poses] == [round(i / 10, 2) for i in range(25)]
    assert [round(t, 2) for t, _ in a.calls] == [round(i / 10, 2) for i in range(0, 25, 2)]
    assert [round(t, 2) for t, _ in b.calls] == [round(i / 10, 2) for i in range(1, 25, 2)]
    assert a.calls[0][1] == (4, 6)


def test_a_decode_error_reaches_the_consumer() -> None:
    est = FakePoseEstimator(poses=[STANDING], repeat_last=True)
    with pytest.raises(InputError, match="decode failed"):
        list(estimate_stream(fake_frames(30, fail_at=17), [est]))


def test_stopping_early_closes_the_source_and_the_estimators(blue_video: Path) -> None:
    ests = [FakePoseEstimator(), FakePoseEstimator()]
    src = EstimatedPoseSource(VideoFileSource(blue_video), estimators=list(ests))
    it = iter(src)
    first = [next(it) for _ in range(3)]
    it.close()
    assert [p.landmarks for p in first] == [None, None, None]
    assert all(e.closed for e in ests)
    assert src.stats.frames == 3


def test_the_fake_estimator_records_a_timeline_and_hands_out_scripted_poses() -> None:
    est = FakePoseEstimator(poses=[STANDING])
    img = np.zeros((10, 20, 3), np.uint8)
    p1, p2 = est.estimate(img, 1.5), est.estimate(img, 1.6)
    assert p1.t == 1.5 and p1.landmarks == STANDING.landmarks
    assert p2.landmarks is None
    assert est.calls == [(1.5, (10, 20)), (1.6, (10, 20))]


def test_the_synthetic_athlete_is_a_pose_source() -> None:
    src = open_source("synthetic:3")
    poses = list(src)
    assert len(poses) > 30
    assert any(p.landmarks is not None for p in poses)
    assert src.truth  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="synthetic:SEED"):
        open_source("synthetic:bogus")


def test_max_fps_keeps_every_kth_frame_with_the_files_timestamps(blue_video: Path) -> None:
    src = VideoFileSource(blue_video, max_fps=15)
    assert src.info.fps == 15.0 and src.stride == 2
    frames = list(src)
    assert [f.index for f in frames] == list(range(6))
    assert np.allclose([f.t for f in frames], [i * 2 / 30 for i in range(6)], atol=2e-3)
    # The frame counter drawn in the red channel shows which source frames were kept.
    assert [round(int(f.image[2, 2, 0]) / 20) for f in frames] == [0, 2, 4, 6, 8, 10]
    assert len(list(VideoFileSource(blue_video, max_fps=60))) == 12


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02 not a video nor a trace"])
def test_the_cli_reports_a_bad_video_in_exactly_one_line(
        tmp_path: Path, content: bytes, capfd: pytest.CaptureFixture[str]) -> None:
    from hingecoach.cli import main

    bad = tmp_path / "in.mp4"
    bad.write_bytes(content)
    assert main(["record", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hingecoach record: error:")


def test_a_live_source_drops_stale_frames_instead_of_queueing_them() -> None:
    import threading

    produced_all = threading.Event()

    def camera():
        for i in range(50):
            yield Frame(index=i, t=i / 30, image=np.zeros((4, 6, 3), np.uint8))
        produced_all.set()

    def slow(t: float, image: object) -> Pose:
        produced_all.wait(10)  # the model is busy until the camera has moved on
        return Pose(t=t, landmarks=STANDING.landmarks)

    poses = list(estimate_stream(camera(), [FakePoseEstimator(fn=slow)], live=True))
    ts = [round(p.t * 30) for p in poses]
    assert ts == sorted(ts) and ts[-1] == 49  # in order, ending on the freshest frame
    assert len(ts) < 10  # the backlog was dropped, not analysed late


def test_record_and_overlay_never_write_over_their_own_input(
        blue_video: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """`record clip.mp4 --out clip.mp4` wrote its trace over the video (and, as root, over a
    read-only one); `analyze clip.mp4 --overlay clip.mp4` replaced it with the overlay."""
    import os

    from hingecoach.cli import main

    before = blue_video.read_bytes()
    link = tmp_path / "same.mp4"
    os.link(blue_video, link)  # another name for the same file
    for argv, says in (
        (["record", str(blue_video), "--out", str(blue_video)], "pose trace (JSON Lines), not a video"),
        (["record", str(blue_video), "--out", str(tmp_path / "trace.mp4")], "name a .jsonl file"),
        (["analyze", str(blue_video), "--overlay", str(blue_video)], "is the input itself"),
        (["analyze", str(blue_video), "--overlay", str(link)], "is the input itself"),
    ):
        assert main(argv) == 2, argv
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], (argv, err)
    assert blue_video.read_bytes() == before and not (tmp_path / "trace.mp4").exists()
    trace = tmp_path / "clip.jsonl"
    trace.write_text("")
    from hingecoach.commands._common import refuse_overwriting_input
    from hingecoach.errors import InputError

    with pytest.raises(InputError, match="is the input itself"):
        refuse_overwriting_input(tmp_path / "x" / ".." / "clip.jsonl", trace, "--out")


def test_a_video_whose_first_frame_is_stamped_before_zero_starts_at_zero() -> None:
    """bodyweight_squat_side.mp4's edit list stamps its first frame -0.033 s, the next +0.033:
    `record` wrote a trace starting at t = -0.033."""
    from _pose_support import DEV

    ts = [f.t for _, f in zip(range(4), VideoFileSource(DEV / "bodyweight_squat_side.mp4"), strict=False)]
    assert ts[0] == 0.0 and np.allclose(np.diff(ts), 1 / 30, atol=2e-3), ts


def test_the_refusals_suggest_names_that_would_be_taken(
        blue_video: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from hingecoach.cli import main

    for argv, says in (
        (["record", str(blue_video), "--out", str(tmp_path / "x.mpg")], "name a .jsonl file"),
        (["analyze", str(blue_video), "--overlay", str(blue_video)], f"{blue_video.stem}-out.mp4"),
        (["say", "hi", "--volume", "0.001"], "did you mean e.g. --volume 80?"),
        (["simulate", "--coached-demo", "--reps", "3", "--out", str(tmp_path / "s.jsonl")], "fixed stories"),
    ):
        assert main(argv) == 2, argv
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0], (argv, err)


def test_record_simulate_and_overlay_never_write_over_the_progress_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """They take no --data-dir, but the user's database (here from $HINGECOACH_DATA_DIR) is
    still no place for a trace, a truth file or an overlay video."""
    from hingecoach.cli import main
    from hingecoach.store.db import Store

    data = tmp_path / "d"
    monkeypatch.setenv("HINGECOACH_DATA_DIR", str(data))
    with Store(data / "hingecoach.db") as st:
        st.user("Bo", "cm")
    before = (data / "hingecoach.db").read_bytes()
    trace = tmp_path / "s.jsonl"
    assert main(["simulate", "--seed", "7", "--reps", "1", "--out", str(trace)]) == 0
    capfd.readouterr()
    for argv in (
        ["simulate", "--seed", "7", "--out", str(data / "hingecoach.db")],
        ["simulate", "--seed", "7", "--out", str(tmp_path / "t.jsonl"), "--truth", str(data / "hingecoach.db-wal")],
        ["record", str(tmp_path / "clip.mp4"), "--out", str(data / "hingecoach.db")],
        ["analyze", str(trace), "--overlay", str(data / "hingecoach.db")],
    ):
        assert main(argv) == 2, argv
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "progress database" in err[0] and "name another file" in err[0], err
    assert (data / "hingecoach.db").read_bytes() == before and not (tmp_path / "t.jsonl").exists()
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db"]
