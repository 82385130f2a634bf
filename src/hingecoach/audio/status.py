"""Voice health checks for ``hingecoach doctor``: what works, what fell back, and why.

Cheap and side-effect free: nothing is played or recorded, no model is loaded.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hingecoach.audio.recognisers import describe_recogniser
from hingecoach.audio.tts import find_piper_voice


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Attributes:
        name: what was checked (``tts``, ``speaker``, ``microphone``, ``recogniser``...).
        ok: True when it works as designed; False when missing or falling back.
        detail: what was found, and the fix when not ok.
    """

    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _device(kind: str) -> Check:
    name = "speaker" if kind == "output" else "microphone"
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return Check(name, False, f"PortAudio unavailable ({exc}): `apt install libportaudio2`; "
                     + ("cues go to WAV files" if kind == "output" else "use `listen --wav`"))
    try:
        info = sd.query_devices(None, kind)
        return Check(name, True, f"{info.get('name')} ({int(info.get('default_samplerate', 0))} Hz)")
    except Exception as exc:  # noqa: BLE001 - PortAudioError and friends
        fix = "cues go to WAV files (out/speech/)" if kind == "output" else "voice commands off; use `listen --wav`"
        return Check(name, False, f"no {kind} device ({exc}): {fix}")


def voice_checks(models_dir: str | Path | None = None) -> list[Check]:
    """Everything voice-related the doctor should print."""
    checks: list[Check] = []
    espeak = shutil.which("espeak-ng")
    piper = find_piper_voice(models_dir or "models")
    if piper is not None and _has("piper"):
        checks.append(Check("tts", True, f"Piper voice {piper}"))
    elif _has("pyttsx3") and espeak:
        checks.append(Check("tts", True, f"pyttsx3 over espeak-ng ({espeak})"))
    elif espeak:
        checks.append(Check("tts", True, f"espeak-ng program ({espeak}); pyttsx3 missing: `pip install pyttsx3`"))
    else:
        checks.append(Check("tts", False, "no espeak-ng: `apt install espeak-ng` (coaching continues as text)"))
    checks.append(_device("output"))
    checks.append(_device("input"))
    choice = describe_recogniser(models_dir)
    checks.append(Check("recogniser", choice.engine == "vosk", f"{choice.engine}: {choice.reason}"))
    return checks
