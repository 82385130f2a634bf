"""Ready-made and random sessions for the synthetic athlete.

``random_session(seed)`` draws everything - the camera (fps, frame size, portrait or
landscape, facing, placement, roll), the spoilers (jitter, dropouts, visibility dips,
timestamp jitter) and a script of idle standing, torso nods, fidgets and 4-12 reps, some
clean and some with one scripted fault - from the seed. Fault magnitudes sit well clear of
the thresholds so the truth is unambiguous.
"""

from __future__ import annotations

import random

from hingecoach.sim.athlete import Athlete, Camera, RepSpec, Segment, Session, Spoil

FRAME_SIZES = ((640, 480), (1280, 720), (720, 1280), (480, 640), (360, 640), (1920, 1080),
               (320, 240), (960, 544))
FPS = (15.0, 24.0, 25.0, 30.0, 30.0, 60.0)
FAULT_KINDS = ("knees_forward", "back_rounding", "neck_extension", "hyperextension",
               "incomplete_lockout", "too_fast", "too_deep")


def clean_rep(rng: random.Random) -> RepSpec:
    knee = rng.uniform(8, 40)
    return RepSpec(depth=rng.uniform(50, 88), descent_s=rng.uniform(0.9, 2.2),
                   hold_s=rng.uniform(0.0, 0.6), ascent_s=rng.uniform(0.8, 1.8), knee=knee,
                   shin=rng.uniform(0, min(10.0, knee * 0.4)), head=rng.uniform(-22, -1),
                   lockout_lean=rng.uniform(-3, 3))


def faulty_rep(rng: random.Random, kind: str) -> RepSpec:
    base = clean_rep(rng)
    match kind:
        case "knees_forward":  # a squat-pattern rep: knees far forward, torso fairly upright
            return _with(base, knee=rng.uniform(104, 125), shin=rng.uniform(30, 40),
                         depth=rng.uniform(25, 55), faults=("knees_forward",))
        case "back_rounding":
            return _with(base, head=rng.uniform(22, 40), faults=("back_rounding",))
        case "neck_extension":
            return _with(base, head=-rng.uniform(52, 66), faults=("neck_extension",))
        case "hyperextension":
            return _with(base, lockout_lean=-rng.uniform(18, 24),
                         lockout_hold_s=rng.uniform(0.6, 0.9), faults=("hyperextension",))
        case "incomplete_lockout":
            return _with(base, lockout_lean=rng.uniform(24, 31), lockout_hold_s=rng.uniform(0.9, 1.3),
                         after_short=rng.choice(("rise", "next")), faults=("incomplete_lockout",))
        case "too_fast":
            return _with(base, descent_s=rng.uniform(0.2, 0.3), depth=rng.uniform(50, 80),
                         faults=("too_fast",))
        case "too_deep":
            return _with(base, depth=rng.uniform(102, 112), flags=("too_deep",))
    raise ValueError(f"unknown fault kind {kind!r}")


def _with(base: RepSpec, **kw: object) -> RepSpec:
    from dataclasses import replace

    return replace(base, **kw)  # type: ignore[arg-type]


def random_camera(rng: random.Random) -> Camera:
    w, h = rng.choice(FRAME_SIZES)
    body = rng.uniform(0.55, 0.8)
    # keep the whole hinge (torso reaching forward, hips back) inside the frame
    reach = 0.55 * body * h / w
    return Camera(width=w, height=h, fps=rng.choice(FPS), facing=rng.choice((1, -1)),
                  yaw=rng.uniform(-10, 10), body_frac=body,
                  x_center=rng.uniform(0.5 - max(0.0, 0.45 - reach), 0.5 + max(0.0, 0.45 - reach)),
                  roll_deg=rng.uniform(-2, 2))


def random_spoil(rng: random.Random) -> Spoil:
    return Spoil(jitter=rng.uniform(0.001, 0.006), dropout=rng.choice((0.0, 0.01, 0.03)),
                 burst=rng.choice((0.0, 0.0, 0.005)), vis_dip=rng.choice((0.0, 0.01)),
                 t_jitter=rng.choice((0.0, 0.0, 0.2)), world=rng.random() < 0.5)


