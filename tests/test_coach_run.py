"""`hingecoach run` on independent synthetic sessions: the coaching promises, end to end.

Each session is rendered by the synthetic athlete to a pose trace, then replayed through
the real command: ``run --source TRACE --commands "0.5:start hinge drill" --no-voice
--speaker none --transcript F``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hingecoach.cli import main
from hingecoach.pose.trace import TraceWriter
from hingecoach.sim import random_session, render
from hingecoach.sim.sessions import FAULT_KINDS
from hingecoach.store.db import Store

START = "0.5:start hinge drill"
REP_KINDS = ("count", "correction", "praise", "progression")


def write_trace(session: object, path: Path) -> list:
    info, poses, truth = render(session)  # type: ignore[arg-type]
    with TraceWriter(path, info) as w:
        for p in poses:
            w.write(p)
    return truth


def run(trace: Path, tmp: Path, commands: str = START, name: str = "t.jsonl",
        data: str = "data") -> list[dict]:
    out = tmp / name
    code = main(["run", "--source", str(trace), "--commands", commands, "--no-voice",
                 "--speaker", "none", "--transcript", str(out), "--data-dir", str(tmp / data),
                 "--quiet"])
    assert code == 0
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list]]:
    d = tmp_path_factory.mktemp("traces")
    out = {}
    for i, kind in enumerate(FAULT_KINDS):
        for seed in (0, 1):
            s = random_session(500 + 10 * i + seed, fault_rate=1.0, faults=(kind,), reps=6)
            out[f"{kind}-{seed}"] = (p := d / f"{kind}-{seed}.jsonl", write_trace(s, p))
    for seed in range(4):
        s = random_session(700 + seed, fault_rate=0.0)
        out[f"clean-{seed}"] = (p := d / f"clean-{seed}.jsonl", write_trace(s, p))
    for seed in range(4):
        s = random_session(900 + seed)
        out[f"mixed-{seed}"] = (p := d / f"mixed-{seed}.jsonl", write_trace(s, p))
    return out


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_a_fault_on_every_rep_gets_its_correction_by_the_third_rep(
        kind: str, traces: dict, tmp_path: Path) -> None:
    for seed in (0, 1):
        trace, truth = traces[f"{kind}-{seed}"]
        cues = run(trace, tmp_path)
        fixes = [c for c in cues if c["kind"] == "correction"]
        assert fixes, f"{kind}-{seed}: no correction"
        assert fixes[0]["fault"] == kind
        # said by the end of the third rep (plus the moment it takes to start speaking)
        assert fixes[0]["t"] <= truth[2].end_s + 1.0, (fixes[0], truth[2].end_s)


@pytest.mark.parametrize("seed", range(4))
def test_a_clean_session_gets_no_correction_at_all(seed: int, traces: dict, tmp_path: Path) -> None:
    trace, truth = traces[f"clean-{seed}"]
    cues = run(trace, tmp_path)
    assert [c for c in cues if c["kind"] == "correction"] == []
    assert cues[-1]["kind"] == "summary"
    assert f"{len(truth)} reps" in cues[-1]["text"]


def test_across_sessions_there_is_about_one_cue_per_rep_counts_included(
        traces: dict, tmp_path: Path) -> None:
    all_cues = all_reps = 0
    for key, (trace, truth) in sorted(traces.items()):
        cues = run(trace, tmp_path, name=f"{key}.jsonl")
        during = [c for c in cues if c["kind"] in REP_KINDS]
        assert len(during) <= len(truth), key
        all_cues += len(cues)
        all_reps += len(truth)
    assert all_cues <= 1.2 * all_reps, (all_cues, all_reps)


def test_replay_is_deterministic_byte_for_byte(traces: dict, tmp_path: Path) -> None:
    trace, _ = traces["mixed-0"]
    cmds = START + ",9:how many,14:pause,17:resume,30:next level"
    # (each from a fresh database: the saved level is part of the starting state)
    run(trace, tmp_path, cmds, "a.jsonl", data="a")
    run(trace, tmp_path, cmds, "b.jsonl", data="b")
    a, b = (tmp_path / "a.jsonl").read_bytes(), (tmp_path / "b.jsonl").read_bytes()
    assert a == b and len(a.splitlines()) >= 5


def test_every_transcript_line_follows_the_contract(traces: dict, tmp_path: Path) -> None:
    trace, _ = traces["knees_forward-0"]
    lines = (tmp_path / "t.jsonl")
    run(trace, tmp_path)
    kinds = {"setup", "count", "correction", "praise", "progression", "summary", "info", "ack"}
    last_t = 0.0
    for raw in lines.read_text().splitlines():
        obj = json.loads(raw)
        assert set(obj) <= {"t", "text", "kind", "fault"} and obj["kind"] in kinds
        assert ("fault" in obj) == (obj["kind"] == "correction")
        assert obj["t"] >= last_t
        last_t = obj["t"]


def test_every_coached_rep_is_saved_with_its_faults(traces: dict, tmp_path: Path) -> None:
    trace, truth = traces["knees_forward-1"]
    run(trace, tmp_path)
    with Store(tmp_path / "data" / "hingecoach.db") as st:
        reps = st.reps()
        assert len(reps) == len(truth)
        assert all("knees_forward" in r["faults"] for r in reps)
        (s,) = st.sets()
        assert json.loads(s["series"])["rows"], "the set's angle series is stored"


def test_the_real_command_line_runs_and_reports_bad_input_in_one_line(
        traces: dict, tmp_path: Path) -> None:
    trace, _ = traces["clean-0"]
    exe = [sys.executable, "-m", "hingecoach"]
    ok = subprocess.run([*exe, "run", "--source", str(trace), "--commands", START, "--no-voice",
                         "--speaker", "none", "--transcript", "-", "--quiet",
                         "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.splitlines()[0])["kind"] == "setup"
    bad = subprocess.run([*exe, "run", "--source", str(trace), "--commands", "0.5:dance",
                          "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.startswith("hingecoach run: error: --commands item") and "Traceback" not in bad.stderr
    missing = subprocess.run([*exe, "run", "--source", str(tmp_path / "nope.jsonl"),
                              "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_the_config_can_switch_units_and_keep_history_off(traces: dict, tmp_path: Path) -> None:
    trace, _ = traces["clean-1"]
    out = tmp_path / "cm.jsonl"
    assert main(["run", "--source", str(trace), "--commands", "0.5:start wall drill",
                 "--speaker", "none", "--quiet", "--transcript", str(out),
                 "--data-dir", str(tmp_path / "d"), "--set", "user.units=cm",
                 "--set", "privacy.record_history=false"]) == 0
    assert "15 centimetres" in out.read_text()
    # nothing is kept for next time, so the summary does not say so (it used to)
    assert "Your wall distance is 15 centimetres." in out.read_text() and "is saved" not in out.read_text()
    # history off: no database made at all (it used to be created, with a user row)
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


def test_with_history_off_saved_progress_is_used_and_nothing_is_written(traces: dict, tmp_path: Path) -> None:
    trace, _ = traces["clean-1"]
    data = tmp_path / "d"
    with Store(data / "hingecoach.db") as st:
        user = st.user("Bo", "cm")
        st.save_level(user.id, "wall", 2, "wall", 20.0)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    out = tmp_path / "t.jsonl"
    assert main(["run", "--source", str(trace), "--commands", "0.5:start wall drill", "--user", "Bo",
                 "--speaker", "none", "--quiet", "--transcript", str(out), "--data-dir", str(data),
                 "--set", "privacy.record_history=false"]) == 0
    assert "20 centimetres" in out.read_text()  # Bo's units and level, read
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before  # and nothing written


def test_a_run_in_which_no_drill_was_started_says_how_to_start_one(traces: dict, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    trace, _ = traces["clean-0"]
    assert main(["run", "--source", str(trace), "--no-voice", "--speaker", "none", "--quiet",
                 "--data-dir", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert "0 coached reps" in err and 'no drill was started: say "start hinge drill"' in err
    assert "nothing to save: no set was started" in err and "progress saved" not in err
    run(trace, tmp_path)  # with a start command: no such hint
    err = capsys.readouterr().err
    assert "no drill was started" not in err and "progress saved in" in err


def test_with_history_off_the_closing_line_says_nothing_was_saved(traces: dict, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    trace, _ = traces["clean-1"]
    assert main(["run", "--source", str(trace), "--commands", "0.5:start hinge drill", "--speaker", "none",
                 "--quiet", "--data-dir", str(tmp_path / "d"), "--set", "privacy.record_history=false"]) == 0
    assert "history is off (privacy.record_history = false): nothing saved" in capsys.readouterr().err


@pytest.mark.parametrize("pace", ["1e-9", "0", "-1", "nan", "inf", "1e9"])
def test_run_refuses_a_pace_it_could_never_keep(traces: dict, tmp_path: Path, capsys, pace: str) -> None:  # noqa: ANN001
    """--pace 1e-9 slept for ever between frames, deaf to SIGTERM and Ctrl-C; nan meant
    'as fast as possible'."""
    trace, _ = traces["clean-0"]
    assert main(["run", "--source", str(trace), "--pace", pace, "--no-voice", "--speaker", "none",
                 "--quiet", "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "replay speed from 0.05 to 1000" in err[0], err


def test_a_replay_with_a_wav_speaker_writes_every_cue_stamped_with_session_time(traces: dict, tmp_path: Path) -> None:
    """The live speaker dropped the first 4 of 9 cues (they went stale while the replay raced
    ahead) and stamped the rest with wall-clock seconds."""
    trace, _ = traces["clean-0"]
    out, wavs = tmp_path / "t.jsonl", tmp_path / "wav"
    assert main(["run", "--source", str(trace), "--commands", START, "--speaker", f"wav:{wavs}",
                 "--quiet", "--transcript", str(out), "--data-dir", str(tmp_path / "d")]) == 0
    cues = [json.loads(line) for line in out.read_text().splitlines()]
    rows = [line.split("\t") for line in (wavs / "transcript.tsv").read_text().splitlines()]
    assert len(cues) >= 3 and len(rows) == len(cues) == len(list(wavs.glob("*.wav")))
    assert [(float(r[1]), r[3]) for r in rows] == [(round(c["t"], 3), c["text"]) for c in cues]


def test_one_rep_is_one_rep_not_1_reps(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    data = tmp_path / "d"
    assert main(["run", "--source", "synthetic", "--commands", "0.5:start hinge drill,13:stop",
                 "--speaker", "none", "--quiet", "--data-dir", str(data)]) == 0
    assert "1 coached rep," in capsys.readouterr().err
    assert main(["report", "--data-dir", str(data), "--out", str(tmp_path / "r.html")]) == 0
    assert "1 rep ->" in capsys.readouterr().err
    html = (tmp_path / "r.html").read_text()
    assert "1 rep, 1 clean</h3>" in html and "1 reps" not in html


def test_a_second_replay_into_the_same_wav_folder_leaves_only_its_own_cues(traces: dict, tmp_path: Path) -> None:
    """Old NNN-*.wav files stayed beside the new ones, with clashing numbers."""
    trace, _ = traces["clean-0"]
    wavs = tmp_path / "wav"
    for cmds in ("0.5:start hinge drill", "0.5:start hinge drill,6:stop"):
        assert main(["run", "--source", str(trace), "--commands", cmds, "--speaker", f"wav:{wavs}",
                     "--quiet", "--data-dir", str(tmp_path / "d")]) == 0
    rows = (wavs / "transcript.tsv").read_text().splitlines()
    assert sorted(p.name for p in wavs.glob("*.wav")) == sorted(r.split("\t")[2] for r in rows)


def test_demo_keeps_nothing_when_history_is_off(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HINGECOACH_PRIVACY_RECORD_HISTORY", "false")
    assert main(["demo", "--speaker", "none", "--data-dir", str(tmp_path / "d")]) == 0
    assert not (tmp_path / "d").exists() and "nothing is saved" in capsys.readouterr().err


def test_a_replay_stopped_by_a_signal_drops_the_commands_still_to_come(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Ctrl-C or SIGTERM at about 32 s of the demo story: the commands scripted for 80 s and
    126 s were still played, so a wall-drill-only session heard "Free hinges...", "Okay,
    wrapping up." and "You're on the free hinge." (review). Now the session ends where it was."""
    import signal

    from hingecoach.commands import run as run_cmd
    from hingecoach.commands.demo import DEMO_COMMANDS, coached_demo_session
    from hingecoach.service import Notifier, Service

    trace = tmp_path / "story.jsonl"
    write_trace(coached_demo_session(), trace)

    class StopAt32(Service):  # SIGINT arrives during the frame at ~32 s
        frames = 0

        def tick(self, now: float) -> bool:
            StopAt32.frames += 1
            if StopAt32.frames == 32 * 30:
                self.request_stop(signal.SIGINT)
            return False

    monkeypatch.setattr(run_cmd.Service, "from_env", classmethod(lambda cls, env=None: StopAt32(Notifier(None))))
    cues = run(trace, tmp_path, commands=DEMO_COMMANDS)
    assert max(c["t"] for c in cues) < 40.0, cues[-3:]
    texts = [c["text"] for c in cues]
    assert not [t for t in texts if "Free hinges" in t or "wrapping up" in t or "free hinge" in t], texts
    assert cues[-1]["kind"] == "summary" and "Your wall distance" in cues[-1]["text"], cues[-1]


