"""Voice-command intents: the small, stable contract between the recogniser and the coach.

A recogniser (or a scripted ``run --commands "0.5:start hinge drill"``) produces an
:class:`Intent`; the coach consumes it. The accepted phrases are listed once, in
:data:`COMMAND_PHRASES`; the recognisers' grammars are generated from that same table
(:mod:`hingecoach.audio.grammar`), so the text parser and the speech grammar can never
disagree.

Pure module: no I/O, no heavy imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Every intent name the coach must handle. ``start_drill`` carries ``slots["drill"]``.
INTENT_NAMES: tuple[str, ...] = (
    "start_drill",
    "stop",
    "pause",
    "resume",
    "next_level",
    "previous_level",
    "count",
    "repeat",
    "help",
    "louder",
    "quieter",
)

#: Values of the ``drill`` slot of ``start_drill``.
DRILLS: tuple[str, ...] = ("hinge", "wall")


@dataclass(frozen=True)
class Intent:
    """One understood voice command.

    Attributes:
        name: one of :data:`INTENT_NAMES`.
        slots: intent parameters, e.g. ``{"drill": "hinge"}`` for ``start_drill``; ``{}`` otherwise.
        text: the words heard (recogniser output) or typed, normalised to lower case.
        confidence: 0..1; 1.0 for typed/scripted commands, the recogniser's
            acceptance score for speech.
    """

    name: str
    slots: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    confidence: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """The ``listen --json`` shape (without the null case)."""
        return {
            "intent": self.name,
            "slots": dict(self.slots),
            "text": self.text,
            "confidence": round(float(self.confidence), 3),
        }


def _start(drill: str) -> tuple[str, dict[str, str]]:
    return ("start_drill", {"drill": drill})


#: Accepted phrase (lower case, words separated by one space) -> (intent name, slots).
#: The issue's required list, plus a few natural variants ("begin the ... drill").
COMMAND_PHRASES: dict[str, tuple[str, dict[str, str]]] = {
    "start hinge drill": _start("hinge"),
    "start the hinge drill": _start("hinge"),
    "begin hinge drill": _start("hinge"),
    "begin the hinge drill": _start("hinge"),
    "start wall drill": _start("wall"),
    "start the wall drill": _start("wall"),
    "begin wall drill": _start("wall"),
    "begin the wall drill": _start("wall"),
    "stop": ("stop", {}),
    "end session": ("stop", {}),
    "end the session": ("stop", {}),
    "pause": ("pause", {}),
    "hold on": ("pause", {}),
    "resume": ("resume", {}),
    "continue": ("resume", {}),
    "next level": ("next_level", {}),
    "harder": ("next_level", {}),
    "previous level": ("previous_level", {}),
    "easier": ("previous_level", {}),
    "how many": ("count", {}),
    "how many reps": ("count", {}),
    "repeat": ("repeat", {}),
    "say that again": ("repeat", {}),
    "help": ("help", {}),
    "what can i say": ("help", {}),
    "louder": ("louder", {}),
    "quieter": ("quieter", {}),
}

#: Politeness words the text parser ignores at either end of a typed command
#: ("please stop", "pause please", "okay next level"). The speech grammar does not
#: include them (fewer words in the grammar = fewer false accepts).
_FILLERS = ("please", "okay", "ok", "coach", "hey")

_NON_WORD = re.compile(r"[^a-z' ]+")


def normalise(text: str) -> str:
    """Lower-case, drop punctuation and extra spaces: ``"Start the Hinge-Drill!"`` ->
    ``"start the hinge drill"``."""
    text = text.lower().replace("-", " ")
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.split())


def parse_command(text: str, confidence: float = 1.0) -> Intent | None:
    """Map typed or recognised text to an :class:`Intent`, or ``None`` if it is not a command.

    Whole-phrase match only (after :func:`normalise` and trimming polite fillers at
    the ends): ``"stop"`` is a command, ``"stop at the wall"`` is not. That is what
    keeps coaching cues that merely *contain* a command word from triggering one.
    """
    words = normalise(text).split()
    while words and words[0] in _FILLERS:
        words.pop(0)
    while words and words[-1] in _FILLERS:
        words.pop()
    phrase = " ".join(words)
    hit = COMMAND_PHRASES.get(phrase)
    if hit is None:
        return None
    name, slots = hit
    return Intent(name=name, slots=dict(slots), text=phrase, confidence=confidence)


def phrases_for(intent_name: str) -> list[str]:
    """The accepted phrases for one intent (for ``help`` answers and tests)."""
    if intent_name not in INTENT_NAMES:
        raise ValueError(f"unknown intent {intent_name!r}; known: {', '.join(INTENT_NAMES)}")
    return [p for p, (name, _) in COMMAND_PHRASES.items() if name == intent_name]


def parse_command_script(spec: str) -> list[tuple[float, str]]:
    """Parse ``run --commands`` text: ``"0.5:start hinge drill; 12:pause"`` ->
    ``[(0.5, "start hinge drill"), (12.0, "pause")]`` (seconds, phrase).

    Raises ``ValueError`` naming the bad item; callers turn it into an InputError.
    Phrases are not validated here: pair with :func:`parse_command`.
    """
    out: list[tuple[float, str]] = []
    for item in re.split(r"[;,\n]", spec):
        item = item.strip()
        if not item:
            continue
        t_text, sep, phrase = item.partition(":")
        if not sep or not phrase.strip():
            raise ValueError(f"command {item!r} is not SECONDS:PHRASE (e.g. '0.5:start hinge drill')")
        try:
            t = float(t_text)
        except ValueError:
            raise ValueError(f"command {item!r}: {t_text!r} is not a time in seconds") from None
        out.append((t, phrase.strip()))
    return sorted(out, key=lambda tp: tp[0])
