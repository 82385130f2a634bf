"""The live loop: source -> pose -> tracker -> coach -> speaker / transcript / store.

A thin shell around the functional core. The only clock is the frame timestamp: intents
scripted with ``--commands`` fire at their source time, intents heard live are stamped
with the timestamp of the next frame. The optional ``pace`` sleeps between frames so a
replay runs at (a multiple of) real time; it never changes *what* happens, only when.

Collaborators come through small factories so each can be swapped for a fake:
``open_poses`` (``hingecoach.pose.sources.open_source``), ``make_speaker``
(``hingecoach.audio.speaker.make_speaker``) and ``parse_phrase``
(``hingecoach.audio.intents.parse_command``).
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from hingecoach.audio.intents import COMMAND_PHRASES, parse_command, parse_command_script
from hingecoach.coach.coach import Coach
from hingecoach.coach.cues import Cue
from hingecoach.errors import InputError
from hingecoach.motion.tracker import MotionTracker
from hingecoach.pose.landmarks import FrameInfo, Pose


# --- intents ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TimedIntent:
    """An intent at a source time: ``name`` and ``slots`` as the coach takes them."""

    t: float
    name: str
    slots: dict[str, str] = field(default_factory=dict)
    text: str = ""


def parse_phrase(text: str) -> tuple[str, dict[str, str]] | None:
    """A command phrase -> (intent name, slots), or None (the voice package's parser)."""
    intent = parse_command(text)
    return None if intent is None else (intent.name, dict(intent.slots))


def parse_commands(spec: str) -> list[TimedIntent]:
    """``"0.5:start hinge drill,12:pause"`` -> timed intents (InputError naming a bad item)."""
    try:
        items = parse_command_script(spec or "")
    except ValueError as exc:
        raise InputError(f"--commands item {str(exc).removeprefix('command ')}") from None
    out: list[TimedIntent] = []
    for t, phrase in items:
        if not math.isfinite(t):
            raise InputError(f"--commands item {f'{t}:{phrase}'!r}: the time must be a number of "
                             "seconds (e.g. \"0.5:start hinge drill,20:pause\")")
        hit = parse_phrase(phrase)
        if hit is None:
            raise InputError(f"--commands item {f'{t:g}:{phrase}'!r}: {phrase!r} is not a command "
                             f"(try one of: {', '.join(COMMAND_PHRASES)})")
        out.append(TimedIntent(t, hit[0], hit[1], phrase))
    return out


def polled_intents(poll: Callable[[], list[Any]]) -> Callable[[], list[TimedIntent]]:
    """Adapt a ``poll()`` of heard intents (the voice helper's ``VoiceSession.poll``) to
    :func:`run_session`'s ``live_intents``; run_session stamps them with frame time."""

    def drain() -> list[TimedIntent]:
        return [TimedIntent(0.0, i.name, dict(i.slots or {}), getattr(i, "text", ""))
                for i in poll()]

    return drain


def open_voice(speaker_spec: str, listen: bool, on_event: Callable[[Any], None] | None = None,
               settings: dict[str, Any] | None = None,
               fallback_dir: str | Path | None = "out/speech",
               ) -> tuple[Any, Callable[[], list[TimedIntent]] | None, Any]:
    """(speaker, live intents or None, object to close).

    The voice package's ``VoiceSession``: its speaker, and its microphone listener when
    ``listen`` (the recogniser gets every catalogue phrase as a decoy, and the speaker
    pre-renders them). No sound device or no microphone: it says so once and coaching goes
    on; the microphone is tried again with back-off, and ``on_event`` gets its
    ``microphone_lost`` / ``microphone_back`` events (from the listener's thread).
    ``settings``: the config's ``audio.input``, ``audio.output``, ``audio.volume`` (percent),
    ``voice.engine`` and ``voice.tts``; missing keys keep their defaults, and ``none`` for
    the input or the engine means no listening. ``fallback_dir``: where spoken cues go as WAV
    files when there is no sound device (None: nowhere, the transcript only).
    """
    from hingecoach.audio.session import VoiceSession
    from hingecoach.coach.cues import decoy_phrases

    phrases = decoy_phrases()
    cfg = settings or {}
    engine = str(cfg.get("voice.engine", "auto"))
    listen = listen and not is_off(engine) and not is_off(cfg.get("audio.input"))
    session = VoiceSession(speaker=speaker_spec, listen=listen, warm=phrases, decoys=phrases,
                           on_event=on_event, recogniser=engine, fallback_dir=fallback_dir,
                           mic_device=sound_device(cfg.get("audio.input")),
                           output_device=sound_device(cfg.get("audio.output")),
                           tts=str(cfg.get("voice.tts", "auto")))
    if "audio.volume" in cfg:
        session.speaker.volume = float(cfg["audio.volume"]) / 100.0
    return session.speaker, (polled_intents(session.poll) if listen else None), session


def is_off(value: Any) -> bool:  # noqa: ANN401
    """The config's ``none`` for ``audio.input`` / ``audio.output`` / ``voice.engine``: the
    device or engine is turned off (not "the default one", which :func:`sound_device` gives)."""
    return value is not None and str(value).strip() == "none"


def sound_device(value: Any) -> int | str | None:  # noqa: ANN401
    """The config's ``audio.input`` / ``audio.output`` as sounddevice wants it: ``default``
    (or nothing) -> None, ``"2"`` -> 2, a name stays a name."""
    text = "" if value is None else str(value).strip()
    if text in ("", "default", "none"):
        return None
    return int(text) if text.isdigit() else text


# --- speaker ---------------------------------------------------------------------------
SAFETY_FAULTS = frozenset({"back_rounding", "knees_forward", "neck_extension", "too_deep"})


def speaker_priority(cue: Cue) -> int:
    """The voice helper's ``Priority`` for a cue: 3 safety correction (may interrupt),
    2 other corrections, praise and progressions, 1 counts, 0 setup / info / summaries /
    answers."""
    if cue.kind == "correction":
        return 3 if cue.fault in SAFETY_FAULTS else 2
    if cue.kind in ("praise", "progression"):
        return 2
    return 1 if cue.kind == "count" else 0


class Speaker(Protocol):
    """What the app needs from a speaker (the voice helper's Speaker satisfies it).
    ``priority`` is :func:`speaker_priority` (0..3)."""

    def say(self, text: str, priority: int = 0, kind: str = "info") -> None: ...


class NullSpeaker:
    """Says nothing; remembers what it was asked to say (a fake for tests)."""

    def __init__(self) -> None:
        self.said: list[tuple[str, int, str]] = []

    def say(self, text: str, priority: int = 0, kind: str = "info") -> None:
        self.said.append((text, priority, kind))

    def close(self) -> None:
        pass


def make_speaker(spec: str, fallback_dir: str | Path | None = "out/speech") -> Any:
    """``none`` | ``wav:DIR`` | ``device`` | ``auto`` -> the voice package's speaker.

    With no sound device, ``device``/``auto`` say so once and write WAV files to
    ``fallback_dir`` instead (silence when None)."""
    from hingecoach.audio.speaker import make_speaker as voice_make_speaker

    return voice_make_speaker(spec, fallback_dir=fallback_dir)


def write_cue_wavs(lines: list[str], directory: str) -> int:
    """Render each transcript cue, in order, as ``NNN-<words>.wav`` (the coach's own voice),
    listed in ``transcript.tsv`` (index, session seconds, file, text) as the speaker's WAV
    sink lists its files. A rerun replaces the cue files an earlier one left. For replays (`demo`, and
    `run --speaker wav:DIR` on a trace or video): a live speaker keeps wall-clock time and
    drops lines that went stale while a replay raced ahead."""
    from hingecoach.audio.pcm import write_wav
    from hingecoach.audio.sinks import _slug
    from hingecoach.audio.tts import PhraseCache, make_tts

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("[0-9][0-9][0-9]-*.wav"):  # an earlier run's cues (this function's names)
        old.unlink()
    cache = PhraseCache(make_tts("auto"))
    rows = []
    for n, line in enumerate(lines, start=1):
        cue = json.loads(line)
        name = f"{n:03d}-{_slug(cue['text'])}.wav"
        write_wav(folder / name, cache.get(cue["text"]))
        rows.append(f"{n}\t{float(cue['t']):.3f}\t{name}\t{cue['text']}\n")
    (folder / "transcript.tsv").write_text("".join(rows), encoding="utf-8")
    return len(lines)


# --- poses -----------------------------------------------------------------------------
def is_live(spec: str) -> bool:
    return spec == "picamera2" or spec.startswith("camera:") or spec.isdigit()


def open_poses(spec: str) -> Any:
    """A pose source for ``--source`` (``.info`` + iterable of Pose + ``close()``): cameras,
    videos, traces and the synthetic athlete (:func:`hingecoach.pose.sources.open_source`)."""
    from hingecoach.pose.sources import open_source

    return open_source(spec)


# --- transcript ------------------------------------------------------------------------
def cue_line(cue: Cue) -> str:
    """One transcript line (issue 4 contract), deterministic byte for byte."""
    return json.dumps(cue.to_json(), ensure_ascii=False)


class Transcript:
    """Writes cues as JSON Lines (flushed per line) and/or echoes them for people."""

    def __init__(self, path: str | None = None, echo: IO[str] | None = None,
                 echo_json: bool = False) -> None:
        self._fh: IO[str] | None = None
        if path == "-":
            self._fh = sys.stdout
        elif path:
            try:
                self._fh = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise InputError(f"--transcript {path}: cannot write ({exc.strerror}): "
                                 "check the directory exists and is writable") from exc
        self.echo = echo
        self.echo_json = echo_json
        self.lines: list[str] = []

    def write(self, cue: Cue) -> None:
        line = cue_line(cue)
        self.lines.append(line)
        if self._fh is not None:
            self._fh.write(line + "\n")
            self._fh.flush()
        if self.echo is not None:
            text = line if self.echo_json else _human(cue)
            self.echo.write(text + "\n")
            self.echo.flush()

    def close(self) -> None:
        if self._fh is not None and self._fh is not sys.stdout:
            self._fh.close()


def _human(cue: Cue) -> str:
    tag = cue.kind + (f":{cue.fault}" if cue.kind == "correction" and cue.fault else "")
    return f"{cue.t:7.2f}s  {tag:<28} {cue.text}"


# --- the loop --------------------------------------------------------------------------
@dataclass
class RunResult:
    frames: int = 0
    reps: int = 0
    cues: int = 0
    last_t: float = 0.0


def run_session(info: FrameInfo, poses: Iterable[Pose], coach: Coach, *,
                speaker: Any = None, transcript: Transcript | None = None,
                commands: Iterable[TimedIntent] = (), live_intents: Callable[[], list[TimedIntent]] | None = None,
                rebase: bool = False, pace: float | None = None,
                tracker: MotionTracker | None = None,
                notices: Callable[[], list[str]] | None = None,
                stopped: Callable[[], bool] | None = None) -> RunResult:
    """Run one coaching session over a pose stream; returns counts.

    Args:
        info: the stream's header.
        poses: the pose stream (time-ordered); a ``None`` in it is a live camera away (no
            frame: only notices and heard commands are handled, at the last frame's time).
        coach: the coach (with its recorder attached).
        speaker: anything with ``say(text, priority, kind)``; None = silent.
        transcript: where cues are written.
        commands: scripted intents at source times (``--commands``).
        live_intents: returns intents heard since the last call (stamped here).
        rebase: make times relative to the first frame (live cameras use a monotonic clock).
        pace: replay speed factor (1.0 = real time); None = as fast as possible.
        tracker: the motion tracker (a fresh one for ``info`` by default).
        notices: returns device notices to say since the last call (storage full...).
        stopped: whether the pose stream ended because a stop was asked for (SIGTERM,
            Ctrl-C): the scripted commands still to come are then dropped, and the session
            ends where it was (its summary), not as the script would have gone on.
    """
    tracker = tracker or MotionTracker(info)
    pending = sorted(commands, key=lambda c: c.t)
    res = RunResult()
    t0: float | None = None
    wall0 = 0.0
    volume_cues = ("louder", "quieter")

    def emit(cues: list[Cue]) -> None:
        for cue in cues:
            res.cues += 1
            if transcript is not None:
                transcript.write(cue)
            if speaker is not None:
                speaker.say(cue.text, speaker_priority(cue), cue.kind)

    def intent(it: TimedIntent, t: float) -> None:
        emit(coach.on_intent(t, it.name, it.slots))
        if it.name in volume_cues and speaker is not None:
            adjust = getattr(speaker, "louder" if it.name == "louder" else "quieter", None)
            if callable(adjust):
                adjust()

    def heard(t: float) -> None:  # intents heard since the last frame (voice, device pauses)
        if live_intents is not None:
            for it in live_intents():
                intent(it, t)

    def announce(t: float) -> None:  # device notices since the last frame
        if notices is not None:
            for text in notices():
                emit(coach.notice(t, text))

    for pose in poses:
        if pose is None:  # a live camera is away: no frame, but its notices and commands go on
            heard(res.last_t)
            announce(res.last_t)
            emit(coach.drain())  # no frame time comes to release what the coach holds back
            continue
        if t0 is None:
            t0 = pose.t
            wall0 = time.monotonic()
        if rebase:
            pose = Pose(pose.t - t0, pose.landmarks, pose.world)
        t = pose.t
        if pace:
            ahead = (t - (0.0 if rebase else t0)) / pace - (time.monotonic() - wall0)
            if ahead > 0:
                time.sleep(ahead)
        while pending and pending[0].t <= t:
            it = pending.pop(0)
            intent(it, it.t)
        heard(t)
        u = tracker.update(pose)
        if u.rep is not None:
            res.reps += 1
        emit(coach.on_update(u, pose))
        announce(t)
        res.frames += 1
        res.last_t = t
    if stopped is not None and stopped():
        pending = []  # interrupted: what the script says later never happened
    for it in pending:  # commands timed after the last frame
        intent(it, max(it.t, res.last_t))
        res.last_t = max(res.last_t, it.t)
    emit(coach.finish(res.last_t))
    return res


def iterate(source: Any) -> Iterator[Pose]:
    """Iterate a pose source and always close it."""
    try:
        yield from source
    finally:
        with contextlib.suppress(Exception):
            source.close()
