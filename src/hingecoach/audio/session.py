"""Voice in and out for the live app, in one object the frame loop can poll.

    voice = VoiceSession(speaker="auto", listen=True, warm=catalogue, decoys=catalogue)
    ...
    voice.speaker.say("hips back", Priority.CUE, "cue")       # never blocks
    for intent in voice.poll():                               # never blocks
        coach.on_intent(intent)
    ...
    voice.close()

No sound device: the speaker says so once and writes cues to WAV files. No microphone, or
one that fails mid-session: says so once and carries on without voice commands (scripted
``--commands`` still work), reopening it with back-off (1 s doubling to 30 s,
:class:`~hingecoach.resilience.ResilientMicrophone`); ``on_event`` gets the
``microphone_lost`` / ``microphone_back`` events, whose notices the app speaks. Never
raises for a missing device.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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
        fallback_dir: where cues go without a sound device (None: nowhere, transcript only).
        on_event: called (from the listener's thread) with each microphone
            :class:`~hingecoach.resilience.DeviceEvent`.
        mic_opener: opens the microphone (default: the sound card's input,
            :class:`~hingecoach.audio.mic.DeviceMic`); raises when there is none.
        mic_device, output_device: sounddevice index or name (None: the default device).
        tts: the speech engine (:func:`~hingecoach.audio.tts.make_tts`).
    """

    def __init__(
        self,
        speaker: str = "auto",
        listen: bool = True,
        recogniser: str = "auto",
        warm: Iterable[str] = (),
        decoys: Iterable[str] = (),
        fallback_dir: str | Path | None = "out/speech",
        models_dir: str | Path | None = None,
        on_event: Callable[[Any], None] | None = None,
        mic_opener: Callable[[], Any] | None = None,
        mic_device: int | str | None = None,
        output_device: int | str | None = None,
        tts: str = "auto",
    ) -> None:
        from hingecoach.audio.tts import make_tts

        warm = list(warm)
        self.speaker: PlaybackSpeaker = make_speaker(speaker, fallback_dir=fallback_dir, warm=warm,
                                                     tts=None if tts == "auto" else (lambda: make_tts(tts)),
                                                     device=output_device)
        self._mic_device = mic_device
        self._intents: queue.Queue[Intent] = queue.Queue()
        self._mic: Any = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._on_event = on_event
        self.listening = False
        self.problem: str | None = None
        if listen:
            self._start_listening(recogniser, list(decoys), models_dir, mic_opener)

    def _start_listening(self, spec: str, decoys: list[str], models_dir: str | Path | None,
                         mic_opener: Callable[[], Any] | None) -> None:
        from hingecoach.audio.listener import Listener
        from hingecoach.audio.recognisers import make_recogniser
        from hingecoach.resilience import ResilientMicrophone

        try:
            rec = make_recogniser(spec, models_dir, decoys=decoys)
        except HingeError as exc:
            self.problem = f"{exc}; voice commands are off for this session"
            print(f"hingecoach: {self.problem}", file=sys.stderr)
            log.info(self.problem)
            return
        if mic_opener is None:
            from hingecoach.audio.mic import DeviceMic

            def mic_opener() -> Any:  # noqa: ANN401
                return DeviceMic(self._mic_device, clock=self.speaker.clock)

        listener = Listener(rec, speaker=self.speaker)
        self._mic = ResilientMicrophone(lambda: _OpenMic(mic_opener()), clock=self.speaker.clock,
                                        on_event=self._mic_event)

        def run() -> None:
            mic = self._mic
            try:
                while not self._closing.is_set():
                    item = mic.read()
                    if mic.ended:
                        return
                    if item is None:  # no microphone: wait for the next try (or the close)
                        listener.reset()  # half an utterance from before an outage is not one
                        self._closing.wait(min(0.25, mic.retry_in()) or 0.05)
                        continue
                    heard = listener.feed(*item)
                    if heard is not None and heard.result.intent is not None:
                        self._intents.put(heard.result.intent)
            except Exception:  # noqa: BLE001 - the listener must never take coaching down
                log.exception("listener stopped")
                self.problem = "the listener stopped (see the log); voice commands are off"
                print(f"hingecoach: {self.problem}", file=sys.stderr)
            finally:
                self.listening = False

        self.listening = True
        self._thread = threading.Thread(target=run, name="hingecoach-listener", daemon=True)
        self._thread.start()

    def _mic_event(self, event: Any) -> None:  # noqa: ANN401
        if event.kind == "microphone_lost":  # said once per outage, on stderr and by the app
            self.problem = f"{event.detail.split(': ', 1)[-1]}; voice commands are off until it works again"
            print(f"hingecoach: {self.problem} (trying again in {event.next_retry_s:g} s, then less often)",
                  file=sys.stderr)
        elif event.kind == "microphone_back":
            self.problem = None
            print("hingecoach: microphone found: voice commands are on", file=sys.stderr)
        log.info("%s %s", event.kind, event.detail)
        if self._on_event is not None:
            self._on_event(event)

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
        self._closing.set()
        if self._mic is not None:
            self._mic.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.speaker.close()


class _OpenMic:
    """One opening of a microphone as a :class:`~hingecoach.resilience.Reconnecting` source:
    ``read()`` is its next ``(t, block)``; a failure raises (an outage), its end of stream
    raises StopIteration."""

    def __init__(self, mic: Any) -> None:  # noqa: ANN401
        self.mic = mic
        self._blocks = iter(mic.blocks())

    def read(self) -> tuple[float, Any]:
        return next(self._blocks)

    def close(self) -> None:
        self.mic.close()
