"""History, export and report speed on a progress database with many sessions.

Builds one coached demo session, copies it into N sessions with plain SQL (so the bench
does not time the coach), then times `history --json`, `export --format csv` and
`report latest` (matplotlib plots included), in this process, best of 3.

Run: .venv/bin/python bench/report_bench.py [SESSIONS]   (prints figures; the last line is JSON)
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from hingecoach.cli import main as cli


def quiet(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(list(argv))
    assert code == 0, argv


def clone_sessions(db_file: Path, n: int) -> None:
    """Copy session 1 (its sets and reps) until there are ``n`` sessions."""
    db = sqlite3.connect(db_file)
    cols = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})") if r[1] != "id"]
            for t in ("sessions", "sets", "reps")}
    for _ in range(n - 1):
        sid = db.execute(f"INSERT INTO sessions ({','.join(cols['sessions'])}) SELECT "
                         f"{','.join(cols['sessions'])} FROM sessions WHERE id = 1").lastrowid
        for (set_id,) in db.execute("SELECT id FROM sets WHERE session_id = 1").fetchall():
            c = [x if x != "session_id" else str(sid) for x in cols["sets"]]
            new_set = db.execute(f"INSERT INTO sets ({','.join(cols['sets'])}) SELECT "
                                 f"{','.join(c)} FROM sets WHERE id = ?", (set_id,)).lastrowid
            c = [x if x != "set_id" else str(new_set) for x in cols["reps"]]
            db.execute(f"INSERT INTO reps ({','.join(cols['reps'])}) SELECT {','.join(c)} "
                       "FROM reps WHERE set_id = ?", (set_id,))
    db.commit()
    db.close()


def best(fn, repeat: int = 3) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as d:
        quiet("demo", "--data-dir", d, "--speaker", "none")
        db_file = Path(d) / "hingecoach.db"
        clone_sessions(db_file, n)
        reps = sqlite3.connect(db_file).execute("SELECT count(*) FROM reps").fetchone()[0]
        quiet("report", "--data-dir", d, "--out", f"{d}/warm.html")  # imports matplotlib
        history_s = best(lambda: quiet("history", "--json", "--data-dir", d))
        export_s = best(lambda: quiet("export", "--data-dir", d, "--out", f"{d}/r.csv"))
        report_s = best(lambda: quiet("report", "--data-dir", d, "--out", f"{d}/r.html"))
        size = Path(f"{d}/r.html").stat().st_size
    print(f"{n} sessions, {reps} reps")
    print(f"history --json : {history_s * 1000:.0f} ms")
    print(f"export csv     : {export_s * 1000:.0f} ms")
    print(f"report latest  : {report_s * 1000:.0f} ms (HTML {size / 1e6:.2f} MB, plots inline)")
    print(json.dumps({"sessions": n, "reps": reps, "history_ms": round(history_s * 1000, 1),
                      "export_ms": round(export_s * 1000, 1),
                      "report_ms": round(report_s * 1000, 1), "report_bytes": size}))


if __name__ == "__main__":
    main()
