"""Where rendered speech goes: the sound device, numbered WAV files, or nowhere.

A sink plays one :class:`~hingecoach.audio.pcm.Audio` at a time from the Speaker's
worker thread, in short blocks, checking a stop event between blocks so a safety cue
can cut a count off mid-word. ``sounddevice`` is imported lazily: without
``libportaudio2`` its import raises OSError, without a device ``play`` raises
PortAudioError (STACK.md); both become :class:`~hingecoach.errors.DeviceError`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hingecoach.audio.pcm import Audio, resample, write_wav
from hingecoach.errors import DeviceError

log = logging.getLogger(__name__)

#: Block length written per step (seconds): short enough to stop within ~20 ms.
BLOCK_S = 0.02


class Sink(Protocol):
    """Plays audio. ``play`` blocks (on the Speaker's worker) until done or stopped."""

    name: str
    #: False when the sink never needs samples (skip TTS entirely).
    needs_audio: bool

    def play(
        self,
        audio: Audio,
        text: str,
        stop: threading.Event,
        on_first_sample: Callable[[], None] | None = None,
    ) -> float:
        """Play ``audio`` (whose words are ``text``); returns seconds actually played."""
        ...

    def close(self) -> None:
        """Release the device or files."""
        ...


def _slug(text: str, n: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:n].rstrip("-") or "speech"


def make_wav_folder(directory: str | Path) -> Path:
    """The folder spoken cues go to as WAV files (``--speaker wav:DIR``), created if missing;
    a DeviceError says why it cannot be (a file of that name, a folder that cannot be made or
    written). Checked before the session, not after it: a replay writes its WAV files at the end."""
    import os

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise DeviceError(f"WAV folder {folder} is a file, not a folder: pass another --speaker wav:DIR")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeviceError(f"cannot create WAV folder {folder} ({exc}): pass another --speaker wav:DIR") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DeviceError(f"cannot write in WAV folder {folder} (permission denied): pass another --speaker wav:DIR")
    return folder


class WavDirSink:
    """Writes each utterance as ``DIR/0001-push-your-hips-back.wav`` and appends a line
    to ``DIR/transcript.tsv`` (index, seconds since start, file, text). Numbering goes on
    after the highest-numbered file already in ``DIR``.

    Args:
        directory: created if missing.
        paced: if True, ``play`` takes as long as the audio (behaves like a speaker);
            if False (default) it returns at once (replays, demos, tests).
        clock: seconds, for the transcript; default ``time.monotonic``.
    """

    name = "wav"
    needs_audio = True

    def __init__(
        self, directory: str | Path, paced: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.directory = make_wav_folder(directory)
        self.paced = paced
        self.clock = clock
        self._t0 = clock()
        # go on from the files already there, so a second session or `say` adds to the
        # folder instead of overwriting its 0001-... (transcript.tsv is appended to as well)
        self.count = max((int(p.name[:4]) for p in self.directory.glob("[0-9][0-9][0-9][0-9]-*.wav")), default=0)
        self.files: list[Path] = []

    def play(
        self,
        audio: Audio,
        text: str,
        stop: threading.Event,
        on_first_sample: Callable[[], None] | None = None,
    ) -> float:
        self.count += 1
        path = self.directory / f"{self.count:04d}-{_slug(text)}.wav"
        if on_first_sample:
            on_first_sample()
        write_wav(path, audio)
        self.files.append(path)
        with (self.directory / "transcript.tsv").open("a", encoding="utf-8") as f:
            f.write(f"{self.count}\t{self.clock() - self._t0:.3f}\t{path.name}\t{text}\n")
        if self.paced:
            stop.wait(audio.duration_s)
        return audio.duration_s

    def close(self) -> None:
        pass


class NullSink:
    """Plays nothing; logs each line at INFO ("say: ...")."""

    name = "none"
    needs_audio = False

    def __init__(self) -> None:
        self.lines: list[str] = []

    def play(
        self,
        audio: Audio,
        text: str,
        stop: threading.Event,
        on_first_sample: Callable[[], None] | None = None,
    ) -> float:
        if on_first_sample:
            on_first_sample()
        self.lines.append(text)
        log.info("say: %s", text)
        return audio.duration_s

    def close(self) -> None:
        pass


class MemorySink:
    """Test sink: keeps (text, audio) pairs and the time of each first sample."""

    name = "memory"
    needs_audio = True

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.played: list[tuple[str, Audio]] = []
        self.first_sample_at: list[float] = []

    def play(
        self,
        audio: Audio,
        text: str,
        stop: threading.Event,
        on_first_sample: Callable[[], None] | None = None,
    ) -> float:
        self.first_sample_at.append(self.clock())
        if on_first_sample:
            on_first_sample()
        self.played.append((text, audio))
        return audio.duration_s

    def close(self) -> None:
        pass


def import_sounddevice() -> Any:  # noqa: ANN401
    """``import sounddevice`` with its two failure modes turned into DeviceError."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise DeviceError(
            f"audio I/O unavailable ({exc}): install PortAudio with `apt install libportaudio2` "
            "and `pip install sounddevice`"
        ) from None
    return sounddevice


class DeviceSink:
    """The sound card via sounddevice (PortAudio), one output stream kept open.

    Pi pitfalls handled: HDMI/USB audio that sleeps when idle clips the first word, so
    after ``wake_after_s`` of silence a ``preroll_s`` of silence is written first; audio
    is resampled to the device's rate (espeak renders 22.05 kHz, many devices only take
    48 kHz) and written in blocks with a generous latency so espeak does not stutter.

    Args:
        device: PortAudio device index or name substring; None = default output.
        preroll_s: silence written before speech after an idle spell (seconds).
        wake_after_s: idle time after which the pre-roll is needed (seconds).
    """

    name = "device"
    needs_audio = True

    def __init__(
        self, device: int | str | None = None, preroll_s: float = 0.15, wake_after_s: float = 2.0
    ) -> None:
        sd = import_sounddevice()
        self._sd = sd
        try:
            info = sd.query_devices(device, "output")
        except Exception as exc:  # PortAudioError, ValueError
            raise DeviceError(f"no sound output device ({exc}): plug in a speaker or use --speaker wav:DIR") from None
        self.device = device
        self.rate = int(info.get("default_samplerate") or 48000)
        self.preroll_s = preroll_s
        self.wake_after_s = wake_after_s
        self._stream = None
        self._last_end = -1e9

    def _open(self) -> Any:  # noqa: ANN401
        if self._stream is None:
            try:
                self._stream = self._sd.OutputStream(
                    samplerate=self.rate, channels=1, dtype="int16", device=self.device, latency="high"
                )
                self._stream.start()
            except Exception as exc:
                self._stream = None
                raise DeviceError(f"cannot open the sound device ({exc}): check `aplay -l` or use --speaker wav:DIR") from None
        return self._stream

    def play(
        self,
        audio: Audio,
        text: str,
        stop: threading.Event,
        on_first_sample: Callable[[], None] | None = None,
    ) -> float:
        stream = self._open()
        x = resample(audio, self.rate).samples
        if time.monotonic() - self._last_end > self.wake_after_s and self.preroll_s > 0:
            x = np.concatenate([np.zeros(int(self.rate * self.preroll_s), dtype=np.int16), x])
        block = max(1, int(self.rate * BLOCK_S))
        played = 0
        try:
            for i in range(0, len(x), block):
                if stop.is_set():
                    break
                if i == 0 and on_first_sample:
                    on_first_sample()
                stream.write(np.ascontiguousarray(x[i : i + block]).reshape(-1, 1))
                played += min(block, len(x) - i)
        except Exception as exc:
            raise DeviceError(f"sound device failed while playing ({exc}): use --speaker wav:DIR") from None
        finally:
            self._last_end = time.monotonic()
        return played / self.rate

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as exc:  # noqa: BLE001 - closing a dead device must not crash
                log.debug("closing sound device: %s", exc)
            self._stream = None
