"""A power cut or crash mid-set loses nothing completed: SIGKILL a real `hingecoach run`."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from hingecoach.cli import main
from hingecoach.pose.trace import TraceWriter
from hingecoach.sim import random_session, render
from hingecoach.store.db import Store

START = "0.5:start hinge drill"


def reps_in(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)
        try:
            return int(con.execute("SELECT count(*) FROM reps").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_during_a_set_keeps_every_completed_rep(tmp_path: Path) -> None:
    info, poses, truth = render(random_session(4242, fault_rate=0.4, reps=12))
    trace = tmp_path / "session.jsonl"
    with TraceWriter(trace, info) as w:
        for p in poses:
            w.write(p)
    # The uninterrupted run tells us what every rep should look like.
    assert main(["run", "--source", str(trace), "--commands", START, "--no-voice", "--speaker",
                 "none", "--quiet", "--data-dir", str(tmp_path / "full")]) == 0
    with Store(tmp_path / "full" / "hingecoach.db") as st:
        expected = [(r["number"], r["start_s"], r["end_s"], r["faults"]) for r in st.reps()]
    assert len(expected) >= 10

    db = tmp_path / "killed" / "hingecoach.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hingecoach", "run", "--source", str(trace), "--commands", START,
         "--no-voice", "--speaker", "none", "--quiet", "--pace", "6",
         "--data-dir", str(db.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = 0
    deadline = time.monotonic() + 60
    try:
        while seen < 4 and proc.poll() is None and time.monotonic() < deadline:
            seen = max(seen, reps_in(db))
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert seen >= 4

    with Store(db) as st:
        assert st.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        got = [(r["number"], r["start_s"], r["end_s"], r["faults"]) for r in st.reps()]
        sets = st.sets()
    # everything that was committed before the kill is there, exactly as in the full run
    assert len(got) >= seen
    assert got == expected[: len(got)]
    assert len(got) < len(expected), "killed mid-session"
    assert sets[-1]["end_s"] is None, "killed during a set"
