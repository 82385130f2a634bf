"""The --overlay video: every frame drawn, written atomically as mp4v (slow: real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from _pose_support import DEV, clip_poses, write_video
from hingecoach.errors import InputError
from hingecoach.motion.analysis import analyze_stream
from hingecoach.pose.overlay import OverlayRecorder, render_overlay

pytestmark = pytest.mark.slow

CLIP = "kb_deadlift_side_clean.mp4"


def test_the_overlay_has_every_frame_with_the_analysis_drawn_on_it(tmp_path: Path) -> None:
    import cv2

    info, poses = clip_poses(CLIP)
    rec = OverlayRecorder()
    result = analyze_stream(info, poses, input_name=CLIP, on_update=rec.on_update)
    out = tmp_path / "overlay.mp4"
    assert rec.render(DEV / CLIP, out, result) == len(poses)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overlay.mp4"]
    got, src = cv2.VideoCapture(str(out)), cv2.VideoCapture(str(DEV / CLIP))
    assert int(got.get(cv2.CAP_PROP_FRAME_COUNT)) == len(poses)
    assert (got.get(cv2.CAP_PROP_FRAME_WIDTH), got.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (360, 640)
    for cap in (got, src):
        cap.set(cv2.CAP_PROP_POS_FRAMES, 300)
    (_, drawn), (_, plain) = got.read(), src.read()
    # The header (rep count, angles) sits top-left; the skeleton over the person.
    assert np.abs(drawn[:120, :150].astype(int) - plain[:120, :150]).mean() > 5


def test_an_overlay_needs_an_mp4_name_and_an_existing_folder(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", [np.zeros((32, 32, 3), np.uint8)] * 3)
    with pytest.raises(InputError, match=".mp4"):
        render_overlay(video, tmp_path / "out.gif", [], [])
    with pytest.raises(InputError, match="does not exist"):
        render_overlay(video, tmp_path / "nope" / "out.mp4", [], [])
