"""No self-triggering: check that the coach's own phrases are never taken as commands.

The live app gates the microphone while the speaker plays (``Speaker.is_speaking`` +
tail), so the coach should never hear itself. This is the second line of defence and
a design-time check for the cue catalogue: every cue phrase, as text AND spoken by
espeak-ng through the real recogniser, must map to no intent.

Use from tests with the coach's catalogue::

    from hingecoach.audio.safety import recognise_text_safety
    assert recognise_text_safety(all_cue_phrases) == []
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hingecoach.audio.corpus import Condition, render
from hingecoach.audio.intents import parse_command
from hingecoach.audio.recognisers import Recogniser, make_recogniser

#: Voices the check speaks each phrase in (the coach's own TTS voice first).
SAFETY_CONDITIONS: tuple[Condition, ...] = (
    Condition("en-us", 165),
    Condition("en-gb", 175),
    Condition("en-us+f3", 150, "pink", 20.0),
)


@dataclass(frozen=True)
class CueConflict:
    """A cue phrase that came out as a command.

    Attributes:
        phrase: the cue text.
        how: ``text`` (the phrase itself parses as a command) or a speaking condition label.
        intent: the intent it triggered.
        heard: what the recogniser heard.
    """

    phrase: str
    how: str
    intent: str
    heard: str


def text_conflicts(phrases: Iterable[str]) -> list[CueConflict]:
    """Phrases that ARE commands as text (cheap; no audio)."""
    out = []
    for p in phrases:
        intent = parse_command(p)
        if intent is not None:
            out.append(CueConflict(p, "text", intent.name, intent.text))
    return out


def recognise_text_safety(
    phrases: Iterable[str],
    recogniser: Recogniser | None = None,
    conditions: Iterable[Condition] = SAFETY_CONDITIONS,
) -> list[CueConflict]:
    """Every way a phrase list can trigger a command: as text, and spoken by espeak-ng
    in each of ``conditions`` through ``recogniser`` (default: the app's recogniser).
    Returns the conflicts; an empty list means the catalogue is safe."""
    items = [p for p in dict.fromkeys(phrases) if p.strip()]
    conflicts = text_conflicts(items)
    rec = recogniser or make_recogniser("auto")
    for i, phrase in enumerate(items):
        for cond in conditions:
            result = rec.recognise(render(phrase, cond, seed=i))
            if result.intent is not None:
                conflicts.append(CueConflict(phrase, cond.label, result.intent.name, result.text))
    return conflicts
