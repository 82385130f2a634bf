"""From a microphone stream to intents: endpointing, self-gating, recognition.

* :class:`Endpointer` - deterministic: energy (above 80 Hz) over an adaptive noise floor opens an
  utterance; energy or WebRTC's voice activity detector keeps it open; a short
  hangover of neither closes it (20 ms blocks, a little audio kept from before the
  start). Utterances longer than a command can be are dropped unheard (``max_s``): a
  cheap first rejection of ordinary talk.
* :class:`Listener` - feeds blocks through the endpointer, throws away every block
  captured while the speaker is talking (``speaker.is_speaking(t)``, which includes a
  tail for echo), and streams each utterance into the recogniser as it is spoken
  (:meth:`SphinxRecogniser.open_stream`), so that once the hangover has passed only
  the end of the search is left to run.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

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
    # silence that closes an utterance (commands have shorter inner gaps); see VAD_MODE
    "hangover_s": 0.16,
    # once open, a block quieter than this under the utterance's loudest block is not
    # speech, whatever the energy rule or the detector say: talk in the background
    # (15 dB under the user) otherwise holds the utterance open until it is too long
    # to be a command. Tune split, command clips followed by 1.5 s of their own noise:
    # with background talkers 57 of 81 were lost, 9 at 25 dB (20 dB: 0, but 19 of the
    # other 783 were cut in two; at 25 dB they were unchanged: 1 cut, 1 lost)
    "max_db_under_peak": 25.0,
    "preroll_s": 0.25,  # audio kept from before the detected start (soft onsets)
    "max_s": 3.5,  # longer than any command even spoken slowly: dropped unheard
    "min_s": 0.15,  # shorter: a click or a cough
    "floor_rise_db_per_s": 3.0,  # how fast the noise floor may creep up when quiet
    # levels are measured above this (2nd-order Butterworth high-pass; 0 = off). Rumble under
    # it (traffic, fans, handling, a drifting mic) is not speech, yet its slow swings move a
    # 20 ms block's level by tens of dB: the corpus's brown noise is 26 dB under 80 Hz for
    # 18 dB above it, and its block levels span 27-57 dB (p5-p95; 15-20 dB high-passed),
    # so a floor learned in 0.3 s opened utterances on noise alone. Speech moves < 0.3 dB.
    "level_highpass_hz": 80.0,
    # an utterance that begins this soon after the last one ended and whose loudest block is
    # this far under that one's is talk behind the user carrying on after a command, not the
    # user (the corpus's babble at 15 dB, cut off after a command, was heard as commands)
    "follower_gap_s": 0.6,
    "follower_db_under": 10.0,
}


#: Once an utterance is open, a block also counts as speech when WebRTC's voice activity
#: detector (PocketSphinx's port, this aggressiveness 0-3) says so and it is at least
#: ``min_speech_db`` loud: weak consonants and the gaps of slow speech sink into noise
#: that the energy rule cannot see past. On the corpus `tune` split (783 command clips
#: without background talkers, each followed by 1.5 s of its own noise), energy alone
#: cut 36 commands in two and lost 3 (hangover 0.16 s; at 0.2 s: 7 and 3, 40 ms later);
#: with the detector (and ``max_db_under_peak``), 1 and 1 at 0.16 s, the end detected
#: 168 ms after the speech (median; p90 239). None = energy only.
VAD_MODE: int | None = 3


def _make_vad(mode: int | None) -> object | None:
    if mode is None:
        return None
    try:
        from pocketsphinx import Vad
    except ImportError:  # the energy rule alone still works
        log.warning("pocketsphinx is not installed: the endpointer uses energy only")
        return None
    return Vad(mode, ASR_RATE, BLOCK / ASR_RATE)


class _HighPass:
    """A streaming 2nd-order Butterworth high-pass (state carried from block to block)."""

    def __init__(self, cutoff_hz: float, rate: int) -> None:
        from scipy.signal import butter, sosfilt

        self._sosfilt = sosfilt  # bound once: called for every 20 ms block
        self._sos = butter(2, cutoff_hz, "highpass", fs=rate, output="sos")
        self._zi = np.zeros((len(self._sos), 2))  # at rest before the first block

    def __call__(self, block: np.ndarray) -> np.ndarray:
        y, self._zi = self._sosfilt(self._sos, block.astype(np.float64), zi=self._zi)
        return y


def _make_highpass(cutoff_hz: float, rate: int) -> _HighPass | None:
    if cutoff_hz <= 0:
        return None
    try:
        return _HighPass(cutoff_hz, rate)
    except ImportError:  # the raw level still works, fooled by rumble
        log.warning("scipy is not installed: the endpointer measures levels without its high-pass")
        return None


def block_db(block: np.ndarray) -> float:
    """Level of a block: 20*log10(RMS) in int16 units (digital silence -> 0 dB)."""
    if len(block) == 0:
        return 0.0
    ms = float(np.mean(np.square(block.astype(np.float64))))
    return 10.0 * math.log10(ms + 1.0)


def has_speech(samples: np.ndarray, settings: dict[str, float] | None = None) -> bool:
    """Whether a whole recording (16 kHz) holds anything the endpointer would take for
    speech: ``start_blocks`` blocks in a row at least ``start_db_over_floor`` over the
    recording's noise floor (its 10th-percentile block, so a file may start mid-word) and at
    least ``min_speech_db`` loud, levels measured above ``level_highpass_hz``. Digital
    silence and steady noise have none."""
    s = settings or ENDPOINT
    n = len(samples) // BLOCK * BLOCK
    if n == 0:
        return False
    hp = _make_highpass(s["level_highpass_hz"], ASR_RATE)
    x = np.asarray(samples[:n])
    y = hp(x) if hp is not None else x.astype(np.float64)
    levels = np.array([block_db(b) for b in y.reshape(-1, BLOCK)])
    loud = levels >= max(float(np.percentile(levels, 10)) + s["start_db_over_floor"], s["min_speech_db"])
    run = 0
    for flag in loud:
        run = run + 1 if flag else 0
        if run >= s["start_blocks"]:
            return True
    return False


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
    dropped_follower: int = 0
    vad_mode: int | None = VAD_MODE

    def __post_init__(self) -> None:
        s = self.settings
        self._vad = _make_vad(self.vad_mode) if self.rate == ASR_RATE else None
        n_pre = max(1, int(s["preroll_s"] * self.rate / BLOCK))
        self._pre: deque[np.ndarray] = deque(maxlen=n_pre)
        self._pre_db: deque[float] = deque(maxlen=n_pre)  # their levels
        self._hang_blocks = max(1, int(round(s["hangover_s"] * self.rate / BLOCK)))
        self._highpass = _make_highpass(s["level_highpass_hz"], self.rate)
        self._last: tuple[float, float] | None = None  # (end, loudest block dB) of the last utterance
        self.reset()

    def reset(self) -> None:
        """Forget any utterance in progress (e.g. the speaker started talking)."""
        self._active = False
        self._run = 0
        self._silent = 0
        self._buf: list[np.ndarray] = []
        self._t_start = 0.0
        self._t_last_speech = 0.0
        self._peak_db = 0.0
        self._too_long = False
        self._pre.clear()
        self._pre_db.clear()

    @property
    def in_utterance(self) -> bool:
        """An utterance is open and still short enough to be a command."""
        return self._active and not self._too_long

    def utterance_blocks(self) -> list[np.ndarray]:
        """The open utterance's blocks so far, pre-roll included (do not modify)."""
        return self._buf if self.in_utterance else []

    def _update_floor(self, db: float, dt: float) -> None:
        if self.floor_db is None or db < self.floor_db:
            self.floor_db = db
        else:
            self.floor_db = min(db, self.floor_db + self.settings["floor_rise_db_per_s"] * dt)

    def push(self, t: float, block: np.ndarray) -> Utterance | None:
        """Feed one block starting at ``t`` seconds; returns an utterance when one ends."""
        s = self.settings
        dt = len(block) / self.rate
        db = block_db(self._highpass(block) if self._highpass is not None else block)
        floor = self.floor_db if self.floor_db is not None else db
        speech = db >= max(floor + s["start_db_over_floor"], s["min_speech_db"])
        if not self._active:
            if not speech:
                self._update_floor(db, dt)
            self._pre.append(block)
            self._pre_db.append(db)
            self._run = self._run + 1 if speech else 0
            if self._run >= s["start_blocks"]:
                self._active = True
                self._peak_db = max(self._pre_db)
                self._buf = list(self._pre)
                self._t_start = t - (s["start_blocks"] - 1) * dt
                self._t_last_speech = t + dt
                self._silent = 0
                self._too_long = False
            return None
        self._buf.append(block)
        self._peak_db = max(self._peak_db, db)
        if db < self._peak_db - s["max_db_under_peak"]:
            speech = False
        elif not speech and self._vad is not None and len(block) == BLOCK and db >= s["min_speech_db"]:
            speech = bool(self._vad.is_speech(np.asarray(block, dtype=np.int16).tobytes()))  # type: ignore[attr-defined]
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
        too_long, t_start, t_end, peak = self._too_long, self._t_start, self._t_last_speech, self._peak_db
        samples = np.concatenate(self._buf) if self._buf else np.zeros(0, np.int16)
        self.reset()
        if too_long:
            self.dropped_long += 1
            return None
        if t_end - t_start < s["min_s"]:
            return None
        last = self._last
        if (last is not None and t_start - last[0] < s["follower_gap_s"]
                and peak < last[1] - s["follower_db_under"]):
            self.dropped_follower += 1
            self._last = (t_end, last[1])  # talk going on behind the user: still the user's level
            return None
        self._last = (t_end, peak)
        return Utterance(t_start, t_end, t + dt, samples)


