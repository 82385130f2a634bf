"""`hingecoach export`: every rep with its metrics and faults, as CSV or JSON, agreeing
with the database; --since filters by when the session started."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from hingecoach.commands.export import FIELDS
from reportkit import cli, copy_data, demo_data

__all__ = ["demo_data"]


def db_reps(db_file: Path) -> list[dict]:
    db = sqlite3.connect(db_file)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute(
        "SELECT reps.*, sets.session_id, (SELECT group_concat(fault) FROM (SELECT fault FROM "
        "rep_faults WHERE rep_id = reps.id ORDER BY fault)) AS fault_set FROM reps JOIN sets "
        "ON sets.id = reps.set_id ORDER BY sets.session_id, sets.number, reps.number")]
    db.close()
    return rows


@pytest.fixture(scope="module")
def exported(demo_data: Path) -> dict[str, str]:
    out = {}
    for fmt in ("csv", "json"):
        r = cli("export", "--format", fmt, "--data-dir", str(demo_data))
        assert r.code == 0, r.err
        out[fmt] = r.out
    return out


def test_csv_has_a_header_and_one_row_per_rep_matching_the_database(
        demo_data: Path, exported: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(exported["csv"])))
    truth = db_reps(demo_data / "hingecoach.db")
    assert list(rows[0].keys()) == list(FIELDS)
    assert len(rows) == len(truth) > 20
    for row, t in zip(rows, truth, strict=True):
        assert int(row["session_id"]) == t["session_id"] and int(row["rep_number"]) == t["number"]
        for k in ("torso_lean_deg", "knee_flexion_deg", "descent_s", "ascent_s", "start_s"):
            assert float(row[k]) == t[k]  # exact: Python's float repr round-trips
        faults = row["faults"].split(";") if row["faults"] else []
        assert faults == json.loads(t["faults"])
        assert sorted(faults) == (t["fault_set"].split(",") if t["fault_set"] else [])
        assert row["clean"] == ("1" if not faults and not row["flags"] else "0")


def test_json_carries_the_same_reps_with_lists(exported: dict[str, str]) -> None:
    recs = json.loads(exported["json"])
    rows = list(csv.DictReader(io.StringIO(exported["csv"])))
    assert len(recs) == len(rows)
    for rec, row in zip(recs, rows, strict=True):
        assert list(rec) == list(FIELDS)
        assert isinstance(rec["faults"], list) and ";".join(rec["faults"]) == row["faults"]
        assert rec["torso_lean_deg"] == float(row["torso_lean_deg"])
    assert any(rec["faults"] for rec in recs)


def test_since_keeps_sessions_started_on_or_after_the_date(demo_data: Path, tmp_path: Path) -> None:
    data = copy_data(demo_data, tmp_path / "data")
    db = sqlite3.connect(data / "hingecoach.db")
    db.execute("UPDATE sessions SET started_at = '2026-03-01T08:30:00+00:00' WHERE id = 1")
    db.execute("UPDATE sessions SET started_at = '2026-03-04T19:00:00+00:00' WHERE id = 2")
    db.commit()
    db.close()

    def sessions(since: str) -> set[int]:
        r = cli("export", "--format", "json", "--since", since, "--data-dir", str(data))
        assert r.code == 0, r.err
        return {rec["session_id"] for rec in json.loads(r.out)}

    assert sessions("2026-02-28") == {1, 2}
    assert sessions("2026-03-01") == {1, 2}          # a date means midnight UTC
    assert sessions("2026-03-01T09:00") == {2}
    assert sessions("2026-03-04T20:00:00+02:00") == {2}  # 18:00 UTC
    r = cli("export", "--since", "2026-03-05", "--data-dir", str(data))
    assert r.code == 0 and r.out.strip() == ",".join(FIELDS)  # header only
    assert "no reps since 2026-03-05" in r.err


def test_out_writes_a_file(demo_data: Path, tmp_path: Path, exported: dict[str, str]) -> None:
    r = cli("export", "--out", str(tmp_path / "reps.csv"), "--data-dir", str(demo_data))
    assert r.code == 0 and r.out == ""
    assert (tmp_path / "reps.csv").read_text(encoding="utf-8") == exported["csv"]


def test_a_rep_under_way_at_next_level_is_exported_with_the_set_and_wall_it_was_done_at(
        tmp_path: Path) -> None:
    """The reviewer's row: a rep begun at 6 in, 'next level' said during it, was exported as
    set 2 at 20.3 cm and clean, though its hips travelled too little for 8 in (session 14)."""
    from hingecoach.coach.settings import DEFAULT as S

    need = S.wall_contact_allowance_m + S.wall_reach_tolerance_m  # the wall drill's allowance

    def reached(row: dict) -> bool:
        return row["hip_travel_m"] >= row["wall_cm"] / 100 - need

    def export(data: Path, commands: str) -> list[dict]:
        r = cli("run", "--source", str(trace), "--data-dir", str(data), "--quiet", "--commands", commands)
        assert r.code == 0, r.err
        r = cli("export", "--format", "json", "--data-dir", str(data))
        assert r.code == 0, r.err
        return json.loads(r.out)

    trace = tmp_path / "s5.jsonl"
    assert cli("simulate", "--seed", "5", "--out", str(trace)).code == 0
    plain = export(tmp_path / "plain", "0.5:start wall drill")
    # a clean rep in the 6 in set (after its first) whose hips would not reach 8 in
    rep = next(r for r in plain if r["set_number"] == 1 and r["rep_number"] > 1 and r["clean"]
               and not reached({**r, "wall_cm": 20.3}))
    rows = export(tmp_path / "moved", f"0.5:start wall drill,{rep['bottom_s']:.3f}:next level")
    (same,) = [r for r in rows if r["start_s"] == rep["start_s"]]
    assert (same["set_number"], same["wall_cm"], same["clean"]) == (1, 15.2, True), same
    later = [r for r in rows if r["start_s"] > rep["end_s"]]
    assert later and later[0]["set_number"] == 2 and later[0]["wall_cm"] == 20.3
    for r in rows:  # no row says a rep reached a wall its hips did not
        assert ("wall_not_reached" in r["faults"]) == (not reached(r)), r
