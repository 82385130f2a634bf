"""Fault rules (DESIGN 3.4): a completed rep's metrics in, fault ids and flags out.

Each rule is a small named function over :class:`~hingecoach.motion.reps.RepMetrics`; the
numbers live in :mod:`hingecoach.motion.thresholds` with their sources. The order of
:data:`~hingecoach.motion.types.FAULTS` is the coaching priority (safety first).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hingecoach.motion.reps import RepMetrics
from hingecoach.motion.thresholds import DEFAULT, Thresholds, elapsed_s
from hingecoach.motion.types import FAULTS


def back_rounding(m: RepMetrics, th: Thresholds) -> bool:
    """The head / upper back drops below the hip-shoulder line at the bottom."""
    return m.head_bottom > th.head_drop_max_deg


def knees_forward(m: RepMetrics, th: Thresholds) -> bool:
    """The hinge turned into a squat: knee-dominant, a forward shin, or squat-deep knees."""
    if m.peak_knee > th.knee_flexion_max_deg or m.peak_shin > th.shin_angle_max_deg:
        return True
    return m.peak_knee > 40.0 and m.peak_hip > 0 and m.peak_knee >= th.knee_hip_ratio_max * m.peak_hip


def neck_extension(m: RepMetrics, th: Thresholds) -> bool:
    """The head cranks up against the torso line at the bottom."""
    return m.head_bottom < -th.head_lift_max_deg


def hyperextension(m: RepMetrics, th: Thresholds) -> bool:
    """Leaning back past vertical at lockout."""
    return not m.short and m.lockout_lean < -th.lean_back_max_deg


def incomplete_lockout(m: RepMetrics, th: Thresholds) -> bool:
    """The rep ended without getting back to standing."""
    return m.short or m.lockout_lean > th.lockout_lean_max_deg


def too_fast(m: RepMetrics, th: Thresholds) -> bool:
    """The descent took less than about half a second."""
    if m.from_floor:
        return False  # the descent was never seen
    d = elapsed_s(m.bottom_s, m.start_s)
    return not math.isnan(d) and d < th.min_descent_time_s


RULES: dict[str, Callable[[RepMetrics, Thresholds], bool]] = {
    "back_rounding": back_rounding,
    "knees_forward": knees_forward,
    "neck_extension": neck_extension,
    "hyperextension": hyperextension,
    "incomplete_lockout": incomplete_lockout,
    "too_fast": too_fast,
}
assert tuple(RULES) == FAULTS


def judge(m: RepMetrics, th: Thresholds = DEFAULT) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (faults in priority order, flags) for one rep."""
    faults = tuple(name for name, rule in RULES.items() if rule(m, th))
    flags = ("too_deep",) if m.peak_lean > th.too_deep_lean_deg else ()
    return faults, flags
