"""``hingecoach demo``: a synthetic session run through the motion core, rep by rep."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run a synthetic hinge session through the coach and print what happens",
        description="Runs the built-in synthetic athlete through the motion core and prints "
        "each rep with its faults. Needs no camera, microphone or speaker.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hingecoach.motion.tracker import MotionTracker
    from hingecoach.sim import demo_session, render

    info, poses, _truth = render(demo_session())
    tracker = MotionTracker(info)
    print(f"Synthetic athlete, side-on, {info.width}x{info.height} at {info.fps:g} fps")
    n = 0
    for pose in poses:
        upd = tracker.update(pose)
        r = upd.rep
        if r is None:
            continue
        n += 1
        faults = ", ".join(r.faults + tuple(f"({f})" for f in r.flags)) or "clean"
        print(f"[{r.end_s:6.2f}s] rep {r.index}: lean {r.torso_lean_deg:.0f} deg, knee "
              f"{r.knee_flexion_deg:.0f} deg, down {r.descent_s:.1f}s / up {r.ascent_s:.1f}s: {faults}")
    print(f"{n} reps")
    return 0
