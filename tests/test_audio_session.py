"""The app's voice session and the say command keep going without any sound hardware."""

from __future__ import annotations

from hingecoach.audio import session as session_mod
from hingecoach.audio import speaker as speaker_mod
from hingecoach.audio.pcm import read_wav
from hingecoach.audio.session import VoiceSession
from hingecoach.audio.speaker import Priority
from hingecoach.cli import main
from hingecoach.errors import DeviceError


def test_with_no_microphone_the_session_says_so_once_and_still_speaks(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    class NoMic:
        def __init__(self, *a, **k) -> None:  # noqa: ANN002, ANN003
            raise DeviceError("no microphone (test): plug in a USB microphone")

    import hingecoach.audio.mic as mic_mod

    monkeypatch.setattr(mic_mod, "DeviceMic", NoMic)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    voice = VoiceSession(speaker=f"wav:{tmp_path}", listen=True)
    try:
        assert not voice.listening and "voice commands are off" in voice.problem
        voice.speaker.say("hips back", Priority.CUE, "cue")
        assert voice.speaker.wait_idle(30)
        assert voice.poll() == []
    finally:
        voice.close()
    assert capsys.readouterr().err.count("no microphone") == 1
    assert [p.name for p in tmp_path.glob("*.wav")] == ["0001-hips-back.wav"]
    assert session_mod.VoiceSession is VoiceSession


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
    assert main(["say", "  "]) == 2
    assert "nothing to say" in capsys.readouterr().err
