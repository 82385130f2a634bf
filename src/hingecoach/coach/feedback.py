"""Per-rep feedback: which correction, praise or count a finished rep deserves.

The rules (issue 4 "Cue engine"; DESIGN 1 safety first):

- At most one cue per rep; the candidates are ranked and the scheduler says the best one.
- Corrections: the most important problem first (:data:`~hingecoach.coach.cues.CORRECTION_ORDER`).
  A back that rounds or a too-deep rep is mentioned the first time it is seen (safety);
  anything else once it is a pattern (``pattern_hits`` of the last ``pattern_window`` reps),
  so a single noisy rep never earns a correction, and a fault on every rep is corrected by
  the second rep (the third if the speaker was busy).
- A persistent fault is corrected again only after ``correction_repeat_reps`` reps and
  ``correction_repeat_s`` seconds.
- Praise when a corrected fault disappears, on a rep with no safety problem (:data:`SAFETY`)
  and nothing as important left; a little praise for a clean streak.
- Counts on every ``count_every``-th rep (the set summary says the total).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hingecoach.coach.cues import CORRECTION_ORDER
from hingecoach.coach.settings import DEFAULT, CoachSettings

IMMEDIATE: frozenset[str] = frozenset({"back_rounding", "too_deep"})
"""Problems corrected the first time they are seen (seeds 000, 003: rounding is the most
dangerous mistake; seed 004 "no need to go past 90 degrees")."""

SAFETY: frozenset[str] = frozenset({"back_rounding", "knees_forward", "neck_extension", "too_deep",
                                    "hyperextension"})
"""Problems no praise is said over (DESIGN 1: back and knee faults outrank tempo or lockout
polish): "Good depth, right there" on a rep whose back rounded tells the athlete the rep was
good."""

PRIORITY_PROGRESSION = 95
PRIORITY_CORRECTION = 90  # minus the position in CORRECTION_ORDER
PRIORITY_FIXED = 70
PRIORITY_COUNT = 60
PRIORITY_STREAK = 50


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cue a rep could earn: ``cue_id`` in the catalogue, with values for its phrasing."""

    cue_id: str
    priority: int
    fault: str | None = None
    values: tuple[tuple[str, object], ...] = ()


@dataclass
class RepFeedback:
    """Memory of one set's reps and what was said about them."""

    settings: CoachSettings = DEFAULT
    history: deque[tuple[str, ...]] = field(default_factory=deque)
    reps: int = 0
    corrected: dict[str, tuple[int, float]] = field(default_factory=dict)
    """fault -> (rep number, time) of its last spoken correction."""
    awaiting_fix: dict[str, int] = field(default_factory=dict)
    """fault -> rep number of the correction, until the fault disappears (then praise)."""
    clean_streak: int = 0
    streak_praised: bool = False
    squat_dips: int = 0
    """Squat-like dips seen this set (knees bent, hips never folded: no rep counted)."""
    squat_at: int = 0
    """``squat_dips`` when a squat last earned a correction."""

    def candidates(self, t: float, problems: tuple[str, ...], target: int) -> list[Candidate]:
        """Record a finished rep and list the cues it could earn, best first."""
        s = self.settings
        self.reps += 1
        n = self.reps
        self.history.append(problems)
        while len(self.history) > s.pattern_window:
            self.history.popleft()
        out: list[Candidate] = []
        order = {f: i for i, f in enumerate(CORRECTION_ORDER)}
        for p in problems:
            if p not in order:
                continue
            hits = sum(1 for h in self.history if p in h)
            last = self.corrected.get(p)
            if last is None:
                due = p in IMMEDIATE or hits >= s.pattern_hits
            else:
                due = (n - last[0] >= s.correction_repeat_reps
                       and t - last[1] >= s.correction_repeat_s)
            if due:
                out.append(Candidate(f"fix.{p}", PRIORITY_CORRECTION - order[p], p))
        for fault, _ in sorted(self.awaiting_fix.items(), key=lambda kv: order.get(kv[0], 99)):
            # praise for the fix only on a rep where nothing as important, and no safety
            # problem, is left (else it waits for a later rep, until it expires)
            if fault not in problems and all(
                    p not in SAFETY and order.get(p, 99) > order.get(fault, 99) for p in problems):
                out.append(Candidate(f"fixed.{fault}", PRIORITY_FIXED, fault))
        if problems:
            self.clean_streak = 0
            self.streak_praised = False
        else:
            self.clean_streak += 1
            if self.clean_streak >= s.good_streak and not self.streak_praised:
                out.append(Candidate("praise.streak", PRIORITY_STREAK))
        if n % s.count_every == 0 and n < target:
            out.append(Candidate("count.n", PRIORITY_COUNT, values=(("n", n),)))
        out.sort(key=lambda c: -c.priority)
        return out

    def squat_candidates(self, t: float) -> list[Candidate]:
        """A squat-like dip (no rep): treated as one more sighting of ``knees_forward``."""
        s = self.settings
        self.squat_dips += 1
        last = self.corrected.get("knees_forward")
        if last is None:
            due = self.squat_dips >= s.pattern_hits
        else:
            due = (self.squat_dips - self.squat_at >= s.correction_repeat_reps
                   and t - last[1] >= s.correction_repeat_s)
        if not due:
            return []
        self.squat_at = self.squat_dips
        order = CORRECTION_ORDER.index("knees_forward")
        return [Candidate("fix.knees_forward", PRIORITY_CORRECTION - order, "knees_forward")]

    def said(self, t: float, cand: Candidate) -> None:
        """Tell the memory which candidate was actually spoken."""
        if cand.cue_id.startswith("fix.") and cand.fault:
            self.corrected[cand.fault] = (self.reps, t)
            self.awaiting_fix[cand.fault] = self.reps
        elif cand.cue_id.startswith("fixed.") and cand.fault:
            self.awaiting_fix.pop(cand.fault, None)
        elif cand.cue_id == "praise.streak":
            self.streak_praised = True

    def expire(self) -> None:
        """Forget pending praise that is more than a few reps old (the moment has passed)."""
        for fault, rep_no in list(self.awaiting_fix.items()):
            if self.reps - rep_no > self.settings.correction_repeat_reps + 1:
                del self.awaiting_fix[fault]