def random_session(seed: int, *, reps: int | None = None, fault_rate: float = 0.4,
                   faults: tuple[str, ...] = FAULT_KINDS) -> Session:
    """A random but fully labelled session."""
    rng = random.Random(seed)
    segs: list[Segment] = []
    if rng.random() < 0.3:
        segs.append(Segment("absent", rng.uniform(0.3, 1.5)))
        segs.append(Segment("walk_in", rng.uniform(1.5, 2.5)))
    segs.append(Segment("idle", rng.uniform(1.5, 3.5)))
    n = reps if reps is not None else rng.randint(4, 12)
    prev_short_next = False
    for _ in range(n):
        if not prev_short_next:
            r = rng.random()
            if r < 0.2:
                segs.append(Segment("nod", rng.uniform(1.0, 1.6), nod_lean=rng.uniform(22, 32)))
                segs.append(Segment("idle", rng.uniform(0.5, 1.2)))
            elif r < 0.3:
                segs.append(Segment("fidget", rng.uniform(0.8, 1.5)))
                segs.append(Segment("idle", rng.uniform(0.5, 1.0)))
        spec = faulty_rep(rng, rng.choice(faults)) if rng.random() < fault_rate else clean_rep(rng)
        segs.append(Segment("rep", rep=spec))
        prev_short_next = "incomplete_lockout" in spec.faults and spec.after_short == "next"
        if not prev_short_next:
            segs.append(Segment("idle", rng.uniform(0.3, 2.0)))
    segs.append(Segment("idle", rng.uniform(1.0, 2.0)))
    athlete = Athlete(height_m=rng.uniform(1.5, 1.95), head_neutral=rng.uniform(10, 32),
                      rest_lean=rng.uniform(-1, 4), rest_knee=rng.uniform(2, 7))
    return Session(segments=segs, camera=random_camera(rng), spoil=random_spoil(rng),
                   athlete=athlete, seed=seed)


def long_session(minutes: float = 10.0, seed: int = 1, fps: float = 30.0) -> Session:
    """A long session for benchmarks: reps with rests, ``minutes`` long."""
    from hingecoach.sim.athlete import Script

    rng = random.Random(seed)
    segs: list[Segment] = [Segment("idle", 2.0)]
    target = minutes * 60.0 - 2.0
    while True:
        spec = faulty_rep(rng, rng.choice(FAULT_KINDS)) if rng.random() < 0.3 else clean_rep(rng)
        if spec.after_short == "next":
            spec = _with(spec, after_short="rise")
        trial = segs + [Segment("rep", rep=spec), Segment("idle", rng.uniform(0.5, 2.5))]
        if Script(Session(segments=trial)).duration > target:
            break
        segs = trial
    done = Script(Session(segments=segs)).duration
    segs.append(Segment("idle", max(0.5, minutes * 60.0 - done)))
    return Session(segments=segs, camera=Camera(fps=fps), spoil=Spoil(jitter=0.003), seed=seed)


def demo_session() -> Session:
    """The demo's athlete: settles in, a few clean hinges, a nod, two faults fixed, clean finish."""
    rng = random.Random(2026)
    segs = [Segment("absent", 0.6), Segment("walk_in", 2.0), Segment("idle", 2.5)]
    for _ in range(3):
        segs += [Segment("rep", rep=clean_rep(rng)), Segment("idle", 1.0)]
    segs += [Segment("nod", 1.2, nod_lean=26.0), Segment("idle", 0.8)]
    for _ in range(3):
        segs += [Segment("rep", rep=faulty_rep(rng, "knees_forward")), Segment("idle", 1.2)]
    for _ in range(3):
        segs += [Segment("rep", rep=clean_rep(rng)), Segment("idle", 1.0)]
    segs += [Segment("rep", rep=faulty_rep(rng, "hyperextension")), Segment("idle", 1.0)]
    segs += [Segment("rep", rep=clean_rep(rng)), Segment("idle", 2.0)]
    return Session(segments=segs, camera=Camera(width=640, height=480, fps=30.0, facing=1),
                   spoil=Spoil(jitter=0.003, dropout=0.01), seed=2026)
