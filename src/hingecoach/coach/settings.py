"""Every number the coach decides with, in one place, with its unit and its source.

Seeds are the coaching articles in ``../shared/seeds``: 000 MovementHQ "Hip Hinge 101",
001 "Why the hip hinge will make or break your big lifts", 002 hip hinge explainer (wall and
dowel drills), 003 "Understanding the hip hinge", 004 "Hip hinge: an easy to understand
guide". The motion core's thresholds (what counts as a fault) live in
:mod:`hingecoach.motion.thresholds`; these are about *when and how often to talk*.
All times are seconds of frame time, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CoachSettings:
    # --- setup loop (DESIGN 3.5 "Setup") ------------------------------------------------
    setup_debounce_s: float = 0.6
    """A framing problem must persist this long before it is mentioned (one bad frame is noise)."""
    setup_ok_hold_s: float = 0.5
    """The framing must be fine for this long before calibration begins."""
    setup_repeat_s: float = 7.0
    """The same setup instruction is said again at most this often ("repeated sparingly")."""
    setup_repeat_growth: float = 1.5
    """Each repeat of the same setup instruction waits this much longer than the last one."""
    min_quality: float = 0.6
    """Mean landmark visibility below this = too dark / too blurry (MediaPipe visibility)."""
    min_height_frac: float = 0.40
    """Standing body height under this share of the image height = too far away."""
    max_height_frac: float = 0.92
    """Over this share of the image height = too close (no room for the hinge)."""
    edge_margin: float = 0.01
    """A confident landmark bbox touching the image edge this closely counts as cut off."""

    # --- calibration (DESIGN 3.5 "stand tall and still") ---------------------------------
    calibrate_s: float = 2.0
    """Stand tall and still this long to take the baseline (DESIGN 3.5: ~2 s)."""
    calibrate_max_range_deg: float = 6.0
    """Torso lean wandering more than this during calibration = moving; start again."""
    calibrate_give_up_s: float = 12.0
    """Never still for this long in calibration (an athlete already exercising): start the
    set without a baseline rather than nag; the motion core keeps its own baseline."""
    calibrate_max_lean_deg: float = 15.0
    """Leaning more than this is not 'standing tall' (DESIGN 3.4 standing threshold)."""

    # --- sets (DESIGN 3.5; seed 004 "Aim for 12 - 15 reps") -------------------------------
    hinge_target_reps: int = 10
    """Free hinge set length: DESIGN 3.5 "sets of 8-15 reps"."""
    drill_target_reps: int = 8
    """Wall / hip-crease / dowel drill set length (short sets: it is practice, not work)."""
    set_idle_end_s: float = 20.0
    """After at least one rep, this long without a rep ends the set."""
    rest_s: float = 60.0
    """Rest between sets before the coach calls the next one."""
    away_s: float = 3.0
    """During a set, out of the picture this long earns a 'come back into view' cue."""

    # --- cue timing ---------------------------------------------------------------------
    words_per_s: float = 2.6
    """Speaking rate used to estimate how long a cue occupies the speaker (espeak ~160 wpm)."""
    cue_overhead_s: float = 0.3
    """Fixed start-up time added to every cue's speaking estimate."""
    max_cue_delay_s: float = 0.8
    """A cue that could not start within this long of its moment is dropped, never queued."""
    setup_cue_delay_s: float = 6.0
    """Setup and calibration instructions may wait this long for the speaker (one long
    instruction is ~5 s); later than that the moment has passed and they are dropped. They
    are also dropped when the session has moved on (the athlete already did it)."""
    correction_repeat_reps: int = 3
    """A persistent fault is corrected again only after this many reps..."""
    correction_repeat_s: float = 12.0
    """...and this many seconds since its last correction."""
    pattern_window: int = 3
    """A fault is 'a pattern' when it shows in ``pattern_hits`` of the last this-many reps."""
    pattern_hits: int = 2
    count_every: int = 5
    """Rep counts are spoken on every this-many-th rep and on the last rep of a set."""
    good_streak: int = 4
    """Unprompted praise after this many clean reps in a row (at most once per streak)."""

    # --- wall drill (seed 002 "about six inches ... step an inch or two further";
    #     seed 004 "a foot or so"; seed 001 "3-5 inches") ----------------------------------
    wall_ladder_cm: tuple[float, ...] = (15.0, 20.0, 25.0, 30.0)
    """Heel-to-wall distances, centimetres; one rung past the last is 'no wall'."""
    wall_ladder_in: tuple[float, ...] = (6.0, 8.0, 10.0, 12.0)
    """The same ladder in inches (2 in steps; seed 002 "an inch or two")."""
    wall_promote_clean: int = 5
    """Clean reps in a row at one distance before stepping further away."""
    wall_demote_faulty: int = 3
    """Faulty reps among the last ``wall_demote_window`` at one distance = step back in."""
    wall_demote_window: int = 4
    wall_contact_allowance_m: float = 0.05
    """The hip joint sits ~5 cm in front of the buttocks' back and the ankle ~5 cm ahead of
    the heel, so touching a wall D behind the heels needs hip travel of about D - 5 cm."""
    wall_reach_tolerance_m: float = 0.04
    """Hip travel may fall this far short of the estimate and still count as touching."""
    knee_lead_max_deg: float = 30.0
    """Wall drill: knee flexion already past this before the hips are halfway back =
    knees moving first (seed 001 "knees shifting excessively forward before making
    contact"). Clean synthetic reps measure 5-16 deg here, knee-first ones 45+."""


DEFAULT = CoachSettings()