@dataclass
class Heard:
    """One utterance and what the recogniser made of it.

    Attributes:
        utterance: the audio and its times.
        result: the recognition.
        compute_s: wall-clock seconds of recognition left after the utterance ended
            (what the user waits for, on top of the hangover).
        stream_s: wall-clock seconds spent decoding while the utterance was spoken.
    """

    utterance: Utterance
    result: Recognition
    compute_s: float
    stream_s: float = 0.0


class UtteranceStream(Protocol):
    """One utterance fed block by block (see ``SphinxRecogniser.open_stream``)."""

    compute_s: float

    def feed(self, block: np.ndarray) -> None: ...

    def finish(self) -> Recognition: ...

    def cancel(self) -> None: ...


class WholeUtteranceStream:
    """For recognisers that only take whole utterances: collects the blocks, decodes at the end."""

    def __init__(self, recogniser: Recogniser) -> None:
        self._rec = recogniser
        self._blocks: list[np.ndarray] = []
        self.compute_s = 0.0

    def feed(self, block: np.ndarray) -> None:
        self._blocks.append(np.asarray(block, dtype=np.int16))

    def finish(self) -> Recognition:
        return self._rec.recognise(np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.int16))

    def cancel(self) -> None:
        self._blocks = []


def open_stream(recogniser: Recogniser) -> UtteranceStream:
    """The recogniser's own stream if it decodes while the user talks, else a collector."""
    opener = getattr(recogniser, "open_stream", None)
    return opener() if opener is not None else WholeUtteranceStream(recogniser)


