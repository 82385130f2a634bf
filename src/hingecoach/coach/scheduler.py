"""CueScheduler: decides which proposed cues are actually spoken, and when.

Rules (issue 4, "Cue engine"):

- The speaker does one thing at a time. Each spoken cue occupies it for an estimated
  ``overhead + words / rate`` seconds of frame time.
- A cue that cannot begin within ``max_cue_delay_s`` of its moment is *stale* and dropped,
  never queued: a correction about a rep three reps ago is worse than silence.
- When several cues are offered at the same moment, the highest priority wins; the
  rest are dropped (they can come back next rep if still true).
- ``urgent`` cues (answers to the user's own requests, summaries) are always said; they
  start as soon as the speaker is free, however long that takes.
- A cue planned but not yet begun can be taken back (:meth:`CueScheduler.withdraw`: a level
  announcement that a newer level change made stale); what was planned after it moves up.
  ``spoken`` is the plan: the caller says a cue only once its ``start`` has come.

Pure and deterministic: time is what callers pass in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hingecoach.coach.cues import Cue, words
from hingecoach.coach.settings import DEFAULT, CoachSettings


@dataclass
class Spoken:
    """A cue that was said: ``start`` is when the speaker began it (>= cue.t), ``asked`` the
    moment it was offered for."""

    cue: Cue
    start: float
    end: float
    asked: float


@dataclass
class CueScheduler:
    settings: CoachSettings = DEFAULT
    busy_until: float = float("-inf")
    spoken: list[Spoken] = field(default_factory=list)
    dropped: list[Cue] = field(default_factory=list)
    withdrawn: list[Cue] = field(default_factory=list)

    def duration(self, text: str) -> float:
        """Estimated speaking time of ``text``, seconds."""
        s = self.settings
        return s.cue_overhead_s + len(words(text)) / s.words_per_s

    def offer(self, cues: list[Cue]) -> list[Cue]:
        """Offer the cues proposed at one moment; returns those that will be spoken, in order,
        each with ``t`` set to when the speaker will begin it."""
        out: list[Cue] = []
        ordered = sorted(cues, key=lambda c: (not c.urgent, -c.priority))
        took_normal = False
        for cue in ordered:
            start = max(cue.t, self.busy_until)
            if not cue.urgent:
                limit = self.settings.max_cue_delay_s if cue.max_delay_s is None else cue.max_delay_s
                if took_normal or start - cue.t > limit:
                    self.dropped.append(cue)
                    continue
                took_normal = True
            end = start + self.duration(cue.text)
            self.busy_until = end
            said = replace(cue, t=start) if start != cue.t else cue
            self.spoken.append(Spoken(said, start, end, cue.t))
            out.append(said)
        return out

    def withdraw(self, cues: list[Cue], now: float) -> list[Cue]:
        """Take back ``cues`` (as :meth:`offer` returned them), planned to begin after ``now``
        and not said yet; they go to ``withdrawn``. Every cue planned after the first of them
        moves up, each as early as its own moment, the one before it and ``now`` allow, keeping
        its length. Returns those, re-timed, in order (the caller holds them: none has begun)."""
        gone = {id(c) for c in cues}
        first = next((i for i, sp in enumerate(self.spoken) if id(sp.cue) in gone), None)
        if first is None:
            return []
        assert all(sp.start > now for sp in self.spoken[first:]), "a cue already begun"
        later, self.spoken = self.spoken[first:], self.spoken[:first]
        self.busy_until = self.spoken[-1].end if self.spoken else float("-inf")
        moved: list[Cue] = []
        for sp in later:
            if id(sp.cue) in gone:
                self.withdrawn.append(sp.cue)
                continue
            start = max(sp.asked, self.busy_until, now)
            end = start + (sp.end - sp.start)
            said = replace(sp.cue, t=start) if start != sp.start else sp.cue
            self.spoken.append(Spoken(said, start, end, sp.asked))
            self.busy_until = end
            moved.append(said)
        return moved

    def heard(self, now: float) -> Cue | None:
        """The last cue begun by ``now``, playing or over: the last thing the user heard (what
        a repeat request says again). Not the last one planned: that one may begin later, behind
        the line playing, and a cue not begun yet may still be withdrawn, never to be said."""
        for sp in reversed(self.spoken):
            if sp.start <= now:
                return sp.cue
        return None
