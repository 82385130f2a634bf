"""Coach and store speed: per-frame cost of the coach, per-rep commit cost, whole replay.

Run: .venv/bin/python bench/coach_bench.py   (prints figures; the last line is JSON)
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from hingecoach.app import parse_commands, run_session
from hingecoach.coach.coach import Coach
from hingecoach.motion.tracker import MotionTracker
from hingecoach.sim import long_session, render
from hingecoach.store.db import Store
from hingecoach.store.recorder import StoreRecorder


def main() -> None:
    info, poses, truth = render(long_session(minutes=5.0))
    poses = list(poses)
    tracker = MotionTracker(info)
    updates = [(tracker.update(p), p) for p in poses]

    coach = Coach(aspect=info.width / info.height)
    coach.on_intent(0.5, "start_drill", {"drill": "hinge"})
    t0 = time.perf_counter()
    for u, p in updates:
        coach.on_update(u, p)
    coach_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "hc.db")
        rec = StoreRecorder(store, store.user("bench"), "bench")
        coach = Coach(aspect=info.width / info.height, recorder=rec)
        t0 = time.perf_counter()
        res = run_session(info, poses, coach, commands=parse_commands("0.5:start hinge drill"))
        full_s = time.perf_counter() - t0
        reps = coach.total_reps
        # the cost of one committed rep (WAL + synchronous=FULL), in isolation
        set_id = store.start_set(rec.session_id, 99, "hinge", "hinge", 1, None, "in", 0.0)
        from hingecoach.motion.types import Rep
        r = Rep(1, 0.0, 1.0, 2.0, 60.0, 70.0, 15.0, 5.0, 1.0, 1.0)
        n = 50
        t0 = time.perf_counter()
        for i in range(n):
            store.add_rep(set_id, i + 1, r, (), (), [(0.0, 1.0, 2.0, 3.0, 4.0)] * 300)
        commit_ms = (time.perf_counter() - t0) / n * 1000
        store.close()

    frames = len(updates)
    figures = {
        "frames": frames,
        "session_s": round(poses[-1].t, 1),
        "reps": reps,
        "coach_us_per_frame": round(coach_s / frames * 1e6, 1),
        "replay_fps_tracker_coach_store": round(res.frames / full_s),
        "replay_x_realtime": round(poses[-1].t / full_s, 1),
        "rep_commit_ms": round(commit_ms, 2),
    }
    for k, v in figures.items():
        print(f"{k:>32}: {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
