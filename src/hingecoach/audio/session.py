"""Voice in and out for the live app, in one object the frame loop can poll.

    voice = VoiceSession(speaker="auto", listen=True, warm=catalogue, decoys=catalogue)
    ...
    voice.speaker.say("hips back", Priority.CUE, "cue")       # never blocks
    for intent in voice.poll():                               # never blocks
        coach.on_intent(intent)
    ...
    voice.close()

No sound device: the speaker says so once and writes cues to WAV files. No microphone:
says so once and carries on without voice commands (scripted ``--commands`` still
work). Never raises for a missing device.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from hingecoach.audio.intents import Intent
from hingecoach.audio.speaker import PlaybackSpeaker, make_speaker
from hingecoach.errors import HingeError

log = logging.getLogger(__name__)


class VoiceSession:
    """Speaker + (optional) microphone listener on a background thread.

    Args:
        speaker: ``auto|device|none|wav:DIR`` (see :func:`make_speaker`).
        listen: start the microphone listener.
        recogniser: ``auto|vosk|pocketsphinx|vosk:PATH``.
        warm: phrases to pre-render (the coach's catalogue, counts).
        decoys: phrases that must never be commands (the coach's catalogue).
        fallback_dir: where cues go without a sound device.
    """

    def __init__(
        self,
        speaker: str = "auto",
        listen: bool = True,
        recogniser: str = "auto",
        warm: Iterable[str] = (),
        decoys: Iterable[str] = (),
        fallback_dir: str | Path = "out/speech",
        models_dir: str | Path | None = None,
    ) -> None:
        warm = list(warm)
        self.speaker: PlaybackSpeaker = make_speaker(speaker, fallback_dir=fallback_dir, warm=warm)
        self._intents: queue.Queue[Intent] = queue.Queue()
        self._mic = None
        self._thread: threading.Thread | None = None
        self.listening = False
        self.problem: str | None = None
        if listen:
            self._start_listening(recogniser, list(decoys), models_dir)

    def _start_listening(self, spec: str, decoys: list[str], models_dir: str | Path | None) -> None:
        from hingecoach.audio.listener import Listener
        from hingecoach.audio.mic import DeviceMic
        from hingecoach.audio.recognisers import make_recogniser

        try:
            mic = DeviceMic(clock=self.speaker.clock)
            rec = make_recogniser(spec, models_dir, decoys=decoys)
        except HingeError as exc:
            self.problem = f"{exc}; voice commands are off for this session"
            print(f"hingecoach: {self.problem}", file=sys.stderr)
            log.info(self.problem)
            return
        self._mic = mic
        listener = Listener(rec, speaker=self.speaker)

        def run() -> None:
            try:
                for heard in listener.listen(mic):
                    if heard.result.intent is not None:
                        self._intents.put(heard.result.intent)
            except HingeError as exc:
                self.problem = f"{exc}; voice commands are off"
                print(f"hingecoach: {self.problem}", file=sys.stderr)
            except Exception:  # noqa: BLE001 - the listener must never take coaching down
                log.exception("listener stopped")
            finally:
                self.listening = False

        self.listening = True
        self._thread = threading.Thread(target=run, name="hingecoach-listener", daemon=True)
        self._thread.start()

    def poll(self) -> list[Intent]:
        """Intents heard since the last call (non-blocking)."""
        out = []
        while True:
            try:
                out.append(self._intents.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop listening and speaking (safe to call twice)."""
        if self._mic is not None:
            self._mic.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.speaker.close()