@pytest.mark.parametrize(("argv", "usage", "says"), [
    (["run", "--sorce", "x.jsonl"], "usage: hingecoach run ", "(did you mean --source?)"),
    (["history", "--config", "c.toml"], "usage: hingecoach history ", "unrecognized arguments: --config c.toml"),
])
def test_a_mistyped_option_gets_its_command_usage_and_the_option_meant(capsys, argv: list, usage: str, says: str) -> None:  # noqa: ANN001
    """Before, argparse blamed the top-level parser: 'usage: hingecoach [-h] [--version] COMMAND'."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert f"hingecoach {argv[0]}: error: unrecognized arguments" in err and says in err


def test_a_transcript_over_the_input_the_config_or_the_database_is_refused_before_writing(
        traces: dict, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """`run --source s.jsonl --transcript s.jsonl` left a 0-byte trace and `--transcript
    DATA/hingecoach.db` replaced the database with JSON, all history lost; both exit 0."""
    import os
    import shutil

    trace = tmp_path / "s.jsonl"
    shutil.copy(traces["clean-0"][0], trace)
    os.link(trace, tmp_path / "same.jsonl")  # another name for the same file
    data = tmp_path / "d"
    with Store(data / "hingecoach.db") as st:
        st.save_level(st.user("Bo", "cm").id, "wall", 2, "wall", 20.0)
    config = tmp_path / "c.toml"
    config.write_text("[user]\nname = \"Bo\"\n")
    files = [trace, config, *data.iterdir()]
    before = {p: p.read_bytes() for p in files}
    base = ["--commands", START, "--no-voice", "--speaker", "none", "--quiet", "--data-dir", str(data)]
    for argv, says in (
        (["run", "--source", str(trace), "--transcript", str(trace)], "is the input itself"),
        (["run", "--source", str(trace), "--transcript", str(tmp_path / "same.jsonl")], "is the input itself"),
        (["run", "--source", str(trace), "--transcript", str(tmp_path / "x" / ".." / "s.jsonl")],
         "is the input itself"),
        (["run", "--source", str(trace), "--transcript", str(data / "hingecoach.db")],
         "is the progress database"),
        (["run", "--source", str(trace), "--transcript", str(data / "hingecoach.db-wal")],
         "side file of the progress database"),
        (["run", "--source", str(trace), "--config", str(config), "--transcript", str(config)],
         "is the --config file"),
    ):
        assert main([*argv, *base]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and "name another file, e.g. --transcript" in err[0], (argv, err)
    assert main(["demo", "--speaker", "none", "--data-dir", str(data),
                 "--transcript", str(data / "hingecoach.db")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the progress database" in err[0], err
    assert {p: p.read_bytes() for p in files} == before
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db"], "nothing written"


def test_a_wav_speaker_folder_that_cannot_be_made_is_refused_before_the_replay(
        traces: dict, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """`run --source s.jsonl --speaker wav:FILE` coached the whole session, then died in
    write_cue_wavs with a FileExistsError traceback (exit 1); wav:/proc/nope with
    FileNotFoundError. Live sources said so up front in one line: now replays do too."""
    trace, _ = traces["clean-0"]
    data, out = tmp_path / "d", tmp_path / "t.jsonl"
    for folder, says in ((str(trace), "is a file, not a folder"), ("/proc/nope", "cannot create WAV folder")):
        assert main(["run", "--source", str(trace), "--commands", START, "--speaker", f"wav:{folder}",
                     "--transcript", str(out), "--data-dir", str(data)]) == 2, folder
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and "pass another --speaker wav:DIR" in err[0], err
        assert captured.out == "" and not out.exists() and not data.exists(), "refused before coaching"
    wavs = tmp_path / "w"
    assert main(["run", "--source", str(trace), "--commands", START, "--speaker", f"wav:{wavs}",
                 "--transcript", str(wavs / "transcript.tsv"), "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"is the transcript.tsv that --speaker wav:{wavs} writes" in err[0], err
