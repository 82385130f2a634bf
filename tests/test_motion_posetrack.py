"""Real MediaPipe keypoints from another project (kb_swing_posetracks, MIT) give 4 swings.

The pose track is MediaPipe 0.10.18 output in pixel coordinates in its own JSON format;
converting it to our Pose records tests the motion core on real landmark noise without
running a model.
"""

from __future__ import annotations

import json

from hingecoach.motion.analysis import analyze_stream
from hingecoach.pose.landmarks import FrameInfo, Pose


def load_posetrack(path):
    doc = json.loads(path.read_text())
    meta = doc["metadata"]
    w, h = meta["videoWidth"], meta["videoHeight"]
    poses = []
    for frame in doc["frames"]:
        kp = frame["keypoints"]
        lms = [(k["x"] / w, k["y"] / h, k.get("z", 0.0), k.get("score", 1.0)) for k in kp] or None
        poses.append(Pose(frame["videoTime"], lms))
    return FrameInfo(w, h, float(meta["fps"])), poses


def test_the_four_swings_of_the_pose_track_are_counted_at_their_bottoms(clips_dir):
    folder = clips_dir / "dev" / "kb_swing_posetracks"
    info, poses = load_posetrack(folder / "swing-sample-4reps.posetrack.json")
    truth = json.loads((folder / "swing-sample-4reps.groundtruth.json").read_text())
    bottoms = [a["video_time"] for a in truth["annotations"] if a["position"] == "bottom"]
    result = analyze_stream(info, poses)
    assert result["view"].startswith("side")
    assert result["summary"]["reps"] == len(bottoms) == 4
    for rep, bottom in zip(result["reps"], bottoms, strict=True):
        assert rep["start_s"] < bottom < rep["end_s"]
        assert abs(rep["bottom_s"] - bottom) < 0.25
