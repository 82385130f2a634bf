"""Every number the motion core judges with, in one place, with its unit and its source.

Seeds are the coaching articles in ``../shared/seeds`` (000 MovementHQ "Hip Hinge 101",
001 "Why the hip hinge will make or break your big lifts", 002 hip hinge explainer with the
wall and dowel drills, 003 "Understanding the hip hinge", 004 "Hip hinge: an easy to
understand guide"). DESIGN = ../shared/DESIGN.md.

Hysteresis bands are given as (low, high) pairs: a signal must cross *high* to switch on and
fall below *low* to switch off (gpiozero's ``booleanized`` idea), so jitter around one value
cannot flip a phase back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass


def elapsed_s(later: float, earlier: float) -> float:
    """``later - earlier`` to the millisecond, for comparing with the durations below: frame
    times are sums of float steps, so at 15 fps six frames (0.4 s) came out as 0.39999 s and
    fell short of a 0.4 s bound they meet."""
    return round(later - earlier, 3)


@dataclass(frozen=True, slots=True)
class Thresholds:
    # --- rep phases (torso lean, degrees) -----------------------------------------------
    standing_lean_deg: float = 15.0
    """Standing = torso lean under this. DESIGN 3.4 "torso lean under ~15 deg"."""
    start_lean_deg: float = 20.0
    """A hinge has started once lean rises past this (5 deg hysteresis over standing)."""
    depth_lean_deg: float = 40.0
    """A rep must reach this lean, else it was a nod. DESIGN 3.4 "past ~40 deg lean"."""
    bottom_release_deg: float = 8.0
    """The ascent starts once lean is this far below the deepest point so far."""
    bottom_arrival_deg: float = 3.0
    """The bottom is reached when lean first gets this close to its deepest value (a pause at
    the bottom is not part of the descent)."""
    rebound_deg: float = 10.0
    """During the ascent, a rise of this much above the lowest lean means a new descent."""
    stall_speed_dps: float = 12.0
    """Lean speed under this (deg/s) counts as 'not moving' for a stop short of standing."""
    stall_time_s: float = 0.45
    """A stop short of standing must last this long to end a rep (incomplete lockout)."""
    lockout_window_s: float = 0.5
    """After reaching standing, watch this long for leaning back before closing the rep."""
    min_descent_s: float = 0.12
    """Anything faster than this is a landmark glitch, not a movement (physiology)."""
    max_gap_s: float = 1.0
    """No usable pose for longer than this resets the tracker to UNKNOWN (needs standing)."""
    settle_s: float = 0.3
    """A rep must start from standing held at least this long (moving into position is not a rep)."""

    # --- faults -------------------------------------------------------------------------
    # Calibrated on MediaPipe angles from the labelled dev clips (../shared/clips/dev): the
    # lifts labelled correct reach knee flexion 45-93 deg (dumbbell RDL 46, kettlebell deadlift
    # from the floor 75-93, barbell deadlift 71-79) with knee/hip flexion ratios 0.42-0.80 and
    # shins at 8-30 deg; the squat-pattern clips reach knee 112-130 deg, ratio >= 0.93, shins
    # 28-41 deg, with the torso at only 22-37 deg. A fixed "<20 deg" knee rule (seed 001) would
    # fail every correct lift as MediaPipe measures it, so knees_forward tests the *pattern*.
    knee_hip_ratio_max: float = 0.87
    """knees_forward when knee flexion reaches this share of hip flexion (knee past 40 deg):
    the movement is knee-dominant. Seed 004 "the hinge is HIP dominant and the squat is KNEE
    dominant"; seed 002 "if your knees are drifting forward or your hips are dropping straight
    down, you've turned a hinge into a squat"."""
    knee_flexion_max_deg: float = 100.0
    """knees_forward when knee flexion passes this whatever the hips do (a squat's depth).
    Seed 000 "over-bending the knees ... more of a squat than a hinge"."""
    shin_angle_max_deg: float = 35.0
    """knees_forward when the shin tilts forward past this at the bottom. Seeds 001 and 002
    "keep the shins nearly vertical"; correct lifts reach 30 deg in MediaPipe's measure."""
    squat_depth_hip_deg: float = 80.0
    """A rep also counts as deep once hip flexion passes this (a squat-pattern rep keeps the
    torso under the 40 deg lean depth; it must still be counted, and flagged knees_forward)."""
    head_drop_max_deg: float = 10.0
    """back_rounding when the head angle at the bottom (median over the bottom window) is
    above this: head and upper back dropped towards the floor, off the hip-shoulder line. Seed
    002 dowel drill "If the dowel lifts off your head, you're dropping your chest too much";
    seeds 000, 003 rounding is the most dangerous mistake. In MediaPipe's measure the dev and
    hold-out lifts labelled correct, knee-dominant or hips-first bottom out at -28..+6 deg; the
    rounded-back kettlebell deadlifts of the same lifter at +9..+31 (median +18)."""
    head_lift_max_deg: float = 38.0
    """neck_extension when the head angle at the bottom is below minus this: head cranked up
    against the torso line. Seed 000 "looking up or down excessively"; seed 004 "tuck your
    chin". The labelled-correct RDL bottoms out at -28 deg in MediaPipe's measure."""
    bottom_window_deg: float = 12.0
    """The bottom window: frames with torso lean within this (and within 15 % of the peak) of
    the rep's deepest lean."""
    lean_back_max_deg: float = 10.0
    """hyperextension when the torso leans back past vertical by more than this at lockout.
    Seed 002 "overextending at the top ... no exaggerated lean backward"; seed 004. Correct
    lockouts on the dev clips: -6..+1 deg."""
    lockout_lean_max_deg: float = 15.0
    """incomplete_lockout when the rep ends with the torso still leaning more than this
    (same as standing). Seed 004 "start and end posture should be the same"."""
    min_descent_time_s: float = 0.4
    """too_fast when the descent takes less than this. DESIGN 3.4 "about half a second";
    seed 001 eccentric control; seed 002 fast movement is "hard to self-correct". Set just
    under half a second: the labelled-correct kettlebell deadlift descends in 0.45-0.93 s."""
    too_deep_lean_deg: float = 95.0
    """too_deep (a cue, not a fault) when peak lean passes parallel by 5 deg. Seed 004 "no need
    to go past 90 degrees"."""

    # --- kinematics ---------------------------------------------------------------------
    min_visibility: float = 0.5
    """Landmarks below this MediaPipe visibility are treated as missing."""
    min_chain_quality: float = 0.55
    """Mean visibility of shoulder, hip, knee, ankle needed to compute angles at all."""
    one_euro_min_cutoff_hz: float = 1.5
    """One Euro filter min cutoff: hinge reps run at ~0.3-1 Hz; jitter is above ~3 Hz."""
    one_euro_beta: float = 0.02
    """One Euro speed coefficient (per degree/s): less lag when the torso moves fast."""
    one_euro_d_cutoff_hz: float = 1.0
    """One Euro derivative cutoff (the filter authors' default)."""
    body_height_m: float = 1.70
    """Assumed standing height when no world landmarks give a metric scale (adult mean)."""


DEFAULT = Thresholds()
