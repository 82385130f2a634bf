"""Text to speech: render a phrase to PCM (never play it here), plus a phrase cache.

Engines (all offline):

* :class:`Pyttsx3Tts` - pyttsx3 over libespeak-ng, the default. Renders with
  ``save_to_file`` + ``runAndWait`` only. pyttsx3 quirks avoided on purpose
  (STACK.md): we never call ``say()`` on the engine (after ``save_to_file`` a later
  ``say()`` rewrites the old file instead of playing), every render goes to a fresh
  file name, and the engine is only ever used from the one thread that created it
  (the Speaker's worker), which is what makes a second ``runAndWait`` hang on the Pi.
* :class:`EspeakTts` - the ``espeak-ng`` program as a subprocess (``--stdout``);
  used when pyttsx3 is unavailable, and by tests to speak in many voices.
* :class:`PiperTts` - optional, only when ``piper`` is installed AND a voice model
  (``models/*.onnx``) is present; nothing is downloaded.
* :class:`SilentTts` - the fake: silence of a plausible length (Piper-style shape).

Every engine returns :class:`hingecoach.audio.pcm.Audio` (mono int16).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from hingecoach.audio.pcm import Audio, read_wav, wav_bytes_to_audio
from hingecoach.errors import DeviceError, InputError, ModelError

log = logging.getLogger(__name__)

#: Speaking rate for coaching cues, words per minute (espeak's default is 175; a
#: little slower is clearer across a room).
DEFAULT_RATE_WPM = 165


class Tts(Protocol):
    """Renders text to audio. Implementations may be slow; callers cache."""

    name: str

    def render(self, text: str) -> Audio:
        """Speech for ``text`` as mono int16 PCM."""
        ...


class EspeakTts:
    """``espeak-ng`` as a subprocess. ~25 ms for a short cue (STACK.md).

    Args:
        voice: espeak voice, optionally with a variant: ``en-us``, ``en-gb+f3``.
        rate_wpm: words per minute (espeak ``-s``).
        pitch: 0..99 (espeak ``-p``), None for the voice's default.
        binary: program name or path.
    """

    name = "espeak-ng"

    def __init__(
        self,
        voice: str = "en-us",
        rate_wpm: int = DEFAULT_RATE_WPM,
        pitch: int | None = None,
        binary: str = "espeak-ng",
    ) -> None:
        path = shutil.which(binary)
        if path is None:
            raise DeviceError(
                f"text to speech: {binary!r} not found: install it with `apt install espeak-ng`"
            )
        self.binary = path
        self.voice = voice
        self.rate_wpm = int(rate_wpm)
        self.pitch = pitch

    def render(self, text: str) -> Audio:
        cmd = [self.binary, "-v", self.voice, "-s", str(self.rate_wpm), "--stdout"]
        if self.pitch is not None:
            cmd += ["-p", str(int(self.pitch))]
        out = subprocess.run(cmd + ["--", text], capture_output=True, check=False, timeout=30)
        if out.returncode != 0 or not out.stdout:
            raise DeviceError(
                f"espeak-ng failed for voice {self.voice!r} ({out.stderr.decode(errors='replace').strip()}): "
                f"check `espeak-ng --voices=en`"
            )
        return wav_bytes_to_audio(out.stdout)


#: How long :class:`Pyttsx3Tts` waits for one phrase (a cue renders in 10-15 ms), and how
#: often it tries a phrase that pyttsx3 cancelled.
RENDER_TIMEOUT_S = 10.0
RENDER_ATTEMPTS = 3


def _quiet_espeak_driver() -> None:
    """Silence the "Audio saved to ..." line pyttsx3's espeak driver prints after every file, in
    that module only. (``contextlib.redirect_stdout`` did it before 2026-11-23, but it swaps
    ``sys.stdout`` for the whole process: a live ``run`` that set up its cue printer while the
    phrase cache was warming on this thread printed its cues into the swapped-in buffer.)"""
    from pyttsx3.drivers import espeak as driver

    def quiet_print(*args: object, **_: object) -> None:
        text = " ".join(str(a) for a in args)
        if not text.startswith("Audio saved to"):
            log.warning("pyttsx3: %s", text)  # its other message, a playback error

    driver.print = quiet_print  # type: ignore[attr-defined]  # shadows the builtin there only


class Pyttsx3Tts:
    """pyttsx3 (espeak-ng driver) rendering to WAV via ``save_to_file`` + ``runAndWait``.

    Use from ONE thread only (the one that calls :meth:`render` first creates the engine).
    """

    name = "pyttsx3"

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM, voice: str | None = None) -> None:
        try:
            import pyttsx3  # noqa: F401  (lazy: heavy and optional)
        except ImportError as exc:
            raise DeviceError(
                f"text to speech: pyttsx3 is not installed ({exc}): `pip install pyttsx3`"
            ) from None
        self.rate_wpm = int(rate_wpm)
        self.voice = voice
        self._engine = None
        self._dir = tempfile.mkdtemp(prefix="hingecoach-tts-")
        # removed by close(), else when this engine is dropped or at exit at the latest (`say
        # --wav` and the replay's cue WAVs never closed theirs: a folder left per run)
        self._remove_dir = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._n = 0
        self._finished = threading.Event()
        self._completed = False

    def _get_engine(self):  # noqa: ANN202 - pyttsx3 has no types
        if self._engine is None:
            import pyttsx3

            _quiet_espeak_driver()
            engine = pyttsx3.init("espeak")
            engine.setProperty("rate", self.rate_wpm)
            if self.voice:
                engine.setProperty("voice", self.voice)
            self._token = engine.connect("finished-utterance", self._on_finished)
            self._engine = engine
        return self._engine

    def render(self, text: str) -> Audio:
        for _ in range(RENDER_ATTEMPTS):
            audio = self._render_once(text)
            if audio is not None:
                return audio
        raise DeviceError(f"text to speech: espeak-ng cancelled {text!r} {RENDER_ATTEMPTS} times: "
                          f"check `hingecoach doctor`")

    def _render_once(self, text: str) -> Audio | None:
        """One ``save_to_file`` + ``runAndWait``; None when pyttsx3 cancelled it.

        pyttsx3 2.99 over espeak-ng (asynchronous: it synthesises on its own thread) has two
        races, both seen here under load and in the test suite:

        * a fresh engine's first synthesis starts after the command that ends the loop, so
          ``runAndWait`` can return before the file is written (pyttsx3 issue #219; the
          demo's first cue went missing 1 time in 4): wait for ``finished-utterance``;
        * that loop-ending command calls ``stop()``, which cancels the next synthesis if
          espeak-ng is still busy (setting up a new engine's voice, or the tail of the last
          phrase): the phrase comes out empty (2 in 10 when a second engine followed the
          speaker's). Wait until espeak-ng is idle first, and treat a cancelled utterance
          as not rendered.
        """
        from pyttsx3.drivers import _espeak

        engine = self._get_engine()
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.002)
        self._n += 1
        path = os.path.join(self._dir, f"r{self._n:06d}.wav")  # fresh file every time
        self._finished.clear()
        self._completed = False
        engine.save_to_file(text, path)
        engine.runAndWait()
        if not self._finished.wait(RENDER_TIMEOUT_S):
            raise DeviceError(f"text to speech: espeak-ng did not finish {text!r} within "
                              f"{RENDER_TIMEOUT_S:g} s: check `hingecoach doctor`")
        try:
            if not self._completed:
                return None
            try:
                audio = read_wav(path)
            except InputError:  # missing, or shorter than its header says: not rendered (tried again)
                return None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return audio if len(audio.samples) else None

    def _on_finished(self, completed: bool = True, **_: object) -> None:
        self._completed = bool(completed)
        self._finished.set()

    def close(self) -> None:
        """Release the engine and the temporary folder."""
        if self._engine is not None:
            with contextlib.suppress(Exception):
                self._engine.disconnect(self._token)  # pyttsx3 hands the next one this engine
                self._engine.stop()
            self._engine = None
        self._remove_dir()


class PiperTts:
    """Piper neural TTS; only when the ``piper`` package AND a voice ``.onnx`` exist.

    Supports piper-tts 1.3 (``synthesize`` yielding chunks with ``audio_int16_bytes``)
    and older releases (``synthesize_stream_raw``).
    """

    name = "piper"

    def __init__(self, model_path: str | Path) -> None:
        p = Path(model_path)
        if not p.is_file():
            raise ModelError(f"Piper voice {p} not found: put a voice .onnx (+ .onnx.json) in models/")
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise DeviceError(f"Piper is not installed ({exc}): `pip install piper-tts`") from None
        self._voice = PiperVoice.load(str(p))
        self.rate = int(getattr(getattr(self._voice, "config", None), "sample_rate", 22050))

    def render(self, text: str) -> Audio:
        v = self._voice
        if hasattr(v, "synthesize_stream_raw"):
            raw = b"".join(v.synthesize_stream_raw(text))
            return Audio(np.frombuffer(raw, dtype="<i2").copy(), self.rate)
        parts, rate = [], self.rate
        for chunk in v.synthesize(text):
            parts.append(chunk.audio_int16_bytes)
            rate = int(getattr(chunk, "sample_rate", rate))
        return Audio(np.frombuffer(b"".join(parts), dtype="<i2").copy(), rate)


class SilentTts:
    """The fake engine: silence, 0.35 s per word (about 170 words a minute)."""

    name = "silent"

    def __init__(self, rate: int = 16000, seconds_per_word: float = 0.35) -> None:
        self.rate = rate
        self.seconds_per_word = seconds_per_word
        self.rendered: list[str] = []

    def render(self, text: str) -> Audio:
        self.rendered.append(text)
        n = int(self.rate * self.seconds_per_word * max(1, len(text.split())))
        return Audio(np.zeros(n, dtype=np.int16), self.rate)


def find_piper_voice(models_dir: str | Path = "models") -> Path | None:
    """The first Piper voice (``*.onnx`` with its ``.onnx.json``) in ``models_dir``."""
    d = Path(models_dir)
    if not d.is_dir():
        return None
    for p in sorted(d.glob("*.onnx")):
        if p.with_suffix(".onnx.json").is_file():
            return p
    return None


def make_tts(spec: str = "auto", models_dir: str | Path = "models") -> Tts:
    """Build a TTS engine from ``auto|pyttsx3|espeak|piper|silent`` (also the config's
    ``voice.tts`` spellings: ``espeak-ng``, and ``none`` for silent).

    ``auto``: Piper if a voice is installed, else pyttsx3, else the espeak-ng program;
    each fallback is logged with its reason. Raises DeviceError if nothing works.
    """
    spec = spec.lower()
    if spec in ("silent", "none"):
        return SilentTts()
    if spec in ("auto", "piper"):
        voice = find_piper_voice(models_dir)
        if voice is not None:
            try:
                return PiperTts(voice)
            except (DeviceError, ModelError) as exc:
                if spec == "piper":
                    raise
                log.info("tts: Piper voice %s present but unusable (%s); using pyttsx3", voice, exc)
        elif spec == "piper":
            raise ModelError(f"no Piper voice (*.onnx + *.onnx.json) in {models_dir}/: add one or use --tts pyttsx3")
    if spec in ("auto", "pyttsx3"):
        try:
            return Pyttsx3Tts()
        except DeviceError as exc:
            if spec == "pyttsx3":
                raise
            log.warning("tts: %s; falling back to the espeak-ng program", exc)
    if spec in ("auto", "espeak", "espeak-ng"):
        return EspeakTts()
    raise DeviceError(f"unknown TTS engine {spec!r}: use auto, pyttsx3, espeak (espeak-ng), piper or silent (none)")


class PhraseCache:
    """Rendered phrases (LRU), so a repeated cue starts in milliseconds.

    Not thread-safe by itself: owned by the Speaker's worker thread.

    Args:
        tts: the engine used on a miss.
        max_items: phrases kept (a coaching catalogue is a few hundred short WAVs, ~50 KB each).
    """

    def __init__(self, tts: Tts, max_items: int = 512) -> None:
        self.tts = tts
        self.max_items = max_items
        self._items: OrderedDict[str, Audio] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        """Cache key: whitespace-normalised text (case kept: it can change prosody)."""
        return " ".join(text.split())

    def __contains__(self, text: str) -> bool:
        return self.key(text) in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, text: str) -> Audio:
        """The rendered phrase, rendering (and storing) it on a miss."""
        k = self.key(text)
        audio = self._items.get(k)
        if audio is not None:
            self._items.move_to_end(k)
            self.hits += 1
            return audio
        self.misses += 1
        audio = self.tts.render(k)
        self._items[k] = audio
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return audio

    def warm(self, phrases: Iterable[str]) -> int:
        """Render every phrase not yet cached; returns how many were rendered."""
        n = 0
        for p in phrases:
            if p.strip() and p not in self:
                self.get(p)
                self.misses -= 1  # warming is not a miss at run time
                n += 1
        return n
