"""Small PCM helpers: WAV read/write, resampling, level, noise at a given SNR.

Audio inside Hinge Coach is mono int16 numpy arrays with an explicit sample rate in
hertz. Only numpy and the standard library's ``wave`` module are used.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hingecoach.errors import InputError

#: The recognisers' sample rate (hertz): 16 kHz mono, what both PocketSphinx's and
#: Vosk's small English models are trained on.
ASR_RATE = 16000


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit audio.

    Attributes:
        samples: int16 array, one channel.
        rate: sample rate in hertz.
    """

    samples: np.ndarray
    rate: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.rate)


#: Sample rates a WAV header may give (a header saying 0 or 1 Hz is corrupt, and resampling
#: from it to 16 kHz would need gigabytes).
MIN_WAV_RATE = 4000
MAX_WAV_RATE = 384000


def read_wav(path: str | Path) -> Audio:
    """Read an integer PCM WAV file (8/16/24/32-bit, any channel count, plain or
    WAVE_FORMAT_EXTENSIBLE) as mono int16.

    Raises InputError naming the file when it is missing or not a PCM WAV.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not a WAV file: name the file in it")
    if not p.is_file():
        raise InputError(f"{p}: no such WAV file: check the path")
    try:
        audio, promised = _read_file(p)
    except (wave.Error, EOFError, ValueError) as exc:
        why = str(exc) or "too short for a WAV header"
        raise InputError(f"{p}: not a readable PCM WAV file ({why}): convert it with "
                         f"`sox IN -r 16000 -c 1 -b 16 out.wav`") from None
    if not MIN_WAV_RATE <= audio.rate <= MAX_WAV_RATE:
        raise InputError(f"{p}: its header gives a sample rate of {audio.rate} Hz, which no recording has "
                         f"({MIN_WAV_RATE}-{MAX_WAV_RATE} Hz expected), so the file is damaged: record or "
                         f"export it again (16 kHz mono 16-bit is best)")
    if len(audio.samples) < promised:
        raise InputError(f"{p}: truncated WAV file (holds {len(audio.samples)} of the {promised} samples its "
                         f"header promises): record it again, or keep what is there with "
                         f"`sox --ignore-length IN out.wav`")
    return audio


def _read_file(p: Path) -> tuple[Audio, int]:
    """The file's audio and the frames its header promises (``wave``, or our own reader for
    the WAVE_FORMAT_EXTENSIBLE files it refuses)."""
    try:
        with wave.open(str(p), "rb") as w:
            return _from_wave(w), w.getnframes()
    except wave.Error as exc:
        if f"unknown format: {_EXTENSIBLE}" not in str(exc):
            raise
    return _read_extensible(p.read_bytes())


def wav_bytes_to_audio(data: bytes) -> Audio:
    """Decode an in-memory WAV (e.g. ``espeak-ng --stdout``) to mono int16."""
    with wave.open(io.BytesIO(data), "rb") as w:
        return _from_wave(w)


def _from_wave(w: wave.Wave_read) -> Audio:
    return _to_mono16(w.readframes(w.getnframes()), w.getsampwidth(), w.getnchannels(), w.getframerate())


#: WAVE_FORMAT_EXTENSIBLE, what sox and many recorders write for 24- and 32-bit PCM or more
#: than two channels; Python 3.11's ``wave`` refuses it ("unknown format: 65534").
_EXTENSIBLE = 0xFFFE


def _read_extensible(data: bytes) -> tuple[Audio, int]:
    """A WAVE_FORMAT_EXTENSIBLE file holding integer PCM: (audio, frames its header promises)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("no RIFF/WAVE header")
    fmt, raw, declared, pos = None, None, 0, 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if cid == b"fmt ":
            fmt = data[pos + 8 : pos + 8 + size]
        elif cid == b"data":
            raw, declared = data[pos + 8 : pos + 8 + size], size
            break
        pos += 8 + size + (size & 1)
    if fmt is None or raw is None or len(fmt) < 26:
        raise ValueError("no fmt or data chunk")
    tag, channels, rate = int.from_bytes(fmt[0:2], "little"), int.from_bytes(fmt[2:4], "little"), int.from_bytes(fmt[4:8], "little")
    bits, sub = int.from_bytes(fmt[14:16], "little"), int.from_bytes(fmt[24:26], "little")
    if tag != _EXTENSIBLE or sub != 1:  # sub-format 1 = integer PCM (3 would be float)
        raise ValueError(f"format {tag:#06x}, sub-format {sub}: only integer PCM is read")
    width = bits // 8
    raw = raw[: len(raw) - len(raw) % (width * channels)] if width and channels else raw
    return _to_mono16(raw, width, channels, rate), declared // max(1, width * channels)


