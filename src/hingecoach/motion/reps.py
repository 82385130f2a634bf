"""The hinge rep tracker: a phase machine over smoothed torso lean, readable as a table.

::

    phase        guard (first match wins)          -> phase       action
    ----------   --------------------------------     ----------  ----------------------
    UNKNOWN      upright                              STANDING    start settling
    UNKNOWN      deep_and_still                       BOTTOM      begin rep from the floor
    STANDING     leaning_in and settled               DESCENDING  begin rep at last quiet moment
    STANDING     leaning_in and not settled           UNKNOWN     (moving into position)
    DESCENDING   upright                              STANDING    drop it: a nod, not a rep
    DESCENDING   deep                                 BOTTOM      -
    BOTTOM       rising_from_peak                     ASCENDING   -
    ASCENDING    deeper_than_peak                     BOTTOM      -
    ASCENDING    upright                              LOCKOUT     note the end time
    ASCENDING    rebounded_short                      DESCENDING  finish rep (short), begin next
    ASCENDING    stalled_short                        PAUSED      finish rep (short)
    LOCKOUT      leaning_in                           DESCENDING  finish rep, begin next
    LOCKOUT      lockout_window_over                  STANDING    finish rep
    PAUSED       upright                              STANDING    -
    PAUSED       leaving_pause                        DESCENDING  begin rep at the pause
    any          lost (no pose for max_gap_s)         UNKNOWN     drop a rep in progress

"upright" = lean < standing_lean_deg (15); "leaning_in" = lean > start_lean_deg (20);
"deep" = lean > depth_lean_deg (40). A rep that ends short of upright (rebounded_short,
stalled_short) is still a rep, flagged incomplete_lockout by the fault rules.

A rep may also start from the floor: a deadlift is set up bent over the bar or bell, and
its first rep is the lift from there. When the athlete is first seen (UNKNOWN) deep and
holding still for ``settle_s``, the rep begins at the bottom (deep_and_still). Its descent
was never seen, so it is not judged for tempo (too_fast).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hingecoach.motion.thresholds import DEFAULT, Thresholds, elapsed_s
from hingecoach.motion.types import Angles, Phase


@dataclass(slots=True)
class RepMetrics:
    """What is measured over one rep; turned into a :class:`~hingecoach.motion.types.Rep`."""

    start_s: float
    bottom_s: float = math.nan
    end_s: float = math.nan
    peak_lean: float = -math.inf
    peak_hip: float = -math.inf
    peak_knee: float = -math.inf
    peak_shin: float = -math.inf
    peak_travel: float | None = None
    lockout_lean: float = math.inf  # lowest lean from the end of the ascent on
    short: bool = False  # ended short of upright
    settled: bool = False  # back at the standing lean (end_s final)
    from_floor: bool = False  # began deep and still (a deadlift's first lift): no descent seen
    knee_at_half_travel: float | None = None
    _travel_path: list[tuple[float, float]] | None = None  # (hip travel, knee flexion)
    _lean_path: list[tuple[float, float]] = field(default_factory=list)  # (t, lean)
    _hip_path: list[tuple[float, float]] = field(default_factory=list)  # (t, raw hip flexion)
    _head_path: list[tuple[float, float, float]] = field(default_factory=list)  # lean, hip, head
    head_bottom: float = math.nan  # median head angle over the bottom window (set at finish)

    def bottom_head(self, window: float, by_hips: bool = False) -> float:
        """Median head angle over the frames near the bottom: within ``window`` degrees (and
        15 %) of the deepest lean - or of the deepest hip flexion for a squat-pattern rep."""
        if by_hips:
            floor = self.peak_hip - min(window, 0.15 * abs(self.peak_hip))
            vals = sorted(h for _, hip, h in self._head_path if hip >= floor)
        else:
            floor = self.peak_lean - min(window, 0.15 * abs(self.peak_lean))
            vals = sorted(h for lean, _, h in self._head_path if lean >= floor)
        if not vals:
            return math.nan
        mid = len(vals) // 2
        return vals[mid] if len(vals) % 2 else 0.5 * (vals[mid - 1] + vals[mid])

    def arrival_at_bottom(self, tolerance: float, by_hips: bool = False) -> float:
        """When the (raw, unsmoothed) lean - or, for a squat-pattern rep whose torso hardly
        moves, the hip flexion - first got within ``tolerance`` of its deepest value."""
        path = self._hip_path if by_hips and self._hip_path else self._lean_path
        floor = (self.peak_hip if path is self._hip_path else self.peak_lean) - tolerance
        prev_t = None
        for t, v in path:
            if v >= floor:
                # the arrival happened between the previous frame and this one
                return t if prev_t is None else 0.5 * (prev_t + t)
            prev_t = t
        return self.bottom_s

    def absorb(self, t: float, a: Angles, raw: Angles) -> None:
        """Take one frame: ``a`` smoothed angles (peaks), ``raw`` unsmoothed (timing, head)."""
        self._lean_path.append((t, raw.torso_lean))
        if not math.isnan(raw.hip_flexion):
            self._hip_path.append((t, raw.hip_flexion))
        if not math.isnan(raw.head_angle):
            # raw, so that the bottom window is not smeared by the smoother's lag
            self._head_path.append((raw.torso_lean, raw.hip_flexion, raw.head_angle))
        if a.torso_lean > self.peak_lean:
            self.peak_lean = a.torso_lean
        if a.hip_flexion > self.peak_hip:
            self.peak_hip = a.hip_flexion
        if a.knee_flexion > self.peak_knee:
            self.peak_knee = a.knee_flexion
        if a.shin_angle > self.peak_shin:
            self.peak_shin = a.shin_angle
        if a.hip_travel_m is not None:
            if self.peak_travel is None or a.hip_travel_m > self.peak_travel:
                self.peak_travel = a.hip_travel_m
            if self._travel_path is None:
                self._travel_path = []
            self._travel_path.append((a.hip_travel_m, a.knee_flexion))

    def knee_lead(self) -> float:
        """Knee flexion already reached when the hips had made half their backward travel.

        The wall drill's check (seed 001, method 2): knees shifting forward before the hips
        reach the wall show up as a lot of knee bend early in the hip travel.
        """
        path = self._travel_path
        if not path or self.peak_travel is None:
            return 0.0
        start = path[0][0]
        half = start + (self.peak_travel - start) * 0.5
        for travel, knee in path:
            if travel >= half:
                return knee
        return path[-1][1]


SQUAT_UPRIGHT_HIP_DEG = 45.0
"""Standing also needs the hips open: hip flexion under this (degrees)."""
SQUAT_START_HIP_DEG = 50.0
"""A descent also starts when hip flexion passes this, for squat-pattern reps (degrees)."""


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the rep tracker's table."""

    source: Phase
    guard: str
    target: Phase
    action: str = ""


