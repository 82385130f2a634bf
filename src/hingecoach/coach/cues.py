"""The cue catalogue: everything the coach can say, in our own words, several phrasings each.

Ideas come from the seed articles in ``../shared/seeds`` (cited per group below); every
sentence here is written fresh, none is copied. No catalogue phrase contains a voice
command word (:data:`COMMAND_WORDS`), so the coach's own voice can never be heard by the
microphone as a command; ``tests/test_coach_cues.py`` enforces it. The one exception is
:data:`HELP_LINES`, spoken only when the user asks for help, whose whole point is to name
the commands.

Phrasings are picked in rotation per cue id (deterministic, never the same one twice in
a row), so a replay always says the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

KINDS: Final[tuple[str, ...]] = (
    "setup", "count", "correction", "praise", "progression", "summary", "info", "ack",
)  # fmt: skip
"""Transcript kinds (issue 4 transcript contract)."""

COMMAND_WORDS: Final[tuple[str, ...]] = (
    "stop", "pause", "continue", "resume", "repeat", "help", "next", "louder", "quieter",
    "start", "previous", "again", "count", "begin", "easier", "harder",
)  # fmt: skip
"""Words (and any word beginning with them: "started", "stopping") a cue must never say: the
issue's list plus the voice grammar's other command words (``hingecoach.audio.intents``)."""

COACH_FAULTS: Final[tuple[str, ...]] = ("wall_not_reached",)
"""Fault ids the coach adds on top of :data:`hingecoach.motion.types.FAULTS` (wall drill:
the hips did not travel as far as the announced wall distance)."""

CORRECTION_ORDER: Final[tuple[str, ...]] = (
    "back_rounding", "knees_forward", "neck_extension", "too_deep", "hyperextension",
    "wall_not_reached", "incomplete_lockout", "too_fast",
)  # fmt: skip
"""Which problem is talked about first when a rep has several: safety first (back, knees,
neck; DESIGN 1 "back and knee faults outrank tempo or lockout polish"), then depth and the
lean-back at the top, then reaching the wall, lockout and tempo."""

_ORDER: Final[dict[str, int]] = {f: i for i, f in enumerate(CORRECTION_ORDER)}


def problem_order(name: str) -> tuple[int, str]:
    """Sort key for fault/flag ids: :data:`CORRECTION_ORDER` (safety first), then A-Z."""
    return (_ORDER.get(name, len(_ORDER)), name)


@dataclass(frozen=True, slots=True)
class Cue:
    """One thing the coach decided to say.

    Attributes:
        t: frame time the cue belongs to, seconds.
        text: the words to speak.
        kind: one of :data:`KINDS`.
        cue_id: the catalogue id it came from.
        fault: the fault or flag id, on corrections (and on praise for a fixed fault).
        priority: higher wins when two cues compete for the speaker; 0..100.
        urgent: said even while another cue is playing (answers to the user's own requests
            and summaries); everything else is dropped rather than queued.
        max_delay_s: how late this cue may still begin (None: the scheduler's default).
    """

    t: float
    text: str
    kind: str
    cue_id: str
    fault: str | None = None
    priority: int = 50
    urgent: bool = False
    max_delay_s: float | None = None

    def to_json(self) -> dict[str, object]:
        """The transcript line (issue 4 contract); ``fault`` only on corrections."""
        out: dict[str, object] = {"t": round(self.t, 3), "text": self.text, "kind": self.kind}
        if self.kind == "correction" and self.fault:
            out["fault"] = self.fault
        return out


# (kind, phrasings). {placeholders} are filled by Phrasebook.say(**values).
CATALOGUE: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    # --- setup: framing (DESIGN 3.5 Setup) -------------------------------------------------
    "setup.not_in_frame": ("setup", (
        "I can't see you yet. Come into the camera's view, side-on.",
        "Nobody in the picture. Walk into view with your side to the camera.",
        "Step into view, please, and turn side-on.",
    )),
    "setup.feet_cut": ("setup", (
        "Your feet are out of the picture. Take a step away from the camera.",
        "I need to see your feet. Move a little further back.",
        "Feet are cut off. Back up a bit, or tilt the camera down.",
    )),
    "setup.head_cut": ("setup", (
        "Your head is out of the picture. Move a little further away.",
        "I can't see your head. One step back, please.",
        "Head is cut off. Back up a bit, or tilt the camera up.",
    )),
    "setup.facing": ("setup", (
        "Turn sideways, so your shoulder points at the camera.",
        "Side-on, please: I watch the hinge from the side.",
        "Make a quarter turn so I see you in profile.",
    )),
    "setup.too_close": ("setup", (
        "You're very close. Take a step or two back.",
        "A bit too close. Back up a step.",
        "Give me more room: move away from the camera.",
    )),
    "setup.too_far": ("setup", (
        "You're a long way off. Come a step or two closer.",
        "Move in closer, please.",
        "Too far away for a good view. Come nearer.",
    )),
    "setup.too_dark": ("setup", (
        "It's hard to see you. More light, please.",
        "The picture is too dim. Switch on a light if you can.",
        "I'm losing you in the dark. A brighter room makes this work much better.",
    )),
    "setup.good": ("setup", (
        "That's a good spot.",
        "Perfect, I can see all of you.",
        "Great, that view works.",
    )),
    "setup.come_back": ("setup", (
        "I've lost you. Come back into view.",
        "You're out of the picture. Step back in, side-on.",
        "Where did you go? Back into view, please.",
    )),
    # --- calibration (DESIGN 3.5 "stand tall and still") ----------------------------------
    "calibrate.hold": ("setup", (
        "Stand tall and still for two seconds.",
        "Stand up straight and hold still a moment.",
        "Tall and steady for a couple of seconds.",
    )),
    "calibrate.moving": ("setup", (
        "Hold still a moment, I'm measuring.",
        "Keep still for me, just two seconds.",
        "Try to stay still while I take your measurements.",
    )),
    "calibrate.done": ("setup", (
        "Got it. You're all set.",
        "Measured. Ready when you are.",
        "All measured, thanks.",
    )),
    # --- drill set-ups (DESIGN 3.5; seeds 002 wall + dowel, 004 hip crease + butt taps,
    #     001 cue sequence, 000 "hips back, not down") ------------------------------------
    "drill.hinge": ("setup", (
        "Free hinges, {target} reps. Hips back, soft knees, finish tall.",
        "Hinge set of {target}. Push the hips back, shins upright, long spine.",
        "{target} hinges. Fold at the hips and stand fully tall each time.",
    )),
    "drill.wall": ("setup", (
        "Wall drill. Heels {distance} from the wall; touch it with your hips.",
        "Wall drill at {distance}. Tap the wall with your hips, knees soft.",
        "Wall drill. Heels {distance} out; reach your hips back to the wall.",
    )),
    "drill.no_wall": ("setup", (
        "No wall this time. Reach your hips back as if it were there.",
        "Away from the wall now. Same hip reach, same long back.",
        "Hinge without the wall: imagine it behind you and reach for it.",
    )),
    "drill.hip_crease": ("setup", (
        "Hip crease drill. Hands in your hip creases; push them back with your hips.",
        "Hands in the fold of your hips. Press them back as you bow.",
        "Hip crease drill: hands at the hip fold, send them backwards.",
    )),
    "drill.dowel": ("setup", (
        "Dowel hinge. Stick on your head, upper back and tailbone; keep all three.",
        "Stick along your spine: head, shoulder blades, tailbone stay in contact.",
        "Dowel hinge: three points on the stick the whole way down and up.",
    )),
    "set.number": ("info", (
        "Set {n}.",
        "Here's set {n}.",
        "Set {n}, when you're ready.",
    )),
    # --- corrections (one id per fault; drill-specific variants after a colon) -------------
    # back rounding: seeds 000, 003 "most dangerous"; 002 dowel three points; 001 "brace".
    "fix.back_rounding": ("correction", (
        "Keep your back long, chest proud, as you fold.",
        "Flat back, like a tabletop. Lead with the hips, not the shoulders.",
        "Brace your middle and don't let the back curl.",
    )),
    "fix.back_rounding:dowel": ("correction", (
        "Keep the stick on your head and your tailbone the whole way down.",
        "The stick is lifting off. Long spine, all three points touching.",
    )),
    # knees forward: seed 001 "<20 degrees", "shins nearly vertical"; 000 "hips back, not down".
    "fix.knees_forward": ("correction", (
        "Hips back, not down. The knees only soften.",
        "Keep your shins upright and let the hips travel back.",
        "Less knee bend: this is a hinge, not a squat.",
    )),
    "fix.knees_forward:wall": ("correction", (
        "Reach for the wall with your hips before the knees bend.",
        "Hips to the wall first; keep the knees quiet.",
    )),
    # neck: seed 000 "looking up or down excessively"; 004 chin tucked, ball under the chin.
    "fix.neck_extension": ("correction", (
        "Tuck your chin a little and look at the floor ahead of you.",
        "Keep your neck long; no craning up to look forward.",
        "Chin slightly in, as if holding a ball under it.",
    )),
    "fix.neck_extension:dowel": ("correction", (
        "Keep the back of your head on the stick: chin in.",
        "Head back onto the stick, eyes down.",
    )),
    # too deep: seed 004 "no need to go past 90 degrees"; DESIGN 3.5 "never past parallel".
    "fix.too_deep": ("correction", (
        "That's deep enough. Come up when the hamstrings pull.",
        "No need to go lower than a tabletop.",
        "Go only as low as the hamstrings allow, never past flat.",
    )),
    # hyperextension: seed 002 "overextending at the top"; 004 imaginary wall behind you.
    "fix.hyperextension": ("correction", (
        "Finish tall, not leaning back.",
        "At the top, just stand straight: no arching backwards.",
        "Squeeze your glutes to finish, then stay upright, no lean back.",
    )),
    # wall not reached: seed 002 "push your hips back until your butt touches the wall".
    "fix.wall_not_reached": ("correction", (
        "Reach further back: get your hips to the wall.",
        "Not quite at the wall. Push the hips further back.",
        "All the way back until you feel the wall.",
    )),
    # lockout: seed 004 "start and end posture should be the same"; squeeze glutes to stand.
    "fix.incomplete_lockout": ("correction", (
        "Stand all the way up between reps.",
        "Finish each one fully tall, hips through.",
        "Come right up to standing, glutes squeezed.",
    )),
    # tempo: seed 001 eccentric control; 002 speed is "hard to self-correct".
    "fix.too_fast": ("correction", (
        "Slower on the way down, take two seconds.",
        "Control the lowering, nice and slow.",
        "Ease down; no rushing the fold.",
    )),
    # --- praise -------------------------------------------------------------------------
    "fixed.back_rounding": ("praise", ("Better, that back stayed long.", "Nice flat back that time.")),
    "fixed.knees_forward": ("praise", ("That's it, the hips went back.", "Good, shins stayed upright.")),
    "fixed.neck_extension": ("praise", ("Better, neck stayed neutral.", "Good, chin stayed tucked.")),
    "fixed.too_deep": ("praise", ("Good depth, right there.", "That depth is spot on.")),
    "fixed.hyperextension": ("praise", ("Nice tall finish.", "Good, straight up at the top.")),
    "fixed.wall_not_reached": ("praise", ("There's the wall. Good reach.", "Good, hips all the way back.")),
    "fixed.incomplete_lockout": ("praise", ("Good, fully upright.", "That's a full finish.")),
    "fixed.too_fast": ("praise", ("Nice control on the way down.", "Good, smooth and slow.")),
    "praise.streak": ("praise", (
        "Lovely reps, keep them coming like that.",
        "Clean reps. Well done.",
        "That's the pattern. Nice work.",
    )),
    # --- progression (seed 002 wall distances; DESIGN 3.5) --------------------------------
    "wall.further": ("progression", (
        "Clean run. Step further from the wall: heels at {distance}.",
        "Great reps. Move your heels out to {distance} from the wall.",
        "Time for a bigger reach. Heels {distance} from the wall.",
    )),
    "wall.closer": ("progression", (
        "Let's make it simpler: step in to {distance} from the wall.",
        "Move back in, heels {distance} from the wall.",
        "Closer to the wall for now: {distance}.",
    )),
    "wall.none": ("progression", (
        "You've earned it: step away from the wall and hinge without it.",
        "No more wall. Same reach with the hips, all on your own.",
    )),
    "wall.return": ("progression", (
        "Back to the wall for now, heels at {distance}.",
        "Let's use the wall once more: heels {distance} from it.",
    )),
    "level.up": ("progression", ("Level up: {drill}.", "Moving up to the {drill}.")),
    "level.down": ("progression", ("Going down a step: {drill}.", "Back to the {drill} for now.")),
    "level.top": ("info", ("That's the top level already.", "You're at the highest level.")),
    "level.bottom": ("info", ("That's the first level already.", "You're on the simplest level.")),
    # --- counts -------------------------------------------------------------------------
    "count.n": ("count", ("{n}.", "That's {n}.", "That makes {n}.")),
    "count.last": ("count", ("{n}, that's the set.", "And {n}. Set complete.")),
    "count.reply": ("count", ("{n} so far this set.", "You're on {n}.", "{n} reps in this set.")),
    "count.none": ("count", ("No reps yet.", "Nothing so far in this set.")),
    # --- summaries ----------------------------------------------------------------------
    "summary.set": ("summary", (
        "Set done: {reps} reps, {clean} clean.{focus} Rest a minute.",
        "That set: {reps} reps, {clean} of them clean.{focus} Take a short breather.",
    )),
    "summary.session": ("summary", (
        "Session over: {sets}, {reps} reps, {clean} clean.{saved}",
        "That's the session. {sets}, {reps} reps, {clean} clean.{saved}",
    )),
    "summary.empty": ("summary", ("No reps this time. See you soon.", "Nothing recorded today.")),
    "summary.squats": ("summary", (
        "No hinges this time: those were squats, the knees did the work. Hips back, knees soft.",
        "Those dips were squats, not hinges. Think hips to the wall behind you.",
    )),
    # --- acknowledgements (answers to the user's own requests) ----------------------------
    "ack.hold": ("ack", ("On hold. I'll wait for you.", "Holding here.", "Okay, taking a break.")),
    "ack.back": ("ack", ("Back to it.", "Here we go.", "Right, carrying on.")),
    "ack.up": ("ack", ("Turning it up.", "A bit more volume.")),
    "ack.down": ("ack", ("Turning it down.", "A bit softer.")),
    "ack.end": ("ack", ("Okay, wrapping up.", "Right, let's finish there.")),
}

HELP_LINES: Final[tuple[str, ...]] = (
    "You can say: start hinge drill, start wall drill, pause, resume, stop, next level, "
    "previous level, how many, repeat, louder, or quieter.",
)
"""Spoken only on a help request: the one text that names the commands (see module doc)."""

FOCUS: Final[dict[str, str]] = {
    "back_rounding": "keeping your back long",
    "knees_forward": "hips back with quiet knees",
    "neck_extension": "a tucked chin",
    "too_deep": "not going past a tabletop",
    "hyperextension": "finishing tall without leaning back",
    "wall_not_reached": "reaching the hips all the way back",
    "incomplete_lockout": "standing all the way up",
    "too_fast": "a slower way down",
}
"""How a set summary names the thing to work on (one short noun phrase per fault)."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """The lower-case words of a phrase (for the command-word check)."""
    return _WORD.findall(text.lower())


def command_words_in(text: str) -> list[str]:
    """Command words (or words beginning with one) that occur in ``text``."""
    return [w for w in words(text) if any(w.startswith(c) for c in COMMAND_WORDS)]


#: For a level change the user asked for: the phrasings of these progression cues that
#: praise nothing ("Clean run..." and "You've earned it..." are for moves earned by reps).
#: Chosen from the catalogue rather than added to it: every phrasing is a recogniser decoy.
UNEARNED: Final[dict[str, tuple[int, ...]]] = {"wall.further": (2,), "wall.none": (1,)}
#: A step further the user asks for right after another is said with the wall drill's own
#: set-up line ("Wall drill at 12 inches. Tap the wall..."), which names the distance and
#: praises nothing: ``wall.further`` has one unearned phrasing, and two in a row both began
#: "Time for a bigger reach." (no new phrase: see :data:`UNEARNED`).
UNEARNED_AGAIN: Final[dict[str, str]] = {"wall.further": "drill.wall"}

_ONE_REPS = re.compile(r"(?<![\d.])1 reps\b")


def count_of(n: int, thing: str) -> str:
    """``1 rep``, ``2 reps``, ``0 coached reps``: for everything printed or written outside the
    catalogue (the catalogue's own "{n} reps" is mended by :meth:`Phrasebook.text`)."""
    return f"{n} {thing}{'' if n == 1 else 's'}"


class Phrasebook:
    """Picks a phrasing for a cue id, rotating through the variants (deterministic)."""

    def __init__(self, catalogue: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
        self._cat = CATALOGUE if catalogue is None else catalogue
        self._uses: dict[str, int] = {}

    def has(self, cue_id: str) -> bool:
        return cue_id in self._cat

    def kind(self, cue_id: str) -> str:
        return self._cat[cue_id][0]

    def phrasings(self, cue_id: str) -> tuple[str, ...]:
        """The phrasings of ``cue_id``, in catalogue order (``only`` indexes them)."""
        return self._cat[cue_id][1]

    def text(self, cue_id: str, *, only: tuple[int, ...] | None = None, **values: object) -> str:
        """The next phrasing of ``cue_id`` with ``{placeholders}`` filled from ``values``
        (``only``: rotate among these phrasings alone, e.g. :data:`UNEARNED`). "1 reps" is
        said "1 rep"."""
        kind, variants = self._cat[cue_id]
        key = cue_id if only is None else f"{cue_id}{only}"
        pool = variants if only is None else tuple(variants[i] for i in only)
        n = self._uses.get(key, 0)
        self._uses[key] = n + 1
        return _ONE_REPS.sub("1 rep", pool[n % len(pool)].format(**values))

    def untake(self, cue_id: str, *, only: tuple[int, ...] | None = None) -> None:
        """Take back the last phrasing :meth:`text` gave for ``cue_id`` (and ``only``): it was
        never said (a level announcement withdrawn), so the rotation goes on from the one heard
        before it and the next one said differs from that."""
        key = cue_id if only is None else f"{cue_id}{only}"
        if self._uses.get(key, 0) > 0:
            self._uses[key] -= 1


def placeholders(phrase: str) -> set[str]:
    """The ``{names}`` a phrasing needs."""
    return set(_PLACEHOLDER.findall(phrase))


_SAMPLE_VALUES: Final[dict[str, object]] = {
    "n": 5, "target": 10, "distance": "8 inches", "drill": "dowel hinge", "reps": 10,
    "clean": 8, "focus": " Work on a tucked chin.", "sets": "2 sets",
    "saved": " You're on the free hinge.",
}


#: Rep counts the decoys cover: the coach says "That makes {n}." and the like after every rep.
DECOY_COUNTS: Final[range] = range(1, 21)


def decoy_phrases() -> list[str]:
    """Every catalogue phrasing with sample values, and every phrasing that carries a rep
    count ``{n}`` once per count in :data:`DECOY_COUNTS`: what the recogniser must never
    take for a command (``hingecoach.audio.recognisers.make_recogniser(decoys=...)``)."""
    out: list[str] = []
    for _, phrases in CATALOGUE.values():
        for p in phrases:
            if "{n}" in p:
                out += [p.format(**{**_SAMPLE_VALUES, "n": n}) for n in DECOY_COUNTS]
            else:
                out.append(p.format(**_SAMPLE_VALUES))
    return list(dict.fromkeys(out))