def _to_mono16(raw: bytes, width: int, channels: int, rate: int) -> Audio:
    """Little-endian integer PCM frames (1-4 bytes a sample, any channels) as mono int16."""
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8) >> 16  # sign from the top byte
    elif width == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.int64) >> 16
    else:
        raise ValueError(f"unsupported sample width {width} bytes")
    if channels > 1:
        x = x[: len(x) - len(x) % channels].reshape(-1, channels).mean(axis=1)
    return Audio(np.clip(x, -32768, 32767).astype(np.int16), rate)


def write_wav(path: str | Path, audio: Audio) -> Path:
    """Write mono int16 audio as a PCM WAV file; returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    # the file first, then the wave writer: a wave.open that cannot open its file leaves a
    # half-built writer whose __del__ prints "Exception ignored ... no attribute '_file'"
    with open(p, "wb") as f, wave.open(f, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(audio.rate))
        w.writeframes(np.asarray(audio.samples, dtype="<i2").tobytes())
    return p


def resample(audio: Audio, rate: int) -> Audio:
    """Band-limited resampling (FFT method) to ``rate`` hertz.

    Fine for utterance-length clips (seconds); not meant for streaming.
    """
    if audio.rate == rate or len(audio.samples) == 0:
        return Audio(audio.samples, rate) if audio.rate == rate else Audio(audio.samples[:0], rate)
    x = audio.samples.astype(np.float64)
    n_out = max(1, int(round(len(x) * rate / audio.rate)))
    spec = np.fft.rfft(x)
    m = n_out // 2 + 1
    out_spec = np.zeros(m, dtype=complex)
    k = min(m, len(spec))
    out_spec[:k] = spec[:k]
    y = np.fft.irfft(out_spec, n_out) * (n_out / len(x))
    return Audio(np.clip(np.round(y), -32768, 32767).astype(np.int16), rate)


def to_asr(audio: Audio) -> np.ndarray:
    """Mono int16 samples at :data:`ASR_RATE`."""
    return resample(audio, ASR_RATE).samples


def rms(x: np.ndarray) -> float:
    """Root-mean-square level of int16 samples (in sample units)."""
    if len(x) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))


def frame_rms(x: np.ndarray, hop: int = 160) -> np.ndarray:
    """RMS level of each whole ``hop``-sample frame of int16 samples (10 ms at 16 kHz); a
    partial last frame is left out."""
    n = len(x) // hop
    return np.sqrt((np.asarray(x)[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(1))


def active_rms(x: np.ndarray, frame: int = 320) -> float:
    """RMS over the louder half of 20 ms frames: the speech level, ignoring pauses."""
    n = len(x) // frame
    if n == 0:
        return rms(x)
    frames = x[: n * frame].astype(np.float64).reshape(n, frame)
    e = np.mean(frames**2, axis=1)
    top = np.sort(e)[n // 2 :]
    return float(np.sqrt(np.mean(top)))


def coloured_noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise: ``white``, ``pink`` (1/f), ``brown`` (1/f^2) or ``blue`` (f)."""
    w = rng.standard_normal(n)
    if colour == "white":
        y = w
    else:
        spec = np.fft.rfft(w)
        f = np.arange(len(spec), dtype=np.float64)
        f[0] = 1.0
        power = {"pink": -0.5, "brown": -1.0, "blue": 0.5}[colour]
        y = np.fft.irfft(spec * f**power, n)
    return y / (np.sqrt(np.mean(y**2)) + 1e-12)


def add_noise(
    samples: np.ndarray, snr_db: float, noise: np.ndarray
) -> np.ndarray:
    """Mix ``noise`` (any level, at least as long) under speech at ``snr_db`` decibels,
    the speech level measured by :func:`active_rms`."""
    speech = active_rms(samples)
    nz = noise[: len(samples)].astype(np.float64)
    nz = nz / (np.sqrt(np.mean(nz**2)) + 1e-12) * speech / (10 ** (snr_db / 20))
    y = samples.astype(np.float64) + nz
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def pad(samples: np.ndarray, rate: int, before_s: float, after_s: float) -> np.ndarray:
    """Surround samples with silence (seconds before and after)."""
    b = np.zeros(int(rate * before_s), dtype=np.int16)
    a = np.zeros(int(rate * after_s), dtype=np.int16)
    return np.concatenate([b, samples.astype(np.int16), a])