class Listener:
    """Endpointing + self-gating + recognition.

    Each utterance is fed to the recogniser block by block from the moment the
    endpointer opens it (PocketSphinx decodes while the user talks), so only the last
    blocks remain to decode once the hangover has passed.

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
        self._stream: UtteranceStream | None = None  # the open utterance's, fed up to the last block

    def reset(self) -> None:
        """Drop any utterance in progress (the microphone went away in the middle of it)."""
        self.endpointer.reset()
        self._cancel()
        self._was_gated = False

    def _cancel(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    def feed(self, t: float, block: np.ndarray) -> Heard | None:
        """One block in; a :class:`Heard` when an utterance ended (gated blocks are dropped)."""
        t_end = t + len(block) / ASR_RATE
        if self.speaker is not None and self.speaker.is_speaking(t_end):  # type: ignore[attr-defined]
            self.gated_blocks += 1
            if not self._was_gated:
                self.endpointer.reset()
                self._cancel()
            self._was_gated = True
            return None
        self._was_gated = False
        ep = self.endpointer
        utt = ep.push(t, block)
        if utt is None:
            if not ep.in_utterance:
                self._cancel()  # nothing open, or dropped (too long / too short)
            elif self._stream is None:  # just opened: the pre-roll and the start blocks
                self._stream = open_stream(self.recogniser)
                for b in ep.utterance_blocks():
                    self._stream.feed(b)
            else:
                self._stream.feed(block)
            return None
        stream, self._stream = self._stream, None
        t0 = time.perf_counter()
        if stream is None:  # (an utterance always opens before it ends; be safe)
            stream, stream_s = open_stream(self.recogniser), 0.0
            stream.feed(utt.samples)
        else:
            stream_s = stream.compute_s
            stream.feed(block)  # the block that closed the utterance
        result = stream.finish()
        heard = Heard(utt, result, time.perf_counter() - t0, stream_s)
        log.info("heard %r -> %s (%.2f)", result.text, result.intent.name if result.intent else None, result.confidence)
        return heard

    def listen(self, mic: Microphone) -> Iterator[Heard]:
        """Every utterance heard from ``mic`` until it ends."""
        for t, block in mic.blocks():
            heard = self.feed(t, block)
            if heard is not None:
                yield heard
