"""`hingecoach history`: one row per session, agreeing with the database."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

from reportkit import cli, copy_data, demo_data, one_line_error

__all__ = ["demo_data"]


def from_sql(db_file: Path) -> list[dict]:
    """What each session's history row must say, computed with plain SQL."""
    db = sqlite3.connect(db_file)
    out = []
    for (sid,) in db.execute("SELECT id FROM sessions ORDER BY id").fetchall():
        reps = db.execute("SELECT reps.faults, reps.flags FROM reps JOIN sets ON sets.id = "
                          "reps.set_id WHERE sets.session_id = ?", (sid,)).fetchall()
        faults = Counter(f for (f,) in db.execute(
            "SELECT fault FROM rep_faults JOIN reps ON reps.id = rep_faults.rep_id JOIN sets "
            "ON sets.id = reps.set_id WHERE sets.session_id = ?", (sid,)))
        sets, set_clean, wall = db.execute(
            "SELECT count(*), sum(clean), max(CASE WHEN drill = 'wall' THEN wall_cm END) "
            "FROM sets WHERE session_id = ? AND reps > 0", (sid,)).fetchone()
        out.append({"id": sid, "sets": sets, "reps": len(reps), "faults": dict(faults),
                    "clean": sum(1 for f, g in reps if f == "[]" and g == "[]"),
                    "set_clean": set_clean, "wall_cm": wall})
    db.close()
    return out


def test_history_json_agrees_with_the_database(demo_data: Path) -> None:
    r = cli("history", "--json", "--data-dir", str(demo_data))
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    truth = from_sql(demo_data / "hingecoach.db")
    assert [s["id"] for s in rows] == [t["id"] for t in truth] == [1, 2]
    for s, t in zip(rows, truth, strict=True):
        assert (s["sets"], s["reps"], s["clean"], s["wall_cm"]) == \
            (t["sets"], t["reps"], t["clean"], t["wall_cm"])
        assert s["clean"] == t["set_clean"]  # the sets' running tallies agree with the reps
        assert s["faults"] == t["faults"]
        assert s["rate"] == t["clean"] / t["reps"]
        if t["faults"]:
            top = max(t["faults"].values())
            assert s["top_fault"] in {f for f, n in t["faults"].items() if n == top}
            assert s["top_fault_count"] == top
        assert s["drills"] and s["user"] == "demo"


def test_the_second_demo_session_starts_at_the_wall_distance_the_first_earned(
        demo_data: Path) -> None:
    rows = json.loads(cli("history", "--json", "--data-dir", str(demo_data)).out)
    assert rows[0]["reached"]["wall"]["level"] <= rows[1]["reached"]["wall"]["level"]
    assert rows[1]["wall_cm"] >= rows[0]["wall_cm"]


def test_the_table_has_a_header_and_one_aligned_row_per_session(demo_data: Path) -> None:
    r = cli("history", "--data-dir", str(demo_data))
    assert r.code == 0, r.err
    lines = r.out.strip().splitlines()
    assert lines[0].split()[:4] == ["session", "date", "(UTC)", "user"]
    assert [ln.split()[0] for ln in lines[1:]] == ["1", "2"]
    rows = json.loads(cli("history", "--json", "--data-dir", str(demo_data)).out)
    for ln, s in zip(lines[1:], rows, strict=True):
        assert f" {s['reps']} " in ln and f"{round(s['rate'] * 100)}%" in ln
        assert (s["top_fault"] or "-") in ln and f"{s['wall_cm'] / 2.54:.0f} in" in ln
        # the level reached by the drill's spoken name, not a level number ("wall 1")
        wall = s["reached"]["wall"]
        assert ln.endswith(f"wall drill {wall['wall_cm'] / 2.54:.0f} in") or "hinge without the wall" in ln, ln
        assert f"wall {wall['level']}" not in ln.split("  ")[-1]


def _session_1_belongs_to(data: Path, name: str, units: str) -> Path:
    """The demo data with a second user, ``name``, who owns session 1; returns ``data``."""
    db = sqlite3.connect(data / "hingecoach.db")
    db.execute("INSERT INTO users (name, units, created_at) VALUES (?, ?, '2026-01-01')", (name, units))
    db.execute("UPDATE sessions SET user_id = (SELECT id FROM users WHERE name = ?) WHERE id = 1", (name,))
    db.commit()
    db.close()
    return data


def test_user_picks_one_persons_sessions(demo_data: Path, tmp_path: Path) -> None:
    data = _session_1_belongs_to(copy_data(demo_data, tmp_path / "data"), "kim", "cm")
    kim = json.loads(cli("history", "--json", "--user", "kim", "--data-dir", str(data)).out)
    everyone = json.loads(cli("history", "--json", "--data-dir", str(data)).out)
    assert [s["id"] for s in kim] == [1] and kim[0]["user"] == "kim" and kim[0]["units"] == "cm"
    assert [s["user"] for s in everyone] == ["kim", "demo"]
    assert "cm" in cli("history", "--user", "kim", "--data-dir", str(data)).out


