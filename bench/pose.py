"""Benchmark the video -> pose -> motion-core path against a naive fitness-script loop.

Usage::

    .venv/bin/python bench/pose.py ../shared/clips/dev/kb_deadlift_side_clean.mp4 [--rounds 2]

Ours: ``hingecoach.pose.video.open_video_poses`` (decode thread, BGR->RGB once, two Pose
Landmarkers in Tasks VIDEO mode on alternate frames) feeding the motion core
(``MotionTracker.update``) on the calling thread, i.e. the whole ``analyze VIDEO`` path.
Naive, same process, same clip: the loop typical "AI trainer" scripts use - legacy
``mediapipe.solutions.pose.Pose`` (full model, tracking), ``cv2.VideoCapture.read``, a
BGR->RGB copy, ``process`` frame by frame, no overlap.

The machine is shared, so the two are run alternately ``--rounds`` times and the best
round of each is reported (all rounds are printed). The last line is a JSON object:
fps, ms_per_frame (ours, wall clock), decode_ms / inference_ms / core_ms per frame (thread
time; they overlap, so they can add up to more than ms_per_frame; inference_ms sums the
landmarkers' time), naive_fps, naive_ms_per_frame, speedup = fps / naive_fps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def run_naive(clip: str, limit: int | None) -> dict[str, float]:
    import cv2
    import mediapipe as mp

    pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1)
    cap = cv2.VideoCapture(clip)
    n = 0
    t0 = time.perf_counter()
    while limit is None or n < limit:
        ok, frame = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        pose.process(rgb)
        n += 1
    wall = time.perf_counter() - t0
    cap.release()
    pose.close()
    return {"frames": n, "wall_s": wall}


def run_ours(clip: str, limit: int | None, workers: int | None,
             max_side: int | None) -> dict[str, Any]:
    from hingecoach.pose.estimator import resolve_model
    from hingecoach.pose.sources import VideoFileSource
    from hingecoach.pose.video import EstimatedPoseSource

    try:
        from hingecoach.motion.tracker import MotionTracker
    except ImportError:
        MotionTracker = None  # noqa: N806 - the class, when the motion core has landed

    t0 = time.perf_counter()
    # Exactly what open_video_poses builds, kept at hand for its stats.
    source = EstimatedPoseSource(VideoFileSource(clip, max_side=max_side),
                                 model=resolve_model(None), workers=workers)
    info, poses = source.info, iter(source)
    tracker = MotionTracker(info) if MotionTracker is not None else None
    core_s = 0.0
    n = 0
    for pose in poses:
        if tracker is not None:
            c0 = time.perf_counter()
            tracker.update(pose)
            core_s += time.perf_counter() - c0
        n += 1
        if limit is not None and n >= limit:
            break
    poses.close()  # type: ignore[attr-defined]
    stats = source.stats
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"frames": n, "wall_s": wall, "core_s": core_s,
                           "core": tracker is not None}
    out.update(decode_s=stats.decode_s, inference_s=stats.inference_s,
               pose_frames=stats.pose_frames)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--frames", type=int, default=None, help="only the first N frames")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--max-side", type=int, default=None)
    args = ap.parse_args()
    if not Path(args.clip).is_file():
        print(f"bench/pose.py: no such clip {args.clip}", file=sys.stderr)
        return 2
    os.environ.setdefault("GLOG_minloglevel", "2")

    ours_runs, naive_runs = [], []
    for r in range(args.rounds):
        n = run_naive(args.clip, args.frames)
        o = run_ours(args.clip, args.frames, args.workers, args.max_side)
        naive_runs.append(n)
        ours_runs.append(o)
        print(f"round {r + 1}: naive {n['frames'] / n['wall_s']:.1f} fps "
              f"({1000 * n['wall_s'] / n['frames']:.1f} ms/frame), ours "
              f"{o['frames'] / o['wall_s']:.1f} fps ({1000 * o['wall_s'] / o['frames']:.1f} ms/frame)",
              file=sys.stderr)
    best = min(ours_runs, key=lambda o: o["wall_s"] / o["frames"])
    naive = min(naive_runs, key=lambda o: o["wall_s"] / o["frames"])
    f = best["frames"]
    fps = f / best["wall_s"]
    naive_fps = naive["frames"] / naive["wall_s"]
    result = {
        "clip": args.clip,
        "frames": f,
        "pose_frames": best.get("pose_frames"),
        "workers": args.workers,
        "fps": round(fps, 2),
        "ms_per_frame": round(1000 * best["wall_s"] / f, 2),
        "decode_ms": round(1000 * best.get("decode_s", 0.0) / f, 2),
        "inference_ms": round(1000 * best.get("inference_s", 0.0) / f, 2),
        "core_ms": round(1000 * best["core_s"] / f, 3) if best["core"] else None,
        "naive_fps": round(naive_fps, 2),
        "naive_ms_per_frame": round(1000 * naive["wall_s"] / naive["frames"], 2),
        "speedup": round(fps / naive_fps, 3),
        "rounds": args.rounds,
        "cpu_count": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
