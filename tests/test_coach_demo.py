"""`hingecoach demo` headless: a transcript and a WAV file per cue, and the whole story."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path


def test_the_demo_coaches_the_whole_story_and_writes_wav_cues(tmp_path: Path) -> None:
    out, wavs = tmp_path / "demo.jsonl", tmp_path / "wav"
    done = subprocess.run([sys.executable, "-m", "hingecoach", "demo", "--transcript", str(out),
                           "--speaker", f"wav:{wavs}"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    cues = [json.loads(line) for line in out.read_text().splitlines()]
    kinds = [c["kind"] for c in cues]
    texts = " ".join(c["text"] for c in cues)
    assert "Turn sideways" in texts                                   # setup
    assert "Wall drill" in texts and "8 inches" in texts              # wall set + progression
    assert "progression" in kinds
    fix = next(c for c in cues if c["kind"] == "correction")
    assert fix["fault"] == "knees_forward"                            # corrected...
    assert any(c["kind"] == "praise" and c["t"] > fix["t"] and "hips" in c["text"]
               for c in cues)                                         # ...and fixed
    assert kinds[-1] == "summary"
    assert len(done.stdout.splitlines()) == len(cues)                 # printed as it goes
    files = sorted(wavs.rglob("*.wav"))
    assert len(files) >= len(cues) // 2  # (a real speaker may drop or merge stale lines)
    with wave.open(str(files[0])) as w:
        assert w.getnframes() > 0
    rows = [line.split("\t") for line in (wavs / "transcript.tsv").read_text().splitlines()]
    assert [r[2] for r in rows] == [f.name for f in files]             # listed, as wav:DIR says
    assert [r[3] for r in rows] == [c["text"] for c in cues]


def test_simulate_can_write_the_coached_demo_story(tmp_path, capsys) -> None:  # noqa: ANN001
    """`simulate --demo` is the plain synthetic athlete (11 reps), not the 17-rep story
    `hingecoach demo` coaches; --coached-demo writes that one."""
    from hingecoach.cli import main
    from hingecoach.commands.demo import coached_demo_session
    from hingecoach.sim import render

    out = tmp_path / "story.jsonl"
    assert main(["simulate", "--coached-demo", "--out", str(out)]) == 0
    n = len(render(coached_demo_session())[2])
    assert f"{n} reps" in capsys.readouterr().err and n == 17
    assert main(["analyze", str(out), "--json"]) == 0
    import json

    assert json.loads(capsys.readouterr().out)["summary"]["reps"] == n


def test_simulate_refuses_a_truth_file_that_is_its_own_trace(tmp_path, capsys) -> None:  # noqa: ANN001
    """`simulate --out X --truth X` wrote the truth over the trace, exit 0."""
    from hingecoach.cli import main

    trace = tmp_path / "x.jsonl"
    for truth in (trace, tmp_path / "y" / ".." / "x.jsonl"):
        assert main(["simulate", "--seed", "7", "--out", str(trace), "--truth", str(truth)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is the --out file too" in err[0] and "--truth" in err[0], err
        assert not trace.exists(), "refused before the trace was written"


def test_demo_refuses_a_wav_speaker_folder_that_cannot_be_made_before_the_story(tmp_path, capsys) -> None:  # noqa: ANN001
    """`demo --speaker wav:FILE` coached the whole story, then died with a FileExistsError
    traceback from write_cue_wavs."""
    from hingecoach.cli import main

    a_file = tmp_path / "x.jsonl"
    a_file.write_text("")
    for folder, says in ((a_file, "is a file, not a folder"), ("/proc/nope", "cannot create WAV folder")):
        assert main(["demo", "--speaker", f"wav:{folder}", "--data-dir", str(tmp_path / "d")]) == 2
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and "pass another --speaker wav:DIR" in err[0], err
        assert captured.out == "" and not (tmp_path / "d").exists(), "refused before the story"
