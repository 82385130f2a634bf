"""The Speaker: say things without ever blocking the frame loop.

``say(text, priority, kind)`` only enqueues; a worker thread renders (through a cache
of phrases warmed at start-up) and plays through a sink. A safety correction
interrupts a lower-priority line that is playing (a count, a tip). ``is_speaking(now)``
(with a short tail for room echo) is what gates the microphone, so the coach never
hears itself.

Classes:
    :class:`Speaker` - the interface the coach uses.
    :class:`PlaybackSpeaker` - the real one (TTS + cache + a sink on a worker thread).
    :class:`FakeSpeaker` - records ``(t, text)`` in simulated time; same queue rules.
Factory: :func:`make_speaker` for ``--speaker none|wav:DIR|device|auto``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

from hingecoach.audio.pcm import Audio
from hingecoach.audio.sinks import DeviceSink, NullSink, Sink, WavDirSink
from hingecoach.audio.tts import PhraseCache, SilentTts, Tts, make_tts
from hingecoach.errors import DeviceError, HingeError

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """How urgent a line is. Higher wins the queue; SAFETY interrupts what is playing."""

    INFO = 0  #: setup guidance, summaries, help text
    COUNT = 1  #: rep counts ("four")
    CUE = 2  #: technique cues ("hips back to the wall")
    SAFETY = 3  #: back/knee safety corrections: interrupt anything lower


#: Seconds the mic stays gated after the speaker stops (room echo, device latency).
DEFAULT_TAIL_S = 0.35
#: A count not started within this many seconds is stale and dropped (a newer count follows).
COUNT_MAX_AGE_S = 1.5
#: Anything else not started within this many seconds is dropped.
LINE_MAX_AGE_S = 8.0
#: Volume step for ``louder``/``quieter`` (fraction of full scale).
VOLUME_STEP = 0.15
#: Words per second used to estimate how long a line takes when no audio exists.
WORDS_PER_S = 2.6


@dataclass(frozen=True)
class Line:
    """One request to speak.

    Attributes:
        text: what to say.
        priority: :class:`Priority`.
        kind: free label from the coach (``count``, ``cue``, ``safety``, ``setup``...).
        t: request time (speaker clock, seconds).
        seq: request order (ties in priority play first-come first-served).
    """

    text: str
    priority: Priority
    kind: str
    t: float
    seq: int


@dataclass(frozen=True)
class Spoken:
    """A timeline entry: what happened to a line.

    Attributes:
        t: when it happened (speaker clock, seconds).
        text: the line.
        event: ``start`` | ``interrupted`` | ``dropped``.
        priority, kind: from the request.
    """

    t: float
    text: str
    event: str
    priority: Priority
    kind: str


def should_interrupt(playing: Priority, incoming: Priority) -> bool:
    """A safety line cuts off anything less urgent that is playing; nothing else interrupts."""
    return incoming >= Priority.SAFETY and incoming > playing


def is_stale(line: Line, now: float) -> bool:
    """Counts older than :data:`COUNT_MAX_AGE_S`, other lines older than
    :data:`LINE_MAX_AGE_S`, are not worth saying any more."""
    max_age = COUNT_MAX_AGE_S if line.priority == Priority.COUNT else LINE_MAX_AGE_S
    return now - line.t > max_age


def enqueue(queue: list[Line], line: Line) -> tuple[list[Line], list[Line]]:
    """Pure queue policy: returns (new queue sorted by urgency then order, dropped lines).

    A new count replaces queued counts (only the latest number matters); a safety line
    drops queued counts and tips of lower priority (they would arrive out of context).
    """
    dropped: list[Line] = []
    kept: list[Line] = []
    for q in queue:
        if (line.priority == Priority.COUNT and q.priority == Priority.COUNT) or (
            line.priority >= Priority.SAFETY and q.priority < Priority.CUE
        ):
            dropped.append(q)
        else:
            kept.append(q)
    kept.append(line)
    kept.sort(key=lambda x: (-int(x.priority), x.seq))
    return kept, dropped


def duration_estimate(text: str) -> float:
    """Seconds a line takes at about 155 words a minute (when there is no audio)."""
    return max(0.4, len(text.split()) / WORDS_PER_S)


class Speaker(ABC):
    """What the coach talks to. All methods return at once (never block on audio)."""

    def __init__(self, tail_s: float = DEFAULT_TAIL_S) -> None:
        self.tail_s = tail_s
        self._volume = 0.8
        self.timeline: list[Spoken] = []

    @abstractmethod
    def say(self, text: str, priority: Priority = Priority.CUE, kind: str = "cue") -> None:
        """Queue ``text``; a SAFETY line interrupts a less urgent one that is playing."""

    @abstractmethod
    def interrupt(self) -> None:
        """Stop what is playing now and drop everything queued."""

    @abstractmethod
    def is_speaking(self, now: float | None = None) -> bool:
        """True while audio plays or is queued, and for ``tail_s`` after it ends
        (gate the microphone on this). ``now`` in the speaker's clock; None = now."""

    def warm(self, phrases: Iterable[str]) -> None:  # noqa: B027 - optional hook
        """Pre-render phrases so they start in milliseconds (no-op where irrelevant)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop and release the device. Safe to call twice."""

    @property
    def volume(self) -> float:
        """Playback volume, 0..1 of full scale."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = float(min(1.0, max(0.05, value)))

    def louder(self) -> float:
        """One :data:`VOLUME_STEP` up; returns the new volume."""
        self.volume = self._volume + VOLUME_STEP
        return self._volume

    def quieter(self) -> float:
        """One :data:`VOLUME_STEP` down (never silent); returns the new volume."""
        self.volume = self._volume - VOLUME_STEP
        return self._volume

    @property
    def spoken(self) -> list[tuple[float, str]]:
        """``(t, text)`` of every line that started playing, in order."""
        return [(s.t, s.text) for s in self.timeline if s.event == "start"]


class FakeSpeaker(Speaker):
    """A real Speaker in simulated time (gpiozero's MockPin idea): same queue rules,
    no audio. Durations come from :func:`duration_estimate` (or ``seconds_per_line``).

    Drive time with ``clock`` (e.g. the frame timestamp) or :meth:`advance`.
    """

    def __init__(
        self,
        clock: Callable[[], float] | None = None,
        tail_s: float = DEFAULT_TAIL_S,
        seconds_per_line: float | None = None,
    ) -> None:
        super().__init__(tail_s)
        self.now = 0.0
        self._clock = clock or (lambda: self.now)
        self.seconds_per_line = seconds_per_line
        self._queue: list[Line] = []
        self._playing: Line | None = None
        self._ends_at = -1e9
        self._last_end = -1e9
        self._seq = 0
        self.closed = False

    def advance(self, dt: float) -> None:
        """Move the internal clock on by ``dt`` seconds (when no clock was given)."""
        self.now += dt
        self._run(self._clock())

    def _duration(self, text: str) -> float:
        return self.seconds_per_line if self.seconds_per_line is not None else duration_estimate(text)

    def _start(self, line: Line, t: float) -> None:
        self._playing = line
        self._ends_at = t + self._duration(line.text)
        self.timeline.append(Spoken(t, line.text, "start", line.priority, line.kind))

    def _run(self, now: float) -> None:
        while True:
            if self._playing is not None and now >= self._ends_at:
                self._last_end = self._ends_at
                self._playing = None
            if self._playing is not None or not self._queue:
                return
            t = max(self._last_end, self._queue[0].t)
            line = self._queue.pop(0)
            if is_stale(line, t):
                self.timeline.append(Spoken(t, line.text, "dropped", line.priority, line.kind))
                continue
            self._start(line, t)

    def say(self, text: str, priority: Priority = Priority.CUE, kind: str = "cue") -> None:
        now = self._clock()
        self._run(now)
        self._seq += 1
        line = Line(text, Priority(priority), kind, now, self._seq)
        if self._playing is not None and should_interrupt(self._playing.priority, line.priority):
            p = self._playing
            self.timeline.append(Spoken(now, p.text, "interrupted", p.priority, p.kind))
            self._playing = None
            self._last_end = now
        self._queue, dropped = enqueue(self._queue, line)
        for d in dropped:
            self.timeline.append(Spoken(now, d.text, "dropped", d.priority, d.kind))
        self._run(now)

    def interrupt(self) -> None:
        now = self._clock()
        self._run(now)
        if self._playing is not None:
            p = self._playing
            self.timeline.append(Spoken(now, p.text, "interrupted", p.priority, p.kind))
            self._playing = None
            self._last_end = now
        for d in self._queue:
            self.timeline.append(Spoken(now, d.text, "dropped", d.priority, d.kind))
        self._queue = []

    def is_speaking(self, now: float | None = None) -> bool:
        t = self._clock() if now is None else now
        self._run(t)
        return self._playing is not None or bool(self._queue) or t < self._last_end + self.tail_s

    @property
    def spoken(self) -> list[tuple[float, str]]:
        """``(t, text)`` of every line started by the clock's current time."""
        self._run(self._clock())
        return super().spoken

    def close(self) -> None:
        self.closed = True


class PlaybackSpeaker(Speaker):
    """The real Speaker: a worker thread renders (cached) and plays through a sink.

    Args:
        sink: where audio goes (:mod:`hingecoach.audio.sinks`).
        tts: the engine; created lazily on the worker thread if None (pyttsx3 must live
            on one thread). Ignored for sinks that need no audio.
        clock: seconds; ``time.monotonic`` by default (the mic gate uses the same clock).
        warm: phrases to render at start-up (the cue catalogue, counts, help).
    """

    def __init__(
        self,
        sink: Sink,
        tts: Tts | Callable[[], Tts] | None = None,
        clock: Callable[[], float] = time.monotonic,
        tail_s: float = DEFAULT_TAIL_S,
        warm: Iterable[str] = (),
    ) -> None:
        super().__init__(tail_s)
        self.sink = sink
        self.clock = clock
        self._tts_arg = tts
        self.cache: PhraseCache | None = None
        self._cv = threading.Condition()
        self._queue: list[Line] = []
        self._playing: Line | None = None
        self._stop_current = threading.Event()
        self._last_end = -1e9
        self._seq = 0
        self._closed = False
        self._tasks: list[tuple[Callable[[], None], threading.Event]] = []
        self._warmed = threading.Event()
        self._pending_warm = [p for p in warm if p.strip()]
        self.errors: list[str] = []
        self.first_sample_latency_s: list[float] = []
        self._thread = threading.Thread(target=self._worker, name="hingecoach-speaker", daemon=True)
        self._thread.start()

    # -- worker side
    def _make_cache(self) -> PhraseCache:
        if not self.sink.needs_audio:
            return PhraseCache(SilentTts())
        tts = self._tts_arg
        if tts is None:
            tts = make_tts("auto")
        elif callable(tts) and not hasattr(tts, "render"):
            tts = tts()
        return PhraseCache(tts)  # type: ignore[arg-type]

    def _render(self, text: str) -> Audio:
        assert self.cache is not None
        if not self.sink.needs_audio:
            n = int(16000 * duration_estimate(text))
            return Audio(np.zeros(n, dtype=np.int16), 16000)
        return self.cache.get(text)

    def _warm(self, phrases: list[str]) -> None:
        """Render phrases into the cache one at a time, stopping once the speaker is closed
        (a few hundred cues take seconds; a session that ends during them must not wait)."""
        if self.cache is None or not self.sink.needs_audio:
            return
        for p in phrases:
            if self._closed:
                return
            self.cache.warm([p])

    def _worker(self) -> None:
        """The speaker's one thread: it owns the TTS engine (pyttsx3 must stay on one
        thread), so it also closes it, once the speaker is closed."""
        try:
            self._serve()
        finally:
            tts = getattr(self.cache, "tts", None)
            if hasattr(tts, "close"):
                tts.close()

    def _serve(self) -> None:
        try:
            self.cache = self._make_cache()
            self._warm(self._pending_warm)
        except HingeError as exc:
            self.errors.append(str(exc))
            log.error("speaker: %s; speech is off for this session", exc)
        finally:
            self._warmed.set()
        while True:
            with self._cv:
                while not self._closed and not self._queue and not self._tasks:
                    self._cv.wait()
                if self._closed:
                    return
                if self._tasks:
                    task, done = self._tasks.pop(0)
                else:
                    task = None
            if task is not None:
                try:
                    task()
                except Exception as exc:  # noqa: BLE001 - warming must not kill the worker
                    log.warning("speaker: warming the phrase cache failed: %s", exc)
                finally:
                    done.set()
                continue
            with self._cv:
                if not self._queue:
                    continue
                line = self._queue.pop(0)
                now = self.clock()
                if is_stale(line, now):
                    self.timeline.append(Spoken(now, line.text, "dropped", line.priority, line.kind))
                    continue
                self._playing = line
                self._stop_current.clear()
            self._play(line)

    def _play(self, line: Line) -> None:
        def first_sample() -> None:
            t = self.clock()
            self.first_sample_latency_s.append(t - line.t)
            with self._cv:
                self.timeline.append(Spoken(t, line.text, "start", line.priority, line.kind))

        try:
            if self.cache is None:
                raise DeviceError("no text-to-speech engine")
            audio = self._render(line.text)
            vol = self._volume
            if vol < 0.999 and self.sink.needs_audio:
                audio = Audio(np.round(audio.samples.astype(np.float32) * vol).astype(np.int16), audio.rate)
            self.sink.play(audio, line.text, self._stop_current, first_sample)
        except HingeError as exc:
            self.errors.append(str(exc))
            log.error("speaker: %s", exc)
        except Exception as exc:  # noqa: BLE001 - a TTS/device failure must never kill coaching
            self.errors.append(repr(exc))
            log.exception("speaker: unexpected failure saying %r", line.text)
        finally:
            with self._cv:
                if self._stop_current.is_set():
                    self.timeline.append(
                        Spoken(self.clock(), line.text, "interrupted", line.priority, line.kind)
                    )
                self._playing = None
                self._last_end = self.clock()
                self._cv.notify_all()

    # -- caller side (never blocks on audio)
    def say(self, text: str, priority: Priority = Priority.CUE, kind: str = "cue") -> None:
        if not text.strip():
            return
        with self._cv:
            if self._closed:
                return
            self._seq += 1
            line = Line(text, Priority(priority), kind, self.clock(), self._seq)
            if self._playing is not None and should_interrupt(self._playing.priority, line.priority):
                self._stop_current.set()
            self._queue, dropped = enqueue(self._queue, line)
            for d in dropped:
                self.timeline.append(Spoken(line.t, d.text, "dropped", d.priority, d.kind))
            self._cv.notify_all()

    def interrupt(self) -> None:
        with self._cv:
            now = self.clock()
            for d in self._queue:
                self.timeline.append(Spoken(now, d.text, "dropped", d.priority, d.kind))
            self._queue = []
            if self._playing is not None:
                self._stop_current.set()

    def is_speaking(self, now: float | None = None) -> bool:
        t = self.clock() if now is None else now
        with self._cv:
            return self._playing is not None or bool(self._queue) or t < self._last_end + self.tail_s

    def warm(self, phrases: Iterable[str]) -> threading.Event:
        """Render phrases on the worker (pyttsx3 must stay on one thread) before any
        line queued after this call; returns an Event set when done. Never blocks."""
        items = [p for p in phrases if p.strip()]
        done = threading.Event()

        def task() -> None:
            self._warm(items)

        with self._cv:
            self._tasks.append((task, done))
            self._cv.notify_all()
        return done

    def wait_until_warm(self, timeout: float = 60.0) -> bool:
        """Block (start-up only) until the start-up phrases are rendered."""
        return self._warmed.wait(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until everything queued has played (tests, end of a session)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._queue or self._playing is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def close(self, flush_s: float = 10.0) -> None:
        """Finish what is queued (up to ``flush_s`` seconds: the last cues of a session
        still reach the WAV folder), then stop and release the sink."""
        if flush_s > 0 and not self._closed:
            self.wait_idle(flush_s)
        with self._cv:
            if self._closed:
                return
            self._closed = True
            self._stop_current.set()
            self._cv.notify_all()
        self._thread.join(timeout=5)
        if self._thread.is_alive():  # a render still running: the worker closes the engine after it
            log.warning("speaker: the speech engine is still rendering; it is released when it finishes")
        self.sink.close()


_warned: set[str] = set()


def _say_once(key: str, message: str) -> None:
    """Tell the user about a missing device exactly once per process (stderr + log)."""
    if key in _warned:
        return
    _warned.add(key)
    log.info(message)
    print(f"hingecoach: {message}", file=sys.stderr)


def make_speaker(
    spec: str = "auto",
    *,
    fallback_dir: str | Path | None = "out/speech",
    tts: Tts | Callable[[], Tts] | None = None,
    warm: Iterable[str] = (),
    clock: Callable[[], float] = time.monotonic,
    device: int | str | None = None,
) -> PlaybackSpeaker:
    """Build a speaker from ``none`` | ``wav:DIR`` | ``device`` | ``auto`` | ``fake``
    (``device``: the sounddevice output for ``device``/``auto``; None = the default).

    ``device``/``auto`` with no usable sound device says so once, clearly, and falls back
    to WAV files in ``fallback_dir`` (or to silence when that is None); never raises for
    a missing device. Raises DeviceError only for a malformed spec.
    """
    spec = spec.strip()
    if spec in ("none", "silent", "log"):
        return PlaybackSpeaker(NullSink(), clock=clock)
    if spec.startswith("wav:"):
        directory = spec[4:] or "out/speech"
        return PlaybackSpeaker(WavDirSink(directory, clock=clock), tts=tts, clock=clock, warm=warm)
    if spec in ("device", "auto"):
        try:
            sink: Sink = DeviceSink(device)
        except DeviceError as exc:
            sink = NullSink()
            if fallback_dir is not None:
                try:
                    sink = WavDirSink(fallback_dir, clock=clock)
                except DeviceError as why:  # an unwritable folder must not stop the coaching
                    _say_once("speaker", f"{exc}; speech is off (transcript only): {why}")
                else:
                    _say_once("speaker", f"{exc}; spoken cues go to WAV files in {fallback_dir}/ instead")
            else:
                _say_once("speaker", f"{exc}; speech is off (transcript only)")
        return PlaybackSpeaker(sink, tts=tts, clock=clock, warm=warm)
    raise DeviceError(f"unknown speaker {spec!r}: use none, wav:DIR, device or auto")
