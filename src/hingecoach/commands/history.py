"""``hingecoach history``: one row per recorded session.

    hingecoach history [--user NAME] [--json] [--data-dir DIR]

Columns: session id, date (UTC), drills, sets, reps, clean-rep rate, most frequent fault,
wall distance reached and the furthest level reached per drill family in that session (which
may be past the level saved for next time). ``--json`` prints a list of
objects (one per session; see :class:`hingecoach.store.queries.SessionSummary`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "history", help="list recorded sessions, one row each",
        description="List the sessions in the progress database: date, drills, sets, reps, "
                    "clean-rep rate, most frequent fault, wall distance and furthest level "
                    "reached in the session (which may be past the level saved for next time).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--user", default=None, help="only this user's sessions (default: everyone)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--data-dir", default=None,
                   help="progress database directory (default: $HINGECOACH_DATA_DIR, else "
                        "$XDG_DATA_HOME/hingecoach, else ~/.local/share/hingecoach)")
    p.set_defaults(func=handle)


def table(rows: list[Any]) -> str:
    """The sessions as an aligned text table."""
    from hingecoach.coach.drills import DRILL_NAMES
    from hingecoach.store.queries import format_distance

    head = ("session", "date (UTC)", "user", "drills", "sets", "reps", "clean",
            "top fault", "wall", "furthest level")
    body = []
    for s in rows:
        reached = []
        for fam in ("hinge", "wall"):
            r = s.reached.get(fam)
            if r is not None:  # the drill's name, as the coach says it (the level number meant nothing)
                name = DRILL_NAMES.get(r["drill"], r["drill"])
                if r["drill"] == "wall" and r.get("wall_cm") is not None:
                    name += f" {format_distance(float(r['wall_cm']), s.units)}"
                reached.append(name)
        top = f"{s.top_fault} ({s.top_fault_count})" if s.top_fault else "-"
        body.append((str(s.id), s.started_at.replace("T", " ")[:16], s.user,
                     ",".join(s.drills) or "-", str(s.sets), str(s.reps),
                     "-" if s.rate is None else f"{s.rate * 100:.0f}%", top, s.wall_text,
                     ", ".join(reached) or "-"))
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(head)]
    right = {4, 5, 6}
    lines = []
    for r in (head, *body):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    from hingecoach.store.paths import db_path
    from hingecoach.store.queries import history, reading

    with reading(db_path(args.data_dir), prog="hingecoach history") as db:
        rows = history(db, args.user)
    if args.json:
        json.dump([s.to_json() for s in rows], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(table(rows))
    return 0
