"""`hingecoach run` on a live camera that dies mid-set: it says so, pauses, reopens with
back-off, resumes and keeps counting - the process never ends because of it."""

from __future__ import annotations

import json
from pathlib import Path

from hingecoach.cli import main
from hingecoach.sim import RepSpec, Segment, Session, Spoil, render


class FlakyCamera:
    """Each open() is the next act of the script: frames then a failure, or no camera."""

    def __init__(self, info, poses, cut: int) -> None:
        self.info = info
        self.first, self.rest = poses[:cut], poses[cut:]
        self.opens = 0

    def open(self, spec: str):
        self.opens += 1
        if self.opens == 1:
            return _Source(self.info, self.first, then=OSError("camera unplugged"))
        if self.opens == 2:
            raise OSError("[Errno 19] No such device")
        return _Source(self.info, self.rest, then=None)


class _Source:
    def __init__(self, info, poses, then) -> None:
        self.info, self._poses, self._then = info, poses, then

    def __iter__(self):
        yield from self._poses
        if self._then is not None:
            raise self._then

    def close(self) -> None:
        pass


def test_a_camera_lost_mid_set_pauses_reconnects_and_coaching_goes_on(tmp_path: Path,
                                                                        monkeypatch) -> None:
    segs = [Segment("idle", 3.0)] + [s for _ in range(8)
                                     for s in (Segment("rep", rep=RepSpec()), Segment("idle", 1.0))]
    info, poses, truth = render(Session(segments=segs, spoil=Spoil(jitter=0.002), seed=4))
    poses = list(poses)
    camera = FlakyCamera(info, poses, cut=len(poses) // 2)
    import hingecoach.app

    monkeypatch.setattr(hingecoach.app, "open_poses", camera.open)
    monkeypatch.setenv("HINGECOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    transcript = tmp_path / "t.jsonl"
    rc = main(["run", "--source", "camera:7", "--no-voice", "--speaker", "none", "--quiet",
               "--commands", "0.5:start hinge drill", "--transcript", str(transcript)])
    assert rc == 0
    assert camera.opens == 3  # lost, a failed reopen, then back
    cues = [json.loads(line) for line in transcript.read_text().splitlines()]
    texts = [c["text"] for c in cues]
    lost = next(i for i, t in enumerate(texts) if "lost the camera" in t)
    back = next(i for i, t in enumerate(texts) if "camera is back" in t)
    assert lost < back
    # the set went on after the camera came back: reps were coached on both sides of the gap
    summary = [c for c in cues if c["kind"] == "summary"][-1]["text"]
    assert "8 reps" in summary or "7 reps" in summary, summary


def test_a_camera_absent_at_boot_is_announced_while_it_is_away(tmp_path: Path, monkeypatch) -> None:
    """No frame ever arrives: the notice is still said (it used to wait for the first frame,
    and a camera lost mid-set was announced only once it was back)."""
    opens = []

    def open_poses(spec: str):
        opens.append(spec)
        if len(opens) < 3:
            raise OSError("[Errno 19] No such device")
        return _Source(None, [], then=None)  # found, and the stream ends at once

    import hingecoach.app

    monkeypatch.setattr(hingecoach.app, "open_poses", open_poses)
    monkeypatch.setenv("HINGECOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    transcript = tmp_path / "t.jsonl"
    rc = main(["run", "--source", "camera:7", "--no-voice", "--speaker", "none", "--quiet",
               "--transcript", str(transcript)])
    assert rc == 0 and len(opens) == 3  # absent, a failed retry (0.5 s), then found (1 s)
    texts = [json.loads(line)["text"] for line in transcript.read_text().splitlines()]
    assert any("can't find the camera yet" in t for t in texts), texts


def _run_without_camera_or_microphone(tmp_path: Path, monkeypatch, env: dict[str, str],
                                      speaker: str = "none") -> tuple[list, list[str]]:
    """`run` on a live camera that is absent twice, then ends; DeviceMic is a recording fake
    that finds no microphone. Returns (the devices DeviceMic was asked for, cue texts)."""
    import hingecoach.app
    import hingecoach.audio.mic as mic_mod
    from hingecoach.errors import DeviceError

    asked: list = []

    class NoMic:
        def __init__(self, device=None, *a, **k) -> None:
            asked.append(device)
            raise DeviceError("no microphone found (test): plug in a USB microphone")

    opens = []

    def open_poses(spec: str):
        opens.append(spec)
        if len(opens) < 3:
            raise OSError("[Errno 19] No such device")
        return _Source(None, [], then=None)

    monkeypatch.setattr(mic_mod, "DeviceMic", NoMic)
    monkeypatch.setattr(hingecoach.app, "open_poses", open_poses)
    monkeypatch.setenv("HINGECOACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    transcript = tmp_path / "t.jsonl"
    assert main(["run", "--source", "camera:7", "--speaker", speaker, "--quiet", "--transcript", str(transcript)]) == 0
    return asked, [json.loads(line)["text"] for line in transcript.read_text().splitlines()]


def test_run_says_aloud_that_there_is_no_microphone(tmp_path: Path, monkeypatch) -> None:
    """Voice on, no microphone: the notice is a spoken cue (in the transcript), not only a
    line on stderr, and coaching goes on."""
    from hingecoach.resilience import NOTICES

    asked, texts = _run_without_camera_or_microphone(tmp_path, monkeypatch, {})
    assert texts.count(NOTICES["microphone_lost_at_start"]) == 1, texts
    assert asked[0] is None  # the default input


def test_run_uses_the_configured_microphone_or_none(tmp_path: Path, monkeypatch) -> None:
    """audio.input from the config (here its environment form) picks the microphone `run`
    opens; `none` opens none and says nothing about it (it used to be ignored)."""
    asked, _ = _run_without_camera_or_microphone(tmp_path, monkeypatch, {"HINGECOACH_AUDIO_INPUT": "USB Mic"})
    assert asked and set(asked) == {"USB Mic"}
    asked, texts = _run_without_camera_or_microphone(tmp_path, monkeypatch, {"HINGECOACH_AUDIO_INPUT": "none"})
    assert asked == [] and not any("microphone" in t for t in texts)


def test_run_uses_the_configured_speaker_or_none(tmp_path: Path, monkeypatch) -> None:
    """audio.output picks the sound device `run` plays on; `none` means no speaker at all
    (transcript only), not the default device (it used to open the default device)."""
    import hingecoach.audio.speaker as speaker_mod
    from hingecoach.audio.sinks import NullSink

    played_on: list = []

    class RecordingSink(NullSink):
        def __init__(self, device=None, *a, **k) -> None:
            super().__init__()
            played_on.append(device)

    monkeypatch.setattr(speaker_mod, "DeviceSink", RecordingSink)
    _, texts = _run_without_camera_or_microphone(tmp_path, monkeypatch, {"HINGECOACH_AUDIO_OUTPUT": "2"},
                                                 speaker="auto")
    assert played_on == [2] and texts  # coaching went on
    played_on.clear()
    _, texts = _run_without_camera_or_microphone(tmp_path, monkeypatch, {"HINGECOACH_AUDIO_OUTPUT": "none"},
                                                 speaker="auto")
    assert played_on == [] and texts


def test_a_live_run_with_no_sound_device_writes_no_wav_files_into_the_working_folder(
        tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """The service's `run` with no speaker: the transcript only (as doctor says), not a WAV file
    per cue of every workout piling up in ./out/speech; and a working folder it cannot write
    (here a file where out/ would be) does not stop it."""
    import hingecoach.audio.speaker as speaker_mod
    from hingecoach.errors import DeviceError

    def no_device(*a, **k):  # noqa: ANN002, ANN003
        raise DeviceError("no sound output device (test)")

    monkeypatch.setattr(speaker_mod, "DeviceSink", no_device)
    monkeypatch.setattr(speaker_mod, "_warned", set())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _, texts = _run_without_camera_or_microphone(tmp_path, monkeypatch, {}, speaker="auto")
    assert texts  # coached: the camera notices were said
    assert list(work.iterdir()) == []
    assert "speech is off (transcript only)" in capsys.readouterr().err
