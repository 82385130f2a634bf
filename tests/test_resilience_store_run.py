"""`hingecoach run` with a progress database it cannot record to: damaged, on a read-only
file system, or in a folder the user may not write. Coaching goes on, it is said once (one
line on stderr, one spoken notice), the fix is named, and nothing the user recorded is
touched. history / report / export read a healthy database from a read-only place, and
doctor tells the cases apart. A database another program keeps locked delays saving: the
reps wait and are written when it lets go, or the closing line lists them.

Each command runs in a real process (no traceback may escape); the read-only folder is a
real read-only bind mount (see ``storekit``).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from hingecoach import doctor
from hingecoach.cli import main
from hingecoach.coach.drills import Level
from hingecoach.config import load_config
from hingecoach.pose.trace import TraceWriter
from hingecoach.resilience import NOTICES
from hingecoach.sim import random_session, render
from hingecoach.store.db import Store, damaged_fix
from storekit import (
    another_programs_database,
    damage_third_page,
    hingecoach,
    read_only_mechanism,
    run_not_writable,
    run_read_only,
    snapshot,
    wal_left_by_a_crash,
    write_lock,
)

WALL = "0.5:start wall drill"
BO_WALL = Level("wall", 2, "cm")
"""Bo's saved wall level: a run that reads it sets the wall at 25 centimetres."""


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    info, poses, _ = render(random_session(41, reps=5, fault_rate=0.5))
    path = tmp_path_factory.mktemp("trace") / "s.jsonl"
    with TraceWriter(path, info) as w:
        for p in poses:
            w.write(p)
    return path


