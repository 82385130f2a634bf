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

Pure and deterministic: time is what callers pass in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from hingecoach.coach.cues import Cue, words
from hingecoach.coach.settings import DEFAULT, CoachSettings


@dataclass
class Spoken:
    """A cue that was said: ``start`` is when the speaker began it (>= cue.t)."""

    cue: Cue
    start: float
    end: float


@dataclass
class CueScheduler:
    settings: CoachSettings = DEFAULT
    busy_until: float = float("-inf")
    spoken: list[Spoken] = field(default_factory=list)
    dropped: list[Cue] = field(default_factory=list)

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
            self.spoken.append(Spoken(said, start, end))
            out.append(said)
        return out

    @property
    def last(self) -> Cue | None:
        """The last cue said (for a repeat request)."""
        return self.spoken[-1].cue if self.spoken else None
