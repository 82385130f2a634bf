"""Microphones: 16 kHz mono int16 blocks from the sound device, a WAV file, or a fake.

A microphone yields ``(t, block)`` pairs: ``t`` is the time of the block's first sample
in seconds on the listener's clock, ``block`` int16 samples at 16 kHz.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hingecoach.audio.pcm import ASR_RATE, Audio, read_wav, resample
from hingecoach.audio.sinks import import_sounddevice
from hingecoach.errors import DeviceError

#: Block length in samples (20 ms at 16 kHz).
BLOCK = 320


class Microphone(Protocol):
    """An iterable source of 16 kHz int16 blocks."""

    name: str

    def blocks(self) -> Iterator[tuple[float, np.ndarray]]:
        """Yield ``(t_seconds, samples)`` until the source ends or :meth:`close`."""
        ...

    def close(self) -> None:
        """Stop capturing."""
        ...


class WavMic:
    """A WAV file as a microphone (resampled to 16 kHz; any PCM WAV).

    Args:
        path: the file.
        realtime: if True, blocks arrive at the speed of sound (live-like tests);
            otherwise as fast as they are read (timestamps still follow the audio).
        t0: timestamp of the first sample.
        tail_s: silence appended so the endpointer sees the end of the last utterance.
    """

    name = "wav"

    def __init__(self, path: str | Path | Audio, realtime: bool = False, t0: float = 0.0, tail_s: float = 0.6) -> None:
        audio = path if isinstance(path, Audio) else read_wav(path)
        x = resample(audio, ASR_RATE).samples
        self.samples = np.concatenate([x, np.zeros(int(ASR_RATE * tail_s), dtype=np.int16)])
        self.realtime = realtime
        self.t0 = t0
        self._closed = False

    def blocks(self) -> Iterator[tuple[float, np.ndarray]]:
        start = time.monotonic()
        for i in range(0, len(self.samples), BLOCK):
            if self._closed:
                return
            t = self.t0 + i / ASR_RATE
            if self.realtime:
                delay = start + i / ASR_RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield t, self.samples[i : i + BLOCK]

    def close(self) -> None:
        self._closed = True


class FakeMic:
    """Blocks from arrays you give it (the fake), with explicit timestamps."""

    name = "fake"

    def __init__(self, samples: np.ndarray, t0: float = 0.0) -> None:
        self.samples = np.asarray(samples, dtype=np.int16)
        self.t0 = t0

    def blocks(self) -> Iterator[tuple[float, np.ndarray]]:
        for i in range(0, len(self.samples), BLOCK):
            yield self.t0 + i / ASR_RATE, self.samples[i : i + BLOCK]

    def close(self) -> None:
        pass


class DeviceMic:
    """The sound card's input via sounddevice, 16 kHz mono int16 (PortAudio resamples).

    Timestamps use ``clock`` (``time.monotonic``), the same clock as the Speaker, so the
    listener can gate blocks captured while the speaker was playing.

    Raises DeviceError (with the fix) when PortAudio or an input device is missing.
    """

    name = "device"

    def __init__(self, device: int | str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        sd = import_sounddevice()
        try:
            sd.query_devices(device, "input")
        except Exception as exc:  # PortAudioError / ValueError
            raise DeviceError(f"no microphone found (PortAudio: {exc}): plug in a USB microphone, or use `listen --wav FILE`") from None
        self._sd = sd
        self.device = device
        self.clock = clock
        self._q: queue.Queue[tuple[float, np.ndarray]] = queue.Queue(maxsize=500)
        self._stream: Any = None
        self._closed = False

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:  # noqa: ANN401
        t = self.clock() - frames / ASR_RATE
        # the listener is behind when full: dropping audio beats growing latency
        with contextlib.suppress(queue.Full):
            self._q.put_nowait((t, indata[:, 0].copy()))

    def blocks(self) -> Iterator[tuple[float, np.ndarray]]:
        try:
            self._stream = self._sd.InputStream(
                samplerate=ASR_RATE, channels=1, dtype="int16", blocksize=BLOCK,
                device=self.device, callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:
            raise DeviceError(f"cannot open the microphone ({exc}): check `arecord -l`") from None
        while not self._closed:
            try:
                yield self._q.get(timeout=0.5)
            except queue.Empty:
                stream = self._stream
                if stream is not None and not self._closed and not stream.active:
                    # PortAudio stopped the stream (the USB microphone was unplugged)
                    raise DeviceError("the microphone stopped sending audio: check its cable") from None

    def close(self) -> None:
        self._closed = True
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # noqa: BLE001 - closing a vanished device must not crash
                pass
            self._stream = None