TABLE: tuple[Transition, ...] = (
    Transition(Phase.UNKNOWN, "upright", Phase.STANDING, "settle"),
    Transition(Phase.UNKNOWN, "deep_and_still", Phase.BOTTOM, "begin_from_floor"),
    Transition(Phase.STANDING, "leaning_in_settled", Phase.DESCENDING, "begin"),
    Transition(Phase.STANDING, "leaning_in", Phase.UNKNOWN),
    Transition(Phase.DESCENDING, "upright", Phase.STANDING, "drop"),
    Transition(Phase.DESCENDING, "deep", Phase.BOTTOM),
    Transition(Phase.BOTTOM, "rising_from_peak", Phase.ASCENDING, "start_ascent"),
    Transition(Phase.ASCENDING, "deeper_than_peak", Phase.BOTTOM),
    Transition(Phase.ASCENDING, "upright", Phase.LOCKOUT, "reach_top"),
    Transition(Phase.ASCENDING, "rebounded_short", Phase.DESCENDING, "finish_short_and_begin"),
    Transition(Phase.ASCENDING, "stalled_short", Phase.PAUSED, "finish_stalled"),
    Transition(Phase.LOCKOUT, "leaning_in", Phase.DESCENDING, "finish_and_begin"),
    Transition(Phase.LOCKOUT, "lockout_window_over", Phase.STANDING, "finish"),
    Transition(Phase.PAUSED, "upright", Phase.STANDING, "settle_after_rep"),
    Transition(Phase.PAUSED, "leaving_pause", Phase.DESCENDING, "begin_from_pause"),
)


