"""Benchmark the motion core. Prints figures; the last line is a JSON object.

- us_per_frame: the whole core per frame (kinematics + smoothing + rep tracker + fault rules)
  on a long synthetic session held in memory (no parsing), best of 3.
- replay_10min_s: `hingecoach analyze TRACE --json` on a 10-minute 30 fps trace file, end to
  end in a fresh process (interpreter start-up, parsing and validating every line, the core,
  the JSON output), best of 3.

Usage: .venv/bin/python bench/analysis.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hingecoach.motion.tracker import MotionTracker
from hingecoach.pose.trace import TraceWriter
from hingecoach.sim import long_session, render


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()

    info, poses, truth = render(long_session(args.minutes, seed=1, fps=30.0))
    poses = list(poses)
    n = len(poses)
    best = float("inf")
    reps = 0
    for _ in range(3):
        tracker = MotionTracker(info)
        t0 = time.perf_counter()
        count = 0
        for p in poses:
            if tracker.update(p).rep is not None:
                count += 1
        dt = time.perf_counter() - t0
        best = min(best, dt)
        reps = count
    us = best / n * 1e6
    print(f"core: {n} frames, {reps} reps (truth {len(truth)}) in {best:.3f} s = {us:.1f} us/frame")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ten_minutes.jsonl"
        with TraceWriter(path, info) as w:
            for p in poses:
                w.write(p)
        size_mb = path.stat().st_size / 1e6
        replay = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            res = subprocess.run([sys.executable, "-m", "hingecoach", "analyze", str(path), "--json"],
                                 capture_output=True, text=True, check=True)
            replay = min(replay, time.perf_counter() - t0)
        got = json.loads(res.stdout)["summary"]["reps"]
        print(f"replay: {args.minutes:g} min trace ({size_mb:.1f} MB, world landmarks included) "
              f"analysed end to end in {replay:.3f} s, {got} reps")
    print(json.dumps({"us_per_frame": round(us, 1), "replay_10min_s": round(replay, 3),
                      "frames": n, "reps": reps, "truth_reps": len(truth)}))


if __name__ == "__main__":
    main()
