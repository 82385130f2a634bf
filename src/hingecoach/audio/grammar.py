"""The command grammar, generated from :data:`hingecoach.audio.intents.COMMAND_PHRASES`.

One source of truth: the JSGF grammar (PocketSphinx) and the JSON phrase list (Vosk) are
both built from the intent table, and the pronunciations of words the bundled CMU
dictionary may lack are given here.
"""

from __future__ import annotations

import json

from hingecoach.audio.intents import COMMAND_PHRASES

#: Extra pronunciations (CMU/ARPAbet) for grammar words that are missing from, or
#: poorly covered by, the bundled en-us dictionary. Alternatives get a ``(2)`` suffix.
EXTRA_PRONUNCIATIONS: dict[str, str] = {
    "reps": "R EH P S",
}


def command_phrases() -> list[str]:
    """Every accepted phrase, lower case, in table order."""
    return list(COMMAND_PHRASES)


def grammar_words() -> list[str]:
    """The vocabulary of the grammar (sorted, unique)."""
    return sorted({w for p in COMMAND_PHRASES for w in p.split()})


def jsgf(name: str = "commands") -> str:
    """A JSGF grammar whose public rule matches exactly one command phrase."""
    alts = "\n    | ".join(f"( {p} )" for p in command_phrases())
    return f"#JSGF V1.0;\ngrammar {name};\npublic <command> =\n      {alts}\n    ;\n"


def vosk_grammar(with_unknown: bool = True) -> str:
    """Vosk's grammar: a JSON list of phrases; ``"[unk]"`` lets it say "none of these"."""
    phrases = command_phrases()
    if with_unknown:
        phrases = [*phrases, "[unk]"]
    return json.dumps(phrases)
