"""Benchmark the video -> pose -> motion-core path against a naive fitness-script loop.

Usage::

    .venv/bin/python bench/pose.py ../shared/clips/dev/kb_deadlift_side_clean.mp4 [--rounds 2]

Ours: exactly the ``analyze VIDEO`` path - ``hingecoach.pose.video`` (decode thread,
BGR->RGB once, Pose Landmarker(s) in Tasks VIDEO mode, pose rate capped at ``--max-fps``,
30 by default, so a 60 fps file is analysed on every second frame) feeding the motion
core (``MotionTracker.update``) on the calling thread. The same path on every frame is
measured too (``*_every_frame``). Naive, same process, same clip: the loop typical "AI
trainer" scripts use - legacy ``mediapipe.solutions.pose.Pose`` (full model, tracking),
``cv2.VideoCapture.read``, a BGR->RGB copy, ``process`` on every frame, no overlap.

The machine is shared, so the variants run alternately ``--rounds`` times and the best
round of each is reported (all rounds are printed). The last line is a JSON object:
``fps`` and ``ms_per_frame`` count video frames covered per second of wall clock (the
same unit as ``naive_fps``), ``poses`` the frames actually run through the model;
``decode_ms`` / ``inference_ms`` / ``core_ms`` are per pose (thread time: they overlap, so
they can add up to more than the wall time; ``inference_ms`` sums the landmarkers'
time), ``speedup`` = fps / naive_fps, and the same for every frame.
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

from hingecoach.pose.video import DEFAULT_MAX_FPS, default_workers  # noqa: E402


def run_naive(clip: str, limit: int | None) -> dict[str, float]:
    from hingecoach.pose.sources import opencv

    cv2 = opencv()
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
             max_side: int | None, max_fps: float | None) -> dict[str, Any]:
    from hingecoach.pose.estimator import resolve_model
    from hingecoach.pose.sources import VideoFileSource
    from hingecoach.pose.video import EstimatedPoseSource

    try:
        from hingecoach.motion.tracker import MotionTracker
    except ImportError:
        MotionTracker = None  # noqa: N806 - the class, when the motion core has landed

    t0 = time.perf_counter()
    # Exactly what open_video_poses builds, kept at hand for its stats.
    video = VideoFileSource(clip, max_side=max_side, max_fps=max_fps)
    if limit is not None:
        limit = -(-limit // video.stride)  # the same stretch of video
    source = EstimatedPoseSource(video,
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
    out: dict[str, Any] = {"frames": n * video.stride, "poses": n, "wall_s": wall,
                           "core_s": core_s,
                           "core": tracker is not None}
    out.update(decode_s=stats.decode_s, inference_s=stats.inference_s,
               pose_frames=stats.pose_frames)
    return out


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda o: o["wall_s"] / o["frames"])
    f = best["frames"]
    poses = best.get("poses", f)
    out = {
        "fps": round(f / best["wall_s"], 2),
        "ms_per_frame": round(1000 * best["wall_s"] / f, 2),
    }
    if "decode_s" in best:
        out.update(
            poses=poses,
            decode_ms=round(1000 * best["decode_s"] / poses, 2),
            inference_ms=round(1000 * best["inference_s"] / poses, 2),
            core_ms=round(1000 * best["core_s"] / poses, 3) if best["core"] else None,
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--frames", type=int, default=None, help="only the first N frames")
    ap.add_argument("--workers", type=int, default=None,
                    help="landmarkers side by side (default: the analyze default)")
    ap.add_argument("--max-side", type=int, default=None)
    ap.add_argument("--max-fps", type=float, default=DEFAULT_MAX_FPS,
                    help="pose-rate cap of the analyze path (its default); the path is "
                    "also measured on every frame")
    args = ap.parse_args()
    if not Path(args.clip).is_file():
        print(f"bench/pose.py: no such clip {args.clip}", file=sys.stderr)
        return 2

    runs: dict[str, list[dict[str, Any]]] = {"naive": [], "ours": [], "every_frame": []}
    for r in range(args.rounds):
        runs["naive"].append(run_naive(args.clip, args.frames))
        runs["ours"].append(run_ours(args.clip, args.frames, args.workers, args.max_side,
                                     args.max_fps))
        runs["every_frame"].append(run_ours(args.clip, args.frames, args.workers,
                                            args.max_side, None))
        line = ", ".join(f"{k} {v[-1]['frames'] / v[-1]['wall_s']:.1f} fps"
                         for k, v in runs.items() if v)
        print(f"round {r + 1}: {line}", file=sys.stderr)
    naive = _summary(runs["naive"])
    ours = _summary(runs["ours"])
    result: dict[str, Any] = {
        "clip": args.clip,
        "frames": runs["ours"][0]["frames"],
        "workers": args.workers or default_workers(),
        **ours,
        "naive_fps": naive["fps"],
        "naive_ms_per_frame": naive["ms_per_frame"],
        "speedup": round(ours["fps"] / naive["fps"], 3),
    }
    every = _summary(runs["every_frame"])
    result.update(max_fps=args.max_fps, fps_every_frame=every["fps"],
                  ms_per_frame_every_frame=every["ms_per_frame"],
                  inference_ms_every_frame=every["inference_ms"],
                  speedup_every_frame=round(every["fps"] / naive["fps"], 3))
    result.update(rounds=args.rounds, cpu_count=os.cpu_count(),
                  loadavg_1m=round(os.getloadavg()[0], 2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