def test_a_user_is_found_whatever_the_case_and_spaces_typed(demo_data: Path, tmp_path: Path) -> None:
    """`history --user DEMO` said "no user called 'DEMO'"; report and export alike. The
    name is shown as first written."""
    data = _session_1_belongs_to(copy_data(demo_data, tmp_path / "data"), "Élodie", "cm")
    for typed, ids, shown in (("DEMO ", [2], "demo"), ("élodie", [1], "Élodie"),
                              (" ÉLODIE", [1], "Élodie")):  # Unicode case: not SQLite's NOCASE
        rows = json.loads(cli("history", "--json", "--user", typed, "--data-dir", str(data)).out)
        assert [(s["id"], s["user"]) for s in rows] == [(i, shown) for i in ids], typed
        exported = json.loads(cli("export", "--format", "json", "--user", typed, "--data-dir",
                                  str(data)).out)
        assert exported and {(r["session_id"], r["user"]) for r in exported} == \
            {(i, shown) for i in ids}, typed
        r = cli("report", "latest", "--user", typed, "--out", str(tmp_path / "r.html"),
                "--data-dir", str(data))
        assert r.code == 0 and f"session {ids[-1]}," in r.err, (typed, r.err)


def test_run_as_alice_then_as_alice_with_a_trailing_space_is_one_user(tmp_path: Path) -> None:
    """A trainer types names by hand: the second run was a new user "alice " starting again
    at the first wall distance, and `history --user alice` showed none of Alice's sessions."""
    trace, data = tmp_path / "s5.jsonl", tmp_path / "data"
    assert cli("simulate", "--seed", "5", "--out", str(trace)).code == 0
    run = ("run", "--source", str(trace), "--data-dir", str(data), "--quiet",
           "--commands", "0.5:start wall drill,60:end session")
    assert cli(*run, "--user", "Alice").code == 0
    db = sqlite3.connect(data / "hingecoach.db")
    db.execute("INSERT INTO progress VALUES (1, 'wall', 1, 'wall', 20.32, '2026-01-01')")  # 8 in earned
    db.commit()
    r = cli(*run, "--user", "alice ")
    assert r.code == 0, r.err
    assert db.execute("SELECT name FROM users").fetchall() == [("Alice",)]
    first_sets = db.execute("SELECT session_id, level, wall_cm FROM sets WHERE number = 1 "
                            "ORDER BY session_id").fetchall()
    db.close()
    assert first_sets == [(1, 0, 15.2), (2, 1, 20.3)]  # resumed at the level Alice had saved
    rows = json.loads(cli("history", "--json", "--user", "alice", "--data-dir", str(data)).out)
    assert [(s["id"], s["user"]) for s in rows] == [(1, "Alice"), (2, "Alice")]


def test_run_with_a_blank_user_is_a_one_line_error_and_records_nothing(tmp_path: Path) -> None:
    """`--user "  "` saved progress for a user called "  " ("" said only what the config
    allows)."""
    trace, data = tmp_path / "s5.jsonl", tmp_path / "data"
    assert cli("simulate", "--seed", "5", "--out", str(trace)).code == 0
    for blank in ("", "   "):
        r = cli("run", "--source", str(trace), "--data-dir", str(data), "--quiet", "--user", blank,
                "--commands", "0.5:start wall drill")
        msg = one_line_error(r, "run")
        assert f"the user name {blank!r} is blank" in msg and "--user sam" in msg, msg
    assert not data.exists()


def test_two_workouts_in_one_run_are_two_sessions_each_summarised_alone(tmp_path: Path) -> None:
    """The service goes back to waiting after 'end session': the next 'start ... drill' is a new
    session. Before, `history` showed one row "hinge,wall 2 sets" and the second spoken
    summary added up both workouts (session 14)."""
    trace, data, said = tmp_path / "s5.jsonl", tmp_path / "data", tmp_path / "cues.jsonl"
    assert cli("simulate", "--seed", "5", "--out", str(trace)).code == 0
    r = cli("run", "--source", str(trace), "--data-dir", str(data), "--quiet", "--transcript", str(said),
            "--commands", "0.5:start hinge drill,30:end session,45:start wall drill,80:end session")
    assert r.code == 0, r.err
    rows = json.loads(cli("history", "--json", "--data-dir", str(data)).out)
    assert [(s["id"], s["drills"]) for s in rows] == [(1, ["hinge"]), (2, ["wall"])]
    cues = [json.loads(line) for line in said.read_text(encoding="utf-8").splitlines()]
    summaries = [c["text"] for c in cues if c["kind"] == "summary" and "session" in c["text"].lower()]
    assert len(summaries) == 2
    for text, s in zip(summaries, rows, strict=True):
        sets = "1 set," if s["sets"] == 1 else f"{s['sets']} sets,"
        assert f"{sets} {s['reps']} reps, {s['clean']} clean." in text, (text, s)
    truth = from_sql(data / "hingecoach.db")
    assert [(t["sets"], t["reps"]) for t in truth] == [(s["sets"], s["reps"]) for s in rows]


def test_the_level_column_says_it_is_the_furthest_reached_not_the_level_saved(demo_data: Path) -> None:
    """The second demo session goes to the 10 in wall and back to 8 in, which is saved for
    next time; its row said "level reached: wall drill 10 in", as if 10 in were saved. The
    column is the furthest level of the session (as the README says), and is labelled so."""
    db = sqlite3.connect(demo_data / "hingecoach.db")
    (saved_cm,) = db.execute("SELECT wall_cm FROM progress WHERE family = 'wall'").fetchone()
    db.close()
    rows = json.loads(cli("history", "--json", "--data-dir", str(demo_data)).out)
    furthest = rows[1]["reached"]["wall"]["wall_cm"]
    assert furthest > saved_cm, "the demo story no longer steps back: pick another case"
    lines = cli("history", "--data-dir", str(demo_data)).out.strip().splitlines()
    assert lines[0].endswith("furthest level") and "level reached" not in lines[0]
    assert lines[2].endswith(f"wall drill {furthest / 2.54:.0f} in")
