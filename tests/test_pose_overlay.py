"""The --overlay video: every frame drawn, written atomically as mp4v (slow: real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from _pose_support import DEV, clip_poses, ensure_model, write_video
from hingecoach.cli import main
from hingecoach.errors import InputError
from hingecoach.motion.analysis import analyze_stream
from hingecoach.pose.landmarks import FrameInfo
from hingecoach.pose.overlay import OverlayWriter

pytestmark = pytest.mark.slow

CLIP = "kb_deadlift_side_clean.mp4"


def test_the_overlay_has_every_frame_with_the_analysis_drawn_on_it(tmp_path: Path) -> None:
    from hingecoach.pose.sources import opencv

    cv2 = opencv()

    info, poses = clip_poses(CLIP)
    out = tmp_path / "overlay.mp4"
    overlay = OverlayWriter(out, DEV / CLIP, info)
    try:
        result = analyze_stream(info, poses, input_name=CLIP, on_update=overlay.on_update)
    finally:
        overlay.close()
    assert overlay.frames == len(poses)
    assert overlay.reps == result["summary"]["reps"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlay.mp4"]
    got, src = cv2.VideoCapture(str(out)), cv2.VideoCapture(str(DEV / CLIP))
    assert int(got.get(cv2.CAP_PROP_FRAME_COUNT)) == len(poses)
    assert (got.get(cv2.CAP_PROP_FRAME_WIDTH), got.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (360, 640)
    assert got.get(cv2.CAP_PROP_FPS) == pytest.approx(info.fps, rel=0.01)
    stride = round(60 / info.fps)  # the clip is 60 fps; poses may cover every k-th frame
    got.set(cv2.CAP_PROP_POS_FRAMES, 300 // stride)
    src.set(cv2.CAP_PROP_POS_FRAMES, 300)
    (_, drawn), (_, plain) = got.read(), src.read()
    # The header (rep count, angles) sits top-left; the skeleton over the person.
    assert np.abs(drawn[:120, :150].astype(int) - plain[:120, :150]).mean() > 5


def test_an_overlay_needs_an_mp4_name_an_existing_folder_and_a_video(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", [np.zeros((32, 32, 3), np.uint8)] * 3)
    info = FrameInfo(32, 32, 30.0)
    with pytest.raises(InputError, match=".mp4"):
        OverlayWriter(tmp_path / "out.gif", video, info)
    with pytest.raises(InputError, match="does not exist"):
        OverlayWriter(tmp_path / "nope" / "out.mp4", video, info)
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"format": "hingecoach-trace"}\n')
    with pytest.raises(InputError, match="video input"):
        OverlayWriter(tmp_path / "out.mp4", trace, info)


def test_analyze_video_json_with_overlay_end_to_end(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ensure_model()
    out = tmp_path / "o.mp4"
    assert main(["analyze", str(DEV / "barbell_deadlift_side.mp4"), "--json",
                 "--overlay", str(out)]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["frames"] == 279 and result["pose_frames"] == 279
    assert result["view"].startswith("side")
    assert out.stat().st_size > 10_000
