"""From a microphone stream to intents: endpointing, self-gating, recognition.

* :class:`Endpointer` - pure and deterministic: energy over an adaptive noise floor
  cuts 20 ms blocks into utterances (with a little audio before the start and a short
  hangover after the end). Utterances longer than a command can be are dropped
  unheard (``max_s``): a cheap first rejection of ordinary talk.
* :class:`Listener` - feeds blocks through the endpointer, throws away every block
  captured while the speaker is talking (``speaker.is_speaking(t)``, which includes a
  tail for echo), and runs the recogniser on each utterance.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from hingecoach.audio.mic import BLOCK, Microphone
from hingecoach.audio.pcm import ASR_RATE
from hingecoach.audio.recognisers import Recogniser, Recognition

log = logging.getLogger(__name__)

#: Endpointer settings (block = 20 ms at 16 kHz). Units in the names.
ENDPOINT = {
    "start_db_over_floor": 9.0,  # a block is speech when this much louder than the noise floor
    "min_speech_db": 36.0,  # ... and at least this loud (20*log10 RMS in int16 units; 36 dB ~ RMS 63)
    "start_blocks": 3,  # consecutive speech blocks to open an utterance (60 ms)
    "hangover_s": 0.16,  # silence that closes an utterance; commands have shorter inner gaps
    "preroll_s": 0.25,  # audio kept from before the detected start (soft onsets)
    "max_s": 3.5,  # longer than any command even spoken slowly: dropped unheard
    "min_s": 0.15,  # shorter: a click or a cough
    "floor_rise_db_per_s": 3.0,  # how fast the noise floor may creep up when quiet
}


def block_db(block: np.ndarray) -> float:
    """Level of a block: 20*log10(RMS) in int16 units (digital silence -> 0 dB)."""
    if len(block) == 0:
        return 0.0
    ms = float(np.mean(np.square(block.astype(np.float64))))
    return 10.0 * math.log10(ms + 1.0)


@dataclass
class Utterance:
    """One stretch of speech.

    Attributes:
        t_start: time of the first speech block (seconds, stream clock).
        t_end: time the speech ended (end of the last speech block).
        t_detected: when the endpointer decided it ended (t_end + hangover).
        samples: 16 kHz int16 audio including pre-roll and hangover.
    """

    t_start: float
    t_end: float
    t_detected: float
    samples: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.t_end - self.t_start


@dataclass
class Endpointer:
    """Energy endpointer with an adaptive noise floor (deterministic; no clock)."""

    settings: dict[str, float] = field(default_factory=lambda: dict(ENDPOINT))
    rate: int = ASR_RATE
    floor_db: float | None = None
    dropped_long: int = 0

    def __post_init__(self) -> None:
        s = self.settings
        self._pre: deque[np.ndarray] = deque(maxlen=max(1, int(s["preroll_s"] * self.rate / BLOCK)))
        self._hang_blocks = max(1, int(round(s["hangover_s"] * self.rate / BLOCK)))
        self.reset()

    def reset(self) -> None:
        """Forget any utterance in progress (e.g. the speaker started talking)."""
        self._active = False
        self._run = 0
        self._silent = 0
        self._buf: list[np.ndarray] = []
        self._t_start = 0.0
        self._t_last_speech = 0.0
        self._too_long = False
        self._pre.clear()

    def _update_floor(self, db: float, dt: float) -> None:
        if self.floor_db is None or db < self.floor_db:
            self.floor_db = db
        else:
            self.floor_db = min(db, self.floor_db + self.settings["floor_rise_db_per_s"] * dt)

    def push(self, t: float, block: np.ndarray) -> Utterance | None:
        """Feed one block starting at ``t`` seconds; returns an utterance when one ends."""
        s = self.settings
        dt = len(block) / self.rate
        db = block_db(block)
        floor = self.floor_db if self.floor_db is not None else db
        speech = db >= max(floor + s["start_db_over_floor"], s["min_speech_db"])
        if not self._active:
            if not speech:
                self._update_floor(db, dt)
            self._pre.append(block)
            self._run = self._run + 1 if speech else 0
            if self._run >= s["start_blocks"]:
                self._active = True
                self._buf = list(self._pre)
                self._t_start = t - (s["start_blocks"] - 1) * dt
                self._t_last_speech = t + dt
                self._silent = 0
                self._too_long = False
            return None
        self._buf.append(block)
        if speech:
            self._silent = 0
            self._t_last_speech = t + dt
        else:
            self._silent += 1
            self._update_floor(db, dt)
        if self._t_last_speech - self._t_start > s["max_s"]:
            self._too_long = True
            self._buf = []  # do not hold minutes of talk in memory
        if self._silent < self._hang_blocks:
            return None
        too_long, t_start, t_end = self._too_long, self._t_start, self._t_last_speech
        samples = np.concatenate(self._buf) if self._buf else np.zeros(0, np.int16)
        self.reset()
        if too_long:
            self.dropped_long += 1
            return None
        if t_end - t_start < s["min_s"]:
            return None
        return Utterance(t_start, t_end, t + dt, samples)


@dataclass
class Heard:
    """One utterance and what the recogniser made of it.

    Attributes:
        utterance: the audio and its times.
        result: the recognition.
        compute_s: wall-clock seconds the recogniser took.
    """

    utterance: Utterance
    result: Recognition
    compute_s: float


class Listener:
    """Endpointing + self-gating + recognition.

    Args:
        recogniser: any :class:`~hingecoach.audio.recognisers.Recogniser`.
        speaker: anything with ``is_speaking(t)`` on the mic's clock; None = never gated.
        endpointer: default :class:`Endpointer`.
    """

    def __init__(self, recogniser: Recogniser, speaker: object | None = None, endpointer: Endpointer | None = None) -> None:
        self.recogniser = recogniser
        self.speaker = speaker
        self.endpointer = endpointer or Endpointer()
        self.gated_blocks = 0
        self._was_gated = False

    def feed(self, t: float, block: np.ndarray) -> Heard | None:
        """One block in; a :class:`Heard` when an utterance ended (gated blocks are dropped)."""
        t_end = t + len(block) / ASR_RATE
        if self.speaker is not None and self.speaker.is_speaking(t_end):  # type: ignore[attr-defined]
            self.gated_blocks += 1
            if not self._was_gated:
                self.endpointer.reset()
            self._was_gated = True
            return None
        self._was_gated = False
        utt = self.endpointer.push(t, block)
        if utt is None:
            return None
        t0 = time.perf_counter()
        result = self.recogniser.recognise(utt.samples)
        heard = Heard(utt, result, time.perf_counter() - t0)
        log.info("heard %r -> %s (%.2f)", result.text, result.intent.name if result.intent else None, result.confidence)
        return heard

    def listen(self, mic: Microphone) -> Iterator[Heard]:
        """Every utterance heard from ``mic`` until it ends."""
        for t, block in mic.blocks():
            heard = self.feed(t, block)
            if heard is not None:
                yield heard
