"""The app's voice session and the say command keep going without any sound hardware."""

from __future__ import annotations

import numpy as np
import pytest

from hingecoach.audio import session as session_mod
from hingecoach.audio import speaker as speaker_mod
from hingecoach.audio.pcm import Audio, read_wav, write_wav
from hingecoach.audio.session import VoiceSession
from hingecoach.audio.speaker import Priority
from hingecoach.cli import main
from hingecoach.errors import DeviceError, InputError
from hingecoach.resilience import NOTICES


def test_with_no_microphone_the_session_says_so_once_and_still_speaks(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    class NoMic:
        def __init__(self, *a, **k) -> None:  # noqa: ANN002, ANN003
            raise DeviceError("no microphone (test): plug in a USB microphone")

    import hingecoach.audio.mic as mic_mod

    monkeypatch.setattr(mic_mod, "DeviceMic", NoMic)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    events: list = []
    voice = VoiceSession(speaker=f"wav:{tmp_path}", listen=True, on_event=events.append)
    try:
        assert _wait(lambda: events)
        assert "voice commands are off" in voice.problem
        voice.speaker.say("hips back", Priority.CUE, "cue")
        assert voice.speaker.wait_idle(30)
        assert voice.poll() == []
    finally:
        voice.close()
    assert events[0].kind == "microphone_lost" and events[0].at_start
    assert events[0].notice == NOTICES["microphone_lost_at_start"]  # what the app says aloud
    assert capsys.readouterr().err.count("no microphone") == 1
    assert [p.name for p in tmp_path.glob("*.wav")] == ["0001-hips-back.wav"]
    assert session_mod.VoiceSession is VoiceSession


def test_a_microphone_that_turns_up_later_is_found_and_heard(tmp_path, capsys) -> None:  # noqa: ANN001
    """No microphone at start: said once; tried again after a second; once it opens, a
    spoken command comes through as an intent and "found a microphone" is said."""
    from hingecoach.audio.corpus import Condition, render
    from hingecoach.audio.mic import FakeMic
    from hingecoach.audio.pcm import pad

    tries = []

    def opener() -> FakeMic:
        tries.append(1)
        if len(tries) == 1:
            raise DeviceError("no microphone (test): plug in a USB microphone")
        return FakeMic(pad(render("pause", Condition("en-us", 150), seed=1), 16000, 0.5, 1.0))

    events: list = []
    voice = VoiceSession(speaker="none", listen=True, on_event=events.append, mic_opener=opener)
    try:
        heard: list = []
        assert _wait(lambda: heard.extend(voice.poll()) or heard, timeout=30)
    finally:
        voice.close()
    assert [i.name for i in heard] == ["pause"]
    assert [(e.kind, e.at_start) for e in events] == [("microphone_lost", True), ("microphone_back", True)]
    assert events[1].notice == NOTICES["microphone_back_at_start"]
    assert events[1].t - events[0].t >= 1.0  # the first retry waits a second
    err = capsys.readouterr().err
    assert err.count("no microphone") == 1 and "voice commands are on" in err


def test_a_microphone_that_fails_mid_session_is_reported_once_and_retried() -> None:
    """A microphone that dies after some audio: one microphone_lost (not at start), then
    quiet retries, never an exception out of the session."""
    from hingecoach.audio.mic import FakeMic

    class Dying(FakeMic):
        def blocks(self):  # noqa: ANN202
            yield from list(super().blocks())[:10]
            raise DeviceError("the microphone stopped sending audio: check its cable")

    opened = []

    def opener() -> FakeMic:
        opened.append(1)
        if len(opened) > 1:
            raise DeviceError("no microphone (test): plug in a USB microphone")
        return Dying(np.zeros(16000, np.int16))

    events: list = []
    voice = VoiceSession(speaker="none", listen=True, on_event=events.append, mic_opener=opener)
    try:
        assert _wait(lambda: len(opened) >= 2, timeout=10)  # lost, then tried again a second later
    finally:
        voice.close()
    kinds = [e.kind for e in events]
    assert kinds[0] == "microphone_lost" and not events[0].at_start
    assert events[0].notice == NOTICES["microphone_lost"]
    assert set(kinds[1:]) <= {"microphone_retry_failed"}


def _wait(cond, timeout: float = 10.0) -> bool:  # noqa: ANN001
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_say_writes_a_wav_file(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "cue.wav"
    assert main(["say", "push your hips back", "--wav", str(out)]) == 0
    audio = read_wav(out)
    assert audio.duration_s > 0.5 and abs(int(audio.samples.max())) > 1000


def test_say_with_no_sound_device_falls_back_to_wav_files_and_succeeds(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    def no_device(*a, **k):  # noqa: ANN002, ANN003
        raise DeviceError("no sound output device (test)")

    monkeypatch.setattr(speaker_mod, "DeviceSink", no_device)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    monkeypatch.chdir(tmp_path)
    assert main(["say", "soft knees", "--speaker", "device"]) == 0
    err = capsys.readouterr().err
    assert "no sound output device" in err and "out/speech" in err
    assert (tmp_path / "out" / "speech" / "0001-soft-knees.wav").is_file()


def test_say_with_empty_text_is_a_one_line_error(capsys) -> None:  # noqa: ANN001
    for text in ("  ", "...", "?!"):  # punctuation alone rendered 0.33 s of silence and "succeeded"
        assert main(["say", text]) == 2
        assert "nothing to say" in capsys.readouterr().err


def test_say_will_not_write_wav_audio_under_another_format_s_name(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["say", "hips back", "--wav", str(tmp_path / "cue.mp3")]) == 2
    assert "cue.wav" in capsys.readouterr().err and not (tmp_path / "cue.mp3").exists()


def test_say_into_a_place_it_cannot_write_is_a_one_line_error(tmp_path, capfd) -> None:  # noqa: ANN001
    # a folder, a path under a file, a full device: one line each, no traceback and no
    # "Exception ignored" from a half-built wave writer (capfd sees what __del__ prints)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target, says in [(tmp_path, "is a folder"), (blocker / "x.wav", "cannot write the WAV file"),
                         ("/dev/full", "No space left on device")]:
        assert main(["say", "hips back", "--wav", str(target)]) == 2
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and str(target) in err[0], err


def test_say_takes_the_volume_in_percent_as_the_config_does(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """`say --volume` is a percent, as audio.volume (it was a fraction of full scale, so the
    two scales differed; the old spelling gets a hint); unset, audio.volume decides."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for v, says in (("150", "out of range"), ("-3", "out of range"), ("0.8", "did you mean --volume 80?"),
                     ("1", "did you mean --volume 100?")):
        assert main(["say", "hips back", "--volume", v]) == 2
        assert says in capsys.readouterr().err
    peaks = {}
    for name, argv in (("full", ["--volume", "100"]), ("half", ["--volume", "50"]),
                       ("config", ["--set", "audio.volume=25"]), ("default", [])):
        out = tmp_path / f"{name}.wav"
        assert main(["say", "hips back", "--tts", "espeak", "--wav", str(out), *argv]) == 0
        peaks[name] = int(np.abs(read_wav(out).samples.astype(np.int32)).max())
    assert peaks["half"] == pytest.approx(peaks["full"] * 0.5, abs=2)
    assert peaks["config"] == pytest.approx(peaks["full"] * 0.25, abs=2)
    assert peaks["default"] == pytest.approx(peaks["full"] * 0.8, abs=2)  # audio.volume's default


def test_say_plays_on_the_configured_speaker_or_says_there_is_none(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """audio.output reaches `say` (it used to play on the default device whatever the config
    said); `none` there is a one-line error naming the ways out."""
    import hingecoach.audio.speaker as speaker_mod
    from hingecoach.audio.sinks import NullSink

    played_on: list = []

    class RecordingSink(NullSink):
        def __init__(self, device=None, *a, **k) -> None:  # noqa: ANN001
            super().__init__()
            played_on.append(device)

    monkeypatch.setattr(speaker_mod, "DeviceSink", RecordingSink)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HINGECOACH_AUDIO_OUTPUT", "USB Speaker")
    assert main(["say", "hips back", "--tts", "none"]) == 0 and played_on == ["USB Speaker"]
    monkeypatch.setenv("HINGECOACH_AUDIO_OUTPUT", "none")
    assert main(["say", "hips back", "--tts", "none"]) == 2 and played_on == ["USB Speaker"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "audio.output is none" in err[0] and "--wav" in err[0], err


def test_a_truncated_or_headerless_wav_is_named_for_what_it_is(tmp_path) -> None:  # noqa: ANN001
    good = write_wav(tmp_path / "good.wav", Audio(np.ones(16000, np.int16), 16000))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[:1044])  # header + 500 of 16000 samples
    with pytest.raises(InputError, match=r"cut.wav: truncated WAV file \(holds 500 of the 16000 samples"):
        read_wav(cut)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty.wav: not a readable PCM WAV file \(too short for a WAV header\)"):
        read_wav(empty)
    assert len(read_wav(good).samples) == 16000


def _extensible_wav(x16: np.ndarray, bits: int, channels: int = 2, rate: int = 16000) -> bytes:
    """A WAVE_FORMAT_EXTENSIBLE file (as sox writes 24- and 32-bit PCM) of int16 samples."""
    width = bits // 8
    wide = x16.astype(np.int64) << (bits - 16)
    frame = np.repeat(wide, channels)
    pcm = b"".join(int(v).to_bytes(width, "little", signed=True) for v in frame)
    guid = bytes.fromhex("0100000000001000800000aa00389b71")  # KSDATAFORMAT_SUBTYPE_PCM
    fmt = (0xFFFE).to_bytes(2, "little") + channels.to_bytes(2, "little") + rate.to_bytes(4, "little")
    fmt += (rate * width * channels).to_bytes(4, "little") + (width * channels).to_bytes(2, "little")
    fmt += bits.to_bytes(2, "little") + (22).to_bytes(2, "little") + bits.to_bytes(2, "little")
    fmt += (3).to_bytes(4, "little") + guid
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(pcm).to_bytes(4, "little") + pcm
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def test_24_and_32_bit_extensible_wavs_read_exactly(tmp_path) -> None:  # noqa: ANN001
    # Python 3.11's wave refuses WAVE_FORMAT_EXTENSIBLE ("unknown format: 65534")
    x = (np.sin(np.arange(800) / 7.0) * 20000).astype(np.int16)
    x[:3] = [-32768, 32767, -1]
    for bits in (24, 32):
        f = tmp_path / f"x{bits}.wav"
        f.write_bytes(_extensible_wav(x, bits))
        audio = read_wav(f)
        assert audio.rate == 16000 and np.array_equal(audio.samples, x), bits
        f.write_bytes(f.read_bytes()[:-300])  # cut short
        with pytest.raises(InputError, match="truncated WAV file"):
            read_wav(f)


@pytest.mark.parametrize("rate", [0, 1])
def test_a_wav_header_with_an_impossible_sample_rate_is_refused(tmp_path, rate: int, capsys) -> None:  # noqa: ANN001
    """Rate 0 used to end in a ZeroDivisionError traceback, rate 1 in resampling to 16 kHz
    that needed 22 GB (the kernel killed it)."""
    import struct

    data = np.zeros(16000, np.int16).tobytes()
    path = tmp_path / "bad.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
                     + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data"
                     + struct.pack("<I", len(data)) + data)
    assert main(["listen", "--wav", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"sample rate of {rate} Hz" in err and "damaged" in err


def test_listen_refuses_a_wav_longer_than_one_command(tmp_path, capsys) -> None:  # noqa: ANN001
    from hingecoach.commands.listen import MAX_WAV_S

    path = write_wav(tmp_path / "long.wav", Audio(np.zeros(int(16000 * (MAX_WAV_S + 1)), np.int16), 16000))
    assert main(["listen", "--wav", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "one spoken command" in err and "sox" in err


def test_say_refuses_text_too_long_to_speak(capsys) -> None:  # noqa: ANN001
    from hingecoach.commands.say import MAX_SAY_CHARS

    assert main(["say", "x" * (MAX_SAY_CHARS + 1), "--speaker", "none"]) == 2
    assert "split it" in capsys.readouterr().err


def test_a_second_say_into_the_same_folder_adds_files_instead_of_overwriting(tmp_path) -> None:  # noqa: ANN001
    for text in ("hips back", "soft knees"):
        assert main(["say", text, "--speaker", f"wav:{tmp_path}"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["0001-hips-back.wav", "0002-soft-knees.wav"]
    rows = [line.split("\t") for line in (tmp_path / "transcript.tsv").read_text().splitlines()]
    assert [(r[0], r[2], r[3]) for r in rows] == [("1", "0001-hips-back.wav", "hips back"),
                                                   ("2", "0002-soft-knees.wav", "soft knees")]


def test_say_takes_the_config_s_tts_spellings(tmp_path) -> None:  # noqa: ANN001
    """voice.tts in the config is pyttsx3|espeak-ng|none; `say --tts none` used to be refused
    with a hint to use `silent`."""
    from hingecoach.audio.tts import SilentTts, make_tts

    assert isinstance(make_tts("none"), SilentTts)
    out = tmp_path / "quiet.wav"
    assert main(["say", "hips back", "--tts", "none", "--wav", str(out)]) == 0
    assert not read_wav(out).samples.any()


def _listen_fakes(monkeypatch, tmp_path, env: dict[str, str]) -> tuple[list, list]:  # noqa: ANN001
    """`listen` with recording fakes for the recogniser factory and the microphone (which
    finds nothing); the config comes from ``env`` only. Returns (engines, devices) asked for."""
    import hingecoach.audio.mic as mic_mod
    import hingecoach.audio.recognisers as rec_mod
    from hingecoach.errors import DeviceError

    engines: list = []
    devices: list = []

    def make_recogniser(spec, models=None, decoys=()):  # noqa: ANN001, ANN202
        engines.append(spec)
        raise DeviceError("no recogniser here (test): none is needed")

    class NoMic:
        def __init__(self, device=None, *a, **k) -> None:  # noqa: ANN001
            devices.append(device)
            raise DeviceError("no microphone found (test): plug in a USB microphone")

    monkeypatch.setattr(rec_mod, "make_recogniser", make_recogniser)
    monkeypatch.setattr(mic_mod, "DeviceMic", NoMic)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return engines, devices


def test_listen_uses_the_configured_engine_and_microphone(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """voice.engine and audio.input reach `listen` (the engine used to be --recogniser's
    default, auto, whatever the config said)."""
    engines, devices = _listen_fakes(monkeypatch, tmp_path, {"HINGECOACH_VOICE_ENGINE": "pocketsphinx",
                                                             "HINGECOACH_AUDIO_INPUT": "3"})
    assert main(["listen"]) == 2
    assert devices == [3] and engines == []  # no microphone: the slow recogniser is never built
    assert "no microphone found" in capsys.readouterr().err
    wav = write_wav(tmp_path / "quiet.wav", Audio(np.zeros(16000, np.int16), 16000))
    assert main(["listen", "--wav", str(wav)]) == 2 and engines == ["pocketsphinx"]
    assert main(["listen", "--wav", str(wav), "--recogniser", "auto"]) == 2 and engines[-1] == "auto"


@pytest.mark.parametrize(("env", "argv", "says"), [
    ({"HINGECOACH_VOICE_ENGINE": "none"}, ["--wav", "x.wav"], "voice.engine is none in the config"),
    ({}, ["--recogniser", "none"], "--recogniser none"),
    ({"HINGECOACH_AUDIO_INPUT": "none"}, [], "audio.input is none in the config"),
    ({}, ["--device", "none"], "--device none"),
    ({}, ["--recogniser", "bogus"], "unknown recogniser 'bogus'"),
    ({}, ["--recogniser", "NONE"], "--recogniser none"),
])
def test_listen_with_voice_input_turned_off_says_so_in_one_line(tmp_path, monkeypatch, capsys, env, argv,  # noqa: ANN001
                                                                says) -> None:
    """`none` for the engine or the microphone used to open the default microphone (or,
    for the engine, fail inside the recogniser factory); now: what is off and how to turn
    it on, and nothing is opened."""
    engines, devices = _listen_fakes(monkeypatch, tmp_path, env)
    assert main(["listen", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err and ("auto" in err or "default" in err), err
    assert engines == [] and devices == []  # nothing opened: a misspelt engine opened the microphone


def test_listen_on_a_file_with_no_speech_hears_no_words(tmp_path, capsys) -> None:  # noqa: ANN001
    """The grammar decoder always names some path; silence came out as text "four"."""
    import json

    path = write_wav(tmp_path / "silence.wav", Audio(np.zeros(16000, np.int16), 16000))
    assert main(["listen", "--wav", str(path), "--json", "--verbose"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] is None and out["text"] == "" and out["details"]["reason"] == "no speech"


def test_listen_on_a_header_only_wav_hears_no_speech_instead_of_crashing(tmp_path, capsys) -> None:  # noqa: ANN001
    """`sox -n -r 16000 -b 16 zero.wav trim 0 0` (a WAV with no samples): PocketSphinx's
    process_raw raised IndexError, a traceback; now it is a file with no speech."""
    import json

    path = write_wav(tmp_path / "zero.wav", Audio(np.zeros(0, np.int16), 16000))
    assert path.stat().st_size == 44  # the header alone
    assert main(["listen", "--wav", str(path), "--json", "--verbose"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] is None and out["text"] == "" and out["details"]["reason"] == "no speech"