class RepTracker:
    """Feed smoothed angles frame by frame; collect completed :class:`RepMetrics`.

    ``update`` returns the list of reps finished on that frame (usually empty). ``log`` keeps
    every transition as ``(t, from, to)`` when ``record=True`` (for tests and debugging).
    """

    def __init__(self, thresholds: Thresholds = DEFAULT, *, record: bool = False) -> None:
        self.th = thresholds
        self.phase = Phase.UNKNOWN
        self.log: list[tuple[float, Phase, Phase]] | None = [] if record else None
        self._rows: dict[Phase, list[tuple[Callable[[], bool], Phase, Callable[[], None] | None]]] = {}
        for row in TABLE:
            guard = getattr(self, "_g_" + row.guard)
            action = getattr(self, "_a_" + row.action) if row.action else None
            self._rows.setdefault(row.source, []).append((guard, row.target, action))
        # signals of the current frame
        self.t = 0.0
        self.lean = 0.0
        self.raw_lean = 0.0
        self.raw_hip = math.nan
        self._raw: Angles = Angles(0.0, 0.0, 0.0, 0.0, math.nan)
        self._angles: Angles | None = None
        # state
        self._speed = 0.0  # smoothed lean speed, deg/s
        # recent frame intervals, s: their median is the frame period (a dropped frame does
        # not move it)
        self._frame_dts: deque[float] = deque(maxlen=9)
        self._prev: tuple[float, float] | None = None
        self._settle_since: float | None = None
        self._settled = False
        self._quiet_t = 0.0  # last moment the torso was near its standing lean
        self._rest_lean: float | None = None
        self._rep: RepMetrics | None = None
        self._trough = math.inf
        self._trough_t = 0.0
        self._stall_since: float | None = None
        self._still_since: float | None = None
        self._pause_lean = 0.0
        self._pause_hip = 0.0
        self._pause_t = 0.0
        self._done: list[RepMetrics] = []
        self._last_seen: float | None = None

    # -- public -----------------------------------------------------------------------
    def lost(self, t: float) -> list[RepMetrics]:
        """Call on frames with no usable pose. Resets after ``max_gap_s`` without one."""
        if self._last_seen is not None and elapsed_s(t, self._last_seen) > self.th.max_gap_s:
            if self.phase is not Phase.UNKNOWN:
                self._go(t, Phase.UNKNOWN)
            self._rep = None
            self._settled = False
            self._settle_since = None
            self._prev = None
        return []

    def finish(self) -> list[RepMetrics]:
        """End of stream: a rep already back up (LOCKOUT) is complete; one mid-way is not."""
        self._done = []
        if self.phase is Phase.LOCKOUT:
            self._finish()
            self._go(self.t, Phase.STANDING)
        return self._done

    def update(self, t: float, a: Angles, raw: Angles | None = None) -> list[RepMetrics]:
        """Advance one frame: ``a`` smoothed angles (phases), ``raw`` unsmoothed (timings)."""
        th = self.th
        self._raw = a if raw is None else raw
        self.raw_lean = self._raw.torso_lean
        self.raw_hip = self._raw.hip_flexion
        if self._last_seen is not None and elapsed_s(t, self._last_seen) > th.max_gap_s:
            self.lost(t)
        self._last_seen = t
        self.t, self.lean, self._angles = t, a.torso_lean, a
        self._track_speed(t, a.torso_lean)
        self._track_baselines(a)
        self._done = []
        if self._rep is not None:
            self._rep.absorb(t, a, self._raw)
            self._track_extremes()
        if self.phase is Phase.LOCKOUT and self._rep is not None:
            rep = self._rep
            rep.lockout_lean = min(rep.lockout_lean, a.torso_lean)
            if not rep.settled and self._quiet_t == t:
                rep.end_s = t  # the rep ends when the torso is back at its standing lean
                rep.settled = True
        # At most a few transitions per frame (e.g. LOCKOUT -> DESCENDING); stop on a fixpoint.
        for _ in range(3):
            for guard, target, action in self._rows.get(self.phase, ()):
                if guard():
                    source = self.phase
                    if action:
                        action()
                    self._go(t, target, source)
                    break
            else:
                break
        return self._done

    @property
    def rep_from(self) -> float | None:
        """When the rep under way began; between reps, when a rep begun from here would be
        dated from (:class:`~hingecoach.motion.types.MotionUpdate`'s ``rep_from``)."""
        if self._rep is not None:
            return self._rep.start_s
        if self.phase is Phase.STANDING:
            return self._quiet_start()
        if self.phase is Phase.PAUSED:
            return self._pause_t
        return None  # UNKNOWN: a rep would begin from the floor, when it is seen

    def _quiet_start(self) -> float:
        """A rep begun from standing began between the last quiet frame and the next one."""
        frame_dt = statistics.median(self._frame_dts) if self._frame_dts else 1 / 30
        return self._quiet_t + 0.5 * frame_dt

    # -- bookkeeping ------------------------------------------------------------------
    def _go(self, t: float, target: Phase, source: Phase | None = None) -> None:
        source = self.phase if source is None else source
        if self.log is not None and source is not target:
            self.log.append((t, source, target))
        self.phase = target

    def _track_speed(self, t: float, lean: float) -> None:
        if self._prev is not None:
            dt = t - self._prev[0]
            if 0 < dt < 0.5:
                self._frame_dts.append(dt)
            if dt > 0:
                v = (lean - self._prev[1]) / dt
                k = min(1.0, dt / 0.15)  # ~0.15 s time constant
                self._speed += k * (v - self._speed)
        self._prev = (t, lean)

    def _track_baselines(self, a: Angles) -> None:
        still = abs(self._speed) < self.th.stall_speed_dps
        if (self.phase in (Phase.STANDING, Phase.UNKNOWN) and still
                and a.torso_lean < self.th.standing_lean_deg):
            rest = self._rest_lean
            self._rest_lean = a.torso_lean if rest is None else rest + 0.05 * (a.torso_lean - rest)
        # Quiet = near the usual standing lean. A lean-back at lockout is not the usual lean.
        rest = max(self._rest_lean, 0.0) if self._rest_lean is not None else 0.0
        hip = self.raw_hip
        hips_quiet = math.isnan(hip) or hip <= SQUAT_UPRIGHT_HIP_DEG
        if self.raw_lean <= min(rest + 4.0, self.th.standing_lean_deg) and hips_quiet:
            self._quiet_t = self.t
        if (self.phase is Phase.PAUSED and self.raw_lean <= self._pause_lean + 3.0
                and (math.isnan(hip) or hip <= self._pause_hip + 8.0)):
            self._pause_t = self.t  # still holding the short finish: the next rep starts later

    # -- guards -------------------------------------------------------------------------
    def _hip(self) -> float:
        a = self._angles
        return a.hip_flexion if a is not None and not math.isnan(a.hip_flexion) else 0.0

    def _g_upright(self) -> bool:
        # upright torso and hips open (an upright-torso squat bottom is not standing)
        return self.lean < self.th.standing_lean_deg and self._hip() < SQUAT_UPRIGHT_HIP_DEG

    def _g_leaning_in(self) -> bool:
        return self.lean > self.th.start_lean_deg or self._hip() > SQUAT_START_HIP_DEG

    def _g_leaning_in_settled(self) -> bool:
        if not self._settled and self._settle_since is not None:
            self._settled = elapsed_s(self.t, self._settle_since) >= self.th.settle_s
        return self._settled and self._g_leaning_in()

    def _g_deep_and_still(self) -> bool:
        th = self.th
        if self.lean <= th.depth_lean_deg or abs(self._speed) > th.stall_speed_dps:
            self._still_since = None
            return False
        if self._still_since is None:
            self._still_since = self.t
        return elapsed_s(self.t, self._still_since) >= th.settle_s

    def _g_deep(self) -> bool:
        return self.lean > self.th.depth_lean_deg or self._hip() > self.th.squat_depth_hip_deg

    def _g_rising_from_peak(self) -> bool:
        rep = self._rep
        return rep is not None and self.lean < rep.peak_lean - self.th.bottom_release_deg

    def _g_deeper_than_peak(self) -> bool:
        rep = self._rep
        return rep is not None and self.lean >= rep.peak_lean

    def _g_rebounded_short(self) -> bool:
        return (self._trough <= self.th.depth_lean_deg
                and self.lean > self._trough + self.th.rebound_deg)

    def _g_stalled_short(self) -> bool:
        th = self.th
        if self.lean > th.depth_lean_deg or abs(self._speed) > th.stall_speed_dps:
            self._stall_since = None
            return False
        if self._stall_since is None:
            self._stall_since = self.t
        return elapsed_s(self.t, self._stall_since) >= th.stall_time_s

    def _g_lockout_window_over(self) -> bool:
        rep = self._rep
        return rep is None or elapsed_s(self.t, rep.end_s) >= self.th.lockout_window_s

    def _g_leaving_pause(self) -> bool:
        if self.lean > self._pause_lean + self.th.rebound_deg:
            return True
        hip = self._hip()  # a squat-pattern rep from the pause barely changes the lean
        return hip > SQUAT_START_HIP_DEG and hip > self._pause_hip + 2 * self.th.rebound_deg

    # -- actions ------------------------------------------------------------------------
    def _a_settle(self) -> None:
        self._settle_since = self.t
        self._settled = False

    def _a_settle_after_rep(self) -> None:
        self._settle_since = self.t
        self._settled = True

    def _begin(self, start: float) -> None:
        self._rep = RepMetrics(start_s=start)
        self._trough = math.inf
        self._stall_since = None
        if self._angles is not None:
            self._rep.absorb(self.t, self._angles, self._raw)

    def _a_begin(self) -> None:
        self._begin(self._quiet_start())

    def _a_begin_from_floor(self) -> None:
        self._begin(self.t)
        if self._rep is not None:
            self._rep.from_floor = True

    def _a_begin_from_pause(self) -> None:
        self._begin(self._pause_t)

    def _a_drop(self) -> None:
        self._rep = None

    def _a_start_ascent(self) -> None:
        self._trough = self.lean
        self._trough_t = self.t
        self._stall_since = None

    def _a_reach_top(self) -> None:
        if self._rep is not None:
            self._rep.end_s = self.t
            self._rep.lockout_lean = self.lean

    def _finish(self) -> None:
        rep = self._rep
        self._rep = None
        if rep is None:
            return
        squat_pattern = rep.peak_lean <= self.th.depth_lean_deg
        rep.bottom_s = rep.arrival_at_bottom(self.th.bottom_arrival_deg, by_hips=squat_pattern)
        rep.head_bottom = rep.bottom_head(self.th.bottom_window_deg, by_hips=squat_pattern)
        if math.isnan(rep.bottom_s):
            rep.bottom_s = rep.start_s
        self._done.append(rep)
        self._settled = True

    def _a_finish(self) -> None:
        self._settle_since = self.t
        self._finish()

    def _a_finish_and_begin(self) -> None:
        self._finish()
        self._begin(self._quiet_t if self._quiet_t > self.t - 1.0 else self.t)

    def _a_finish_short_and_begin(self) -> None:
        rep = self._rep
        if rep is not None:
            rep.end_s = self._trough_t
            rep.lockout_lean = self._trough
            rep.short = True
        start = self._trough_t
        self._finish()
        self._begin(start)

    def _a_finish_stalled(self) -> None:
        rep = self._rep
        if rep is not None:
            rep.end_s = self._stall_since if self._stall_since is not None else self.t
            rep.lockout_lean = self.lean
            rep.short = True
        self._pause_lean = self.lean
        self._pause_hip = self._hip()
        self._pause_t = self.t
        self._finish()

    def _track_extremes(self) -> None:
        """The bottom follows the deepest lean; the trough the lowest lean of the ascent."""
        rep = self._rep
        if rep is not None and self.phase in (Phase.BOTTOM, Phase.DESCENDING, Phase.ASCENDING):
            if self.lean >= rep.peak_lean:
                rep.bottom_s = self.t
            if self.phase is Phase.ASCENDING and self.lean < self._trough:
                self._trough = self.lean
                self._trough_t = self.t
