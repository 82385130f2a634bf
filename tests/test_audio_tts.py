"""The default speech engine, pyttsx3 over libespeak-ng, for real (no sound card needed)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hingecoach.audio.tts import Pyttsx3Tts

pytest.importorskip("pyttsx3")
espeak = pytest.importorskip("pyttsx3.drivers.espeak")


def _speechlike(audio) -> bool:  # noqa: ANN001
    x = audio.samples.astype(np.float64)
    seconds = len(x) / audio.rate
    return 0.8 < seconds < 4.0 and np.sqrt(np.mean(x**2)) > 300


def test_renders_phrase_after_phrase_and_prints_nothing(capsys):
    tts = Pyttsx3Tts()
    try:
        first = tts.render("Push your hips back to the wall")
        second = tts.render("Good rep, three done")  # a second runAndWait must not hang
    finally:
        tts.close()
    assert _speechlike(first) and _speechlike(second)
    assert capsys.readouterr().out == ""  # pyttsx3's "Audio saved to ..." stays out of --json


def test_rendering_on_a_worker_thread_leaves_the_process_stdout_alone():
    """The speaker warms its phrase cache on its own thread while `run` sets up its cue
    printer: a process-wide stdout swap (contextlib.redirect_stdout, before 2026-11-23) made
    a live `run` print its cues into a buffer, so none were shown."""
    import sys

    stdout = sys.stdout
    swapped: list[object] = []
    tts = Pyttsx3Tts()
    worker = threading.Thread(target=lambda: [tts.render(p) for p in ("Hips back", "Set 1.", "Good depth")])
    try:
        worker.start()
        while worker.is_alive():
            if sys.stdout is not stdout:
                swapped.append(sys.stdout)
        worker.join()
    finally:
        tts.close()
    assert swapped == []


def test_an_engine_never_closed_leaves_no_temporary_folder_behind(tmp_path):
    """`say --wav` and the replay's cue WAVs never closed their engine: one empty
    /tmp/hingecoach-tts-* folder per run was left (292 after a review)."""
    import os
    import subprocess
    import sys

    code = ("from hingecoach.audio.tts import Pyttsx3Tts; t = Pyttsx3Tts(); t.render('hips back'); "
            "print(t._dir)")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_slow_first_synthesis_still_reaches_the_file(monkeypatch):
    # pyttsx3 2.99 runs a fresh engine's loop-ending command before its first synthesis, so
    # runAndWait returns as soon as espeak-ng (asynchronous, on its own thread) is slower
    # than one 10 ms poll: a loaded Pi. Make espeak-ng slow on purpose.
    real = espeak.EspeakDriver._start_synthesis

    def slow_start(self, text):  # noqa: ANN001, ANN202
        threading.Timer(0.3, real, (self, text)).start()

    monkeypatch.setattr(espeak.EspeakDriver, "_start_synthesis", slow_start)
    tts = Pyttsx3Tts()
    try:
        audio = tts.render("Stand tall and brace")
    finally:
        tts.close()
    assert _speechlike(audio)


def test_an_engine_that_follows_the_speakers_renders_every_phrase_whole(tmp_path):
    # pyttsx3 hands every Pyttsx3Tts in a process the same engine, and its loop-ending
    # stop() cancelled the next phrase while espeak-ng was still busy: an empty WAV, 6 times
    # in 10 here before the adapter waited for espeak-ng to be idle
    from hingecoach.audio.speaker import Priority, make_speaker

    for i in range(10):
        spk = make_speaker(f"wav:{tmp_path / str(i)}")
        spk.say("hips back", Priority.CUE, "cue")
        assert spk.wait_idle(30)
        spk.close()
        tts = Pyttsx3Tts()
        try:
            phrases = [tts.render("Push your hips back to the wall"), tts.render("Good rep, three done")]
        finally:
            tts.close()
        assert all(_speechlike(a) for a in phrases), i