@pytest.fixture(scope="module")
def recorded(trace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with one real coached session of Bo's, who works in cm at the wall
    drill's third rung, closed cleanly (no -wal or -shm left)."""
    data = tmp_path_factory.mktemp("recorded") / "data"
    assert main(["run", "--source", str(trace), "--commands", "0.5:start hinge drill", "--no-voice",
                 "--speaker", "none", "--quiet", "--data-dir", str(data), "--user", "Bo"]) == 0
    with Store(data / "hingecoach.db") as st:
        bo = st.user("Bo", "cm")
        st.save_level(bo.id, "wall", BO_WALL.index, "wall", BO_WALL.wall_cm)
    assert sorted(p.name for p in data.iterdir()) == ["hingecoach.db"]
    return data


@pytest.fixture
def data(recorded: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(recorded, tmp_path / "data"))


def run_argv(trace: Path, data: Path, transcript: Path, commands: str = WALL) -> list[str]:
    return hingecoach("run", "--source", str(trace), "--commands", commands, "--no-voice",
                      "--speaker", "none", "--quiet", "--user", "Bo", "--transcript", str(transcript),
                      "--data-dir", str(data))


def cues(transcript: Path) -> list[dict]:
    return [json.loads(line) for line in transcript.read_text().splitlines()]


def coached_reps(said: list[dict]) -> int:
    """The reps the session summary counts ("Session over: 2 sets, 5 reps, ...")."""
    (summary,) = [c["text"] for c in said if c["kind"] == "summary"]
    return int(re.search(r"(\d+) reps?\b", summary).group(1))


def read_bos_level(said: list[dict]) -> bool:
    setup = next(c["text"] for c in said if c["kind"] == "setup")
    return f"Heels {BO_WALL.spoken_distance()} from the wall" in setup


def trouble_line(stderr: str, words: str) -> str:
    """The one stderr line that names the trouble (the other is run's summary)."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("hingecoach run: ") and "progress NOT saved" in lines[1], lines
    assert words in lines[0], lines
    return lines[0]


# --- Bug A: a damaged database ------------------------------------------------------------

def _garbage_header(db: Path) -> None:
    with open(db, "r+b") as fh:
        fh.write(b"not a database at all, not even its header")


@pytest.mark.parametrize("damage", [damage_third_page, _garbage_header], ids=["third page", "header"])
def test_run_on_a_damaged_database_coaches_on_says_so_once_and_leaves_the_file_alone(
        damage, trace: Path, data: Path, tmp_path: Path) -> None:
    """It ended in `sqlite3.DatabaseError: database disk image is malformed` with a
    traceback (a damaged third page) or refused to start (a damaged header), exit 1 or 2:
    under systemd's Restart=always, for ever."""
    import subprocess

    damage(data / "hingecoach.db")
    before = snapshot(data)
    done = subprocess.run(run_argv(trace, data, tmp_path / "t.jsonl", "0:start hinge drill"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    line = trouble_line(done.stderr, "damaged")
    assert str(data / "hingecoach.db") in line and "progress will not be saved this session" in line
    assert damaged_fix(data / "hingecoach.db") in line      # the fix doctor and history give
    assert "***" not in line and "btree" not in line.lower()  # SQLite's raw report: for doctor's details
    said = cues(tmp_path / "t.jsonl")
    assert [c["text"] for c in said if "damaged" in c["text"]] == [NOTICES["recording_stopped_damaged"]]
    assert coached_reps(said) >= 4, "the coaching went on"
    assert snapshot(data) == before, "the damaged file (and the folder) are left as they were"


def test_history_still_calls_the_damaged_database_damaged_with_the_same_fix(data: Path) -> None:
    """The line carried SQLite's raw quick_check report ("*** in database main *** Page 3:
    btreeInitPage() returns error code 11 ...")."""
    import subprocess

    damage_third_page(data / "hingecoach.db")
    done = subprocess.run(hingecoach("history", "--data-dir", str(data)), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "damaged" in done.stderr and damaged_fix(data / "hingecoach.db") in done.stderr
    assert "SQLite's integrity check found damage on page" in done.stderr
    assert "***" not in done.stderr and "btree" not in done.stderr.lower()


def test_doctor_reports_a_damaged_database_with_the_fix(data: Path, tmp_path: Path) -> None:
    """doctor said "ok disk" and "The coach can run" about it."""
    db = data / "hingecoach.db"
    healthy = doctor.check_database(db, doctor.Probes())
    assert healthy.ok and "quick_check ok" in healthy.detail
    damage_third_page(db)
    before = snapshot(data)
    check = doctor.check_database(db, doctor.Probes())
    assert not check.ok and not check.required      # the coach runs, without saving progress
    assert "damaged" in check.problem and str(db) in check.problem
    assert check.fix == damaged_fix(db)     # the fix run and history give: it left out "restore a backup"
    assert "restore a backup" in check.fix and "move it aside" in check.fix and "starts a new one" in check.fix
    assert "***" not in check.problem and "***" in check.detail   # SQLite's report, in the details
    assert snapshot(data) == before
    cfg = load_config(env={"HOME": str(tmp_path)}, overrides={"paths.data_dir": str(data)})
    checks = {c.name: c for c in doctor.run_checks(lambda: cfg)}
    assert checks["progress database"] == check
    assert "progress database" in doctor.format_text(list(checks.values()))


def test_doctor_says_a_newer_database_is_not_saved_to_until_hingecoach_is_upgraded(data: Path) -> None:
    """A newer database stopped `run` ('required'); now `run` coaches without saving."""
    _newer(data / "hingecoach.db")
    check = doctor.check_database(data / "hingecoach.db", doctor.Probes())
    assert not check.ok and not check.required and "upgrade hingecoach" in check.fix
    assert "runs without saving progress" in check.problem


# --- another program's SQLite file ----------------------------------------------------------

@pytest.mark.parametrize("user_version, tables", [
    (0, ("photos", "albums")), (3, ("photos", "albums")),
    (1, ("users", "sessions")), (3, ("users", "sessions")),
], ids=["plain", "user_version 3", "named like ours at version 1", "named like ours at version 3"])
def test_run_on_another_programs_sqlite_file_coaches_without_recording_and_leaves_it_alone(
        user_version: int, tables: tuple[str, ...], trace: Path, data: Path, tmp_path: Path) -> None:
    """`run` switched the file to WAL and added its tables next to the other program's (or,
    as its user_version was 3, refused to start: 'newer ... upgrade hingecoach'). Tables
    merely named like ours (users, sessions) at user_version 1 counted as ours: `run`
    switched the file to WAL and ended in `no such column: name` with a traceback, history
    called it damaged and doctor said ok; at user_version 3, switched to WAL and refused."""
    import subprocess

    db = data / "hingecoach.db"
    another_programs_database(db, user_version, tables)
    before = snapshot(data)
    done = subprocess.run(run_argv(trace, data, tmp_path / "t.jsonl", "0:start hinge drill"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    line = trouble_line(done.stderr, f"{db} is not a Hinge Coach database (another program's")
    assert "progress will not be saved this session" in line and "--data-dir" in line
    assert "move it aside" in line and "damaged" not in line
    said = cues(tmp_path / "t.jsonl")
    assert [c["text"] for c in said if "program" in c["text"]] == [NOTICES["recording_stopped_not_ours"]]
    assert coached_reps(said) >= 4, "the coaching went on"
    assert snapshot(data) == before, "the other program's file is left as it was, and nothing beside it"
    check = doctor.check_database(db, doctor.Probes())
    assert not check.ok and not check.required
    shown = ", ".join(sorted(tables))
    assert f"{db} is not a Hinge Coach database (another program's SQLite database: tables {shown}" \
        in check.problem
    assert "--data-dir" in check.fix and "move it aside" in check.fix
    history = subprocess.run(hingecoach("history", "--data-dir", str(data)), capture_output=True,
                             text=True, timeout=120)
    assert history.returncode == 2 and len(history.stderr.strip().splitlines()) == 1, history.stderr
    assert "is not a Hinge Coach database" in history.stderr
    assert "damaged" not in history.stderr and "upgrade" not in history.stderr
    assert snapshot(data) == before


def _newer(db: Path) -> None:
    """Bo's database as a newer hingecoach leaves it: a column added, the version raised,
    and (so that a switch to WAL would show) a rollback journal."""
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA journal_mode = DELETE")
    c.execute("ALTER TABLE users ADD COLUMN avatar TEXT")
    c.execute("PRAGMA user_version = 99")
    c.close()


def test_run_on_a_newer_hingecoachs_database_coaches_without_recording_says_so_once_and_leaves_it(
        trace: Path, data: Path, tmp_path: Path) -> None:
    """`run` switched it to WAL, then refused to start ('upgrade hingecoach', exit 2): under
    systemd's Restart=always, over and over."""
    import subprocess

    db = data / "hingecoach.db"
    _newer(db)
    before = snapshot(data)
    done = subprocess.run(run_argv(trace, data, tmp_path / "t.jsonl", "0:start hinge drill"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    line = trouble_line(done.stderr, f"{db} is from a newer hingecoach")
    assert "progress will not be saved this session" in line and "upgrade hingecoach" in line
    assert "damaged" not in line and "not a Hinge Coach" not in line
    said = cues(tmp_path / "t.jsonl")
    assert [c["text"] for c in said if "newer" in c["text"]] == [NOTICES["recording_stopped_newer"]]
    assert coached_reps(said) >= 4, "the coaching went on"
    assert snapshot(data) == before
    history = subprocess.run(hingecoach("history", "--data-dir", str(data)), capture_output=True,
                             text=True, timeout=120)
    assert history.returncode == 2 and "upgrade hingecoach" in history.stderr, history.stderr
    assert snapshot(data) == before


def test_doctor_takes_data_dir_as_the_other_commands_do_so_its_fix_can_be_followed(
        data: Path, tmp_path: Path) -> None:
    """"not a Hinge Coach database ... set --data-dir": doctor had no --data-dir."""
    import subprocess

    other = tmp_path / "other"
    other.mkdir()
    another_programs_database(other / "hingecoach.db")
    for folder, ok in ((other, False), (data, True)):
        done = subprocess.run(hingecoach("doctor", "--json", "--data-dir", str(folder)),
                              capture_output=True, text=True, timeout=120)
        check = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "progress database")
        assert check["ok"] is ok and str(folder / "hingecoach.db") in (check["problem"] or check["detail"])
        if not ok:
            assert "--data-dir" in check["fix"]


def test_doctor_says_when_a_healthy_database_is_locked_by_another_program_right_now(data: Path) -> None:
    """It said plain "ok" while another program held the write lock (saving would wait)."""
    db = data / "hingecoach.db"
    assert "locked" not in doctor.check_database(db, doctor.Probes()).detail
    with write_lock(db):
        check = doctor.check_database(db, doctor.Probes())
    assert check.ok and "quick_check ok" in check.detail
    assert "locked by another program right now" in check.detail and "fuser -v" in check.detail
    assert "locked" not in doctor.check_database(db, doctor.Probes()).detail


# --- Bug B: a healthy database somewhere read-only -----------------------------------------

@pytest.mark.parametrize("argv", [("history",), ("report", "latest", "--out", "{tmp}/r.html"),
                                  ("export", "--format", "json")], ids=lambda a: a[0])
def test_history_report_and_export_read_a_healthy_database_from_a_read_only_place(
        argv: tuple[str, ...], data: Path, tmp_path: Path) -> None:
    """They said "...hingecoach.db is damaged or not a Hinge Coach database (unable to open
    database file) ... move it aside": SQLite could not make the -shm file a WAL database
    needs beside it."""
    before = snapshot(data)
    done = run_read_only(data, hingecoach(*(a.format(tmp=tmp_path) for a in argv), "--data-dir", str(data)))
    assert done.returncode == 0, done.stderr
    assert "damaged" not in done.stderr
    if argv[0] == "history":
        assert "Bo" in done.stdout and "hinge" in done.stdout
    elif argv[0] == "export":
        assert json.loads(done.stdout) and json.loads(done.stdout)[0]["user"] == "Bo"
    else:
        assert (tmp_path / "r.html").stat().st_size > 10_000
    assert snapshot(data) == before


def test_run_on_a_read_only_data_dir_coaches_with_the_saved_progress_and_says_why_once(
        trace: Path, data: Path, tmp_path: Path) -> None:
    """It said "...is not a usable Hinge Coach database ... move it aside" and exit 2."""
    before = snapshot(data)
    done = run_read_only(data, run_argv(trace, data, tmp_path / "t.jsonl"))
    assert done.returncode == 0, done.stderr
    said = cues(tmp_path / "t.jsonl")
    assert read_bos_level(said), "Bo's saved level and units, read from the read-only file"
    assert coached_reps(said) >= 4
    if read_only_mechanism() == "mount":
        line = trouble_line(done.stderr, "read-only file system")
        assert str(data) in line and "remount it read-write" in line
        notice = NOTICES["recording_stopped_read_only"]
    else:  # a non-root user without a mount of their own: a folder they may not write
        line = trouble_line(done.stderr, "cannot be written by this user")
        notice = NOTICES["recording_stopped_no_permission"]
    assert "progress will not be saved this session" in line
    assert "damaged" not in line and "move it aside" not in line
    assert [c["text"] for c in said if c["kind"] == "info" and "saved" in c["text"]] == [notice]
    assert snapshot(data) == before


def test_doctor_calls_a_read_only_data_dir_read_only_not_a_chown_problem(data: Path, tmp_path: Path) -> None:
    """It said "ok ... The coach can run" and suggested `sudo chown`."""
    done = run_read_only(data, hingecoach("doctor", "--json", "--set", f"paths.data_dir={data}"))
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["progress database"]["ok"], checks["progress database"]
    disk = checks["disk"]
    assert not disk["ok"] and not disk["required"]
    if read_only_mechanism() == "mount":
        assert "read-only file system" in disk["problem"]
        assert "remount" in disk["fix"] and "chown" not in disk["fix"]
    else:
        assert "not writable" in disk["problem"] and "chown" in disk["fix"]


def test_a_read_only_place_with_changes_left_in_the_wal_says_to_copy_it(data: Path, tmp_path: Path) -> None:
    """After a crash the newest sessions may still be in hingecoach.db-wal, which SQLite can
    only read where it can make the -shm file: reading the file alone would miss them."""
    db = data / "hingecoach.db"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE users SET units = 'in'")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("hingecoach.db", "hingecoach.db-wal"):  # the files as a power cut leaves them
        shutil.copy(data / name, crashed / name)
    writer.close()
    assert (crashed / "hingecoach.db-wal").stat().st_size > 0
    done = run_read_only(crashed, hingecoach("history", "--data-dir", str(crashed)))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is not damaged" in done.stderr and "hingecoach.db-wal" in done.stderr
    assert "copy the folder" in done.stderr


# --- a folder this user may not write (a writable file system) -----------------------------

def test_run_in_a_folder_the_user_may_not_write_names_chown_not_damage(
        trace: Path, data: Path, tmp_path: Path) -> None:
    transcript = tmp_path / "out" / "t.jsonl"
    transcript.parent.mkdir()
    transcript.parent.chmod(0o777)  # the command may run as another user (see storekit)
    before = snapshot(data)
    done = run_not_writable(data, run_argv(trace, data, transcript))
    assert done.returncode == 0, done.stderr
    line = trouble_line(done.stderr, "cannot be written by this user")
    assert "chown" in line and "damaged" not in line and "read-only file system" not in line
    said = cues(transcript)
    assert read_bos_level(said), "Bo's saved progress, read"
    assert coached_reps(said) >= 4
    assert NOTICES["recording_stopped_no_permission"] in [c["text"] for c in said]
    assert snapshot(data) == before
    history = run_not_writable(data, hingecoach("history", "--data-dir", str(data)))
    assert history.returncode == 0 and "Bo" in history.stdout, history.stderr


# --- another program keeps the database locked ---------------------------------------------

def reps_saved(data: Path) -> int:
    c = sqlite3.connect(data / "hingecoach.db")
    try:
        return int(c.execute("SELECT count(*) FROM reps").fetchone()[0])
    finally:
        c.close()


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> float:
    """`run` in this process waits 0.3 s for a lock instead of 10 s."""
    import hingecoach.store.db as store_db

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.3)
    return 0.3


def test_run_on_a_database_locked_all_session_coaches_on_and_says_what_was_not_saved(
        short_lock_wait: float, trace: Path, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`sqlite3 hingecoach.db` with `BEGIN EXCLUSIVE;` open for the whole session: `run`
    ended in `sqlite3.OperationalError: database is locked` with a traceback."""
    saved_before = reps_saved(data)
    with write_lock(data / "hingecoach.db", "EXCLUSIVE"):
        code = main(run_argv(trace, data, tmp_path / "t.jsonl")[3:])
    err = capsys.readouterr().err
    assert code == 0, err
    said = cues(tmp_path / "t.jsonl")
    assert read_bos_level(said), "Bo's saved progress is read while it is locked"
    assert coached_reps(said) >= 4
    assert [c["text"] for c in said if "delayed" in c["text"]] == [NOTICES["recording_delayed"]]
    lines = err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "locked by another program" in lines[0] and "saving is delayed" in lines[0]
    assert "fuser -v" in lines[0] and "damaged" not in lines[0]
    assert lines[1].startswith("hingecoach run: ") and "progress NOT saved: the session; all of set 1 (reps 1-" in lines[1]
    assert lines[1].endswith(f"the end of the session, as {data / 'hingecoach.db'} stayed locked by "
                             "another program")
    assert reps_saved(data) == saved_before


def test_run_writes_the_waiting_reps_once_the_lock_clears(
        monkeypatch: pytest.MonkeyPatch, trace: Path, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The other program lets go as soon as the coach has said saving is delayed: every rep
    of the session is then in the database, and the closing line says it was saved."""
    import hingecoach.store.db as store_db

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 5.0)  # time enough for the holder to see it
    transcript = tmp_path / "t.jsonl"
    saved_before = reps_saved(data)
    with write_lock(data / "hingecoach.db", until=(transcript, NOTICES["recording_delayed"])):
        code = main(run_argv(trace, data, transcript)[3:])
    err = capsys.readouterr().err
    assert code == 0, err
    said = cues(transcript)
    assert [c["text"] for c in said if "delayed" in c["text"]] == [NOTICES["recording_delayed"]]
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "saving is delayed" in lines[0], lines
    assert lines[1].endswith(f"progress saved in {data / 'hingecoach.db'}"), lines
    assert reps_saved(data) - saved_before == coached_reps(said) >= 4


def test_run_never_waits_the_busy_timeout_for_a_lock_before_the_session_ends(
        monkeypatch: pytest.MonkeyPatch, trace: Path, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's row, made as `run` starts, waited the whole busy timeout for the lock
    (10 s; 5 s here), and so did the first write of the session: the coach stood still."""
    import time

    import hingecoach.store.db as store_db

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 5.0)
    took: list[tuple[str, float]] = []

    def timing(name: str) -> object:
        write = getattr(Store, name)

        def timed(*args: object, **kwargs: object) -> object:
            start = time.monotonic()
            try:
                return write(*args, **kwargs)
            finally:
                took.append((name, time.monotonic() - start))
        return timed

    for name in ("user", "start_session", "start_set", "add_rep", "end_set", "save_level"):
        monkeypatch.setattr(Store, name, timing(name))
    transcript = tmp_path / "t.jsonl"
    argv = run_argv(trace, data, transcript)[3:]
    argv[argv.index("Bo")] = "Kim"
    with write_lock(data / "hingecoach.db", until=(transcript, NOTICES["recording_delayed"])):
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    assert took[0][0] == "user" and max(t for _, t in took) < 1.5, took
    said = cues(transcript)
    assert [c["text"] for c in said if "delayed" in c["text"]] == [NOTICES["recording_delayed"]]
    assert err.strip().splitlines()[-1].endswith(f"progress saved in {data / 'hingecoach.db'}"), err
    c = sqlite3.connect(data / "hingecoach.db")
    kims = c.execute("SELECT count(*) FROM reps JOIN sets ON sets.id = reps.set_id JOIN sessions "
                     "ON sessions.id = sets.session_id JOIN users ON users.id = sessions.user_id "
                     "WHERE users.name = 'Kim'").fetchone()[0]
    c.close()
    assert kims == coached_reps(said) >= 4


def test_a_lock_never_holds_up_the_session_end_and_the_last_wait_comes_once(
        monkeypatch: pytest.MonkeyPatch, trace: Path, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """'stop' made the session-end write wait the whole busy timeout on the frame loop ("Okay,
    wrapping up." and the summary came 10 s late), and close then waited it all again."""
    import time

    import hingecoach.app as app
    import hingecoach.store.db as store_db
    from hingecoach.coach.coach import Coach

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 3.0)
    stalls: list[tuple[str, float]] = []
    for name in ("on_intent", "on_update", "finish"):
        def timed(self: Coach, *args: object, _real: object = getattr(Coach, name), _name: str = name) -> object:
            start = time.monotonic()
            try:
                return _real(self, *args)  # type: ignore[operator]
            finally:
                stalls.append((_name, time.monotonic() - start))
        monkeypatch.setattr(Coach, name, timed)
    ended: list[float] = []
    real = app.run_session

    def run_session(*args: object, **kwargs: object) -> object:
        try:
            return real(*args, **kwargs)
        finally:
            ended.append(time.monotonic())

    monkeypatch.setattr(app, "run_session", run_session)
    transcript = tmp_path / "t.jsonl"
    with write_lock(data / "hingecoach.db", "EXCLUSIVE"):
        code = main(run_argv(trace, data, transcript, f"{WALL},28:stop")[3:])
        closing = time.monotonic() - ended[0]
    err = capsys.readouterr().err
    assert code == 0, err
    said = cues(transcript)
    assert [c["kind"] for c in said][-2:] == ["ack", "summary"], said[-3:]
    worst = max(stalls, key=lambda s: s[1])
    assert worst[1] < 1.0, worst           # 'stop' took the busy timeout (3 s here; 10 s live)
    assert 2.0 < closing < 5.5, closing     # the busy timeout once, at close (twice before)
    assert "progress NOT saved" in err.strip().splitlines()[-1]


def test_sigterm_with_a_lock_held_exits_well_within_systemds_stop_timeout(
        trace: Path, data: Path, tmp_path: Path) -> None:
    """After SIGTERM the session's end and close each waited the busy timeout (10 s): the
    process took 20.5 s to exit, past the unit's TimeoutStopSec=20, so systemd would have
    killed it before its closing line."""
    import signal
    import subprocess
    import time

    unit = (Path(__file__).parents[1] / "systemd" / "hingecoach.service.in").read_text()
    stop_timeout = float(re.search(r"^TimeoutStopSec=(\d+)", unit, re.M).group(1))
    transcript = tmp_path / "t.jsonl"
    argv = run_argv(trace, data, transcript, "0.5:start hinge drill")
    argv[argv.index("--quiet")] = "--pace=1"
    with write_lock(data / "hingecoach.db", "EXCLUSIVE"):
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not (
                    transcript.exists() and NOTICES["recording_delayed"] in transcript.read_text()):
                assert child.poll() is None, child.communicate()
                time.sleep(0.05)
            time.sleep(1.5)           # a rep or two more, kept for later
            child.send_signal(signal.SIGTERM)
            start = time.monotonic()
            out, err = child.communicate(timeout=60)
            took = time.monotonic() - start
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == 0, err
    assert took < stop_timeout / 2, took
    last = err.strip().splitlines()[-1]
    assert last.startswith("hingecoach run: ") and "progress NOT saved" in last, err
    assert last.endswith("stayed locked by another program"), last


# --- locked so that even readers are kept out (locking_mode=EXCLUSIVE) ----------------------

@pytest.mark.parametrize("argv", [("history",), ("report", "latest", "--out", "{tmp}/r.html"),
                                  ("export", "--format", "json")], ids=lambda a: a[0])
def test_a_database_locked_even_for_readers_is_called_locked_not_damaged(
        argv: tuple[str, ...], data: Path, tmp_path: Path) -> None:
    """`PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;` in another program: after 10 s,
    "damaged or not a Hinge Coach database (database is locked) ... move it aside", the
    advice that would reset the user's progress."""
    import subprocess
    import time

    with write_lock(data / "hingecoach.db", "EXCLUSIVE MODE"):
        start = time.monotonic()
        done = subprocess.run(hingecoach(*(a.format(tmp=tmp_path) for a in argv), "--data-dir", str(data)),
                              capture_output=True, text=True, timeout=120)
        took = time.monotonic() - start
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"the progress database {data / 'hingecoach.db'} is locked by another program" in done.stderr
    assert "fuser -v" in done.stderr and "try again" in done.stderr
    assert "damaged" not in done.stderr and "move it aside" not in done.stderr
    assert took < 8, took  # it waits a little for the lock (2 s), not SQLite's 10 s


def test_doctor_calls_a_database_locked_even_for_readers_locked(data: Path) -> None:
    """It warned "damaged ... (database is locked)" with the move-it-aside fix."""
    with write_lock(data / "hingecoach.db", "EXCLUSIVE MODE"):
        check = doctor.check_database(data / "hingecoach.db", doctor.Probes())
    assert not check.ok and not check.required
    assert "locked by another program" in check.problem and "damaged" not in check.problem
    assert "fuser -v" in check.fix and "move it aside" not in check.fix


def test_run_on_a_database_locked_even_for_readers_starts_soon_and_says_why_once(
        monkeypatch: pytest.MonkeyPatch, trace: Path, data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`run` waited SQLite's busy timeout twice (to open the store, then to read the saved
    levels: 20 s) before coaching began, then coached at the first levels and said only
    that the session would not be saved."""
    import time

    import hingecoach.app as app

    began: list[float] = []
    real = app.run_session

    def run_session(*args: object, **kwargs: object) -> object:
        began.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "run_session", run_session)
    transcript = tmp_path / "t.jsonl"
    with write_lock(data / "hingecoach.db", "EXCLUSIVE MODE"):
        start = time.monotonic()
        code = main(run_argv(trace, data, transcript)[3:])
    err = capsys.readouterr().err
    assert code == 0, err
    assert began and began[0] - start < 6, began[0] - start  # 1.5 s + 1.5 s, and some slack
    said = cues(transcript)
    assert [c["text"] for c in said if "program" in c["text"]] == [NOTICES["recording_stopped_locked_unread"]]
    assert not read_bos_level(said) and coached_reps(said) >= 4
    line = trouble_line(err, "locked by another program")
    assert "saved levels could not be read" in line and "progress will not be saved" in line
    assert "fuser -v" in line and "damaged" not in line


# --- no side files left beside a database that was only looked at --------------------------

def _looked_at(command: str, trace: Path, data: Path, tmp_path: Path) -> str:
    """What ``command`` says about the progress database in ``data`` (run in a process)."""
    import subprocess

    argv = {"run": run_argv(trace, data, tmp_path / "t.jsonl", "0:start hinge drill"),
            "doctor": hingecoach("doctor", "--json", "--set", f"paths.data_dir={data}"),
            "history": hingecoach("history", "--data-dir", str(data))}[command]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    if command == "doctor":
        return json.dumps(next(c for c in json.loads(done.stdout)["checks"]
                               if c["name"] == "progress database"))
    return done.stderr


@pytest.mark.parametrize("command", ["run", "doctor", "history"])
def test_a_damaged_database_with_a_wal_left_by_a_crash_gets_no_new_side_files(
        command: str, trace: Path, data: Path, tmp_path: Path) -> None:
    """The read-only check made a hingecoach.db-shm beside it and left it there: a -wal
    already existed, so nothing was tidied."""
    db = data / "hingecoach.db"
    wal_left_by_a_crash(db)
    damage_third_page(db)
    before = snapshot(data)
    assert sorted(before) == ["hingecoach.db", "hingecoach.db-wal"]
    assert "damaged" in _looked_at(command, trace, data, tmp_path)
    assert snapshot(data) == before, "the files as they were, and no -shm beside them"


def test_history_of_a_healthy_database_with_a_wal_left_by_a_crash_reads_it_and_leaves_no_shm(
        data: Path) -> None:
    import subprocess

    wal_left_by_a_crash(data / "hingecoach.db")
    before = snapshot(data)
    done = subprocess.run(hingecoach("history", "--data-dir", str(data)), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "Bo" in done.stdout, done.stderr
    assert snapshot(data) == before


# --- the demo records through the same guard as run ----------------------------------------

@pytest.fixture
def demo_data(tmp_path: Path) -> Path:
    """A data folder holding one demo session, as `hingecoach demo --data-dir D` leaves it."""
    d = tmp_path / "demo"
    assert main(["demo", "--speaker", "none", "--data-dir", str(d)]) == 0
    return d


def demo_sessions(data: Path) -> int:
    c = sqlite3.connect(data / "hingecoach.db")
    try:
        return int(c.execute("SELECT count(*) FROM sessions").fetchone()[0])
    finally:
        c.close()


def test_demo_on_a_locked_database_coaches_on_and_says_what_was_not_saved(
        short_lock_wait: float, demo_data: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A second `demo --data-dir D` while another program held D's write lock ended in
    `sqlite3.OperationalError: database is locked` from start_session, with a traceback."""
    capsys.readouterr()
    transcript = tmp_path / "t.jsonl"
    with write_lock(demo_data / "hingecoach.db"):
        code = main(["demo", "--speaker", "none", "--data-dir", str(demo_data),
                     "--transcript", str(transcript)])
    err = capsys.readouterr().err
    assert code == 0, err
    said = cues(transcript)
    assert said[-1]["kind"] == "summary" and "17 reps" in said[-1]["text"]
    assert [c["text"] for c in said if "delayed" in c["text"]] == [NOTICES["recording_delayed"]]
    lines = err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "locked by another program" in lines[0] and "saving is delayed" in lines[0]
    assert lines[1].startswith("hingecoach demo: 17 reps coached in 3 sets")
    assert "progress NOT saved: the session; all of set 1" in lines[1], lines[1]
    assert lines[1].endswith(f"as {demo_data / 'hingecoach.db'} stayed locked by another program")
    assert demo_sessions(demo_data) == 1


def test_demo_on_a_damaged_database_coaches_without_recording_as_run_does(
        demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It stopped with a one-line error, where `run` coaches on without recording."""
    _garbage_header(demo_data / "hingecoach.db")
    before = snapshot(demo_data)
    capsys.readouterr()
    transcript = tmp_path / "t.jsonl"
    code = main(["demo", "--speaker", "none", "--data-dir", str(demo_data),
                 "--transcript", str(transcript)])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "damaged" in lines[0] and "progress will not be saved this session" in lines[0]
    assert lines[1].startswith("hingecoach demo: 17 reps coached") and lines[1].endswith("progress NOT saved")
    said = cues(transcript)
    assert said[-1]["kind"] == "summary" and "17 reps" in said[-1]["text"]
    assert snapshot(demo_data) == before
