"""``hingecoach export``: every rep with its metrics and faults, as CSV or JSON.

    hingecoach export [--format csv|json] [--since DATE] [--user NAME] [--out FILE]
                      [--data-dir DIR]

One row per rep, oldest first. CSV joins faults and flags with ``;`` and has a header row;
JSON is a list of objects with ``faults``/``flags`` as lists. ``--since`` keeps sessions
that started at or after DATE (``YYYY-MM-DD`` = midnight UTC, or an ISO time).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from hingecoach.errors import InputError

FIELDS: tuple[str, ...] = (
    "session_id", "user", "session_started_at", "set_number", "family", "drill", "level",
    "wall_cm", "units", "rep_number", "start_s", "bottom_s", "end_s", "torso_lean_deg",
    "hip_flexion_deg", "knee_flexion_deg", "shin_angle_deg", "descent_s", "ascent_s",
    "hip_travel_m", "head_angle_deg", "lockout_lean_deg", "knee_lead_deg", "clean",
    "faults", "flags",
)  # fmt: skip
"""Export columns, in order (units: degrees, seconds, metres; wall_cm in centimetres)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export", help="export every rep with metrics and faults (CSV or JSON)",
        description="Export the reps in the progress database, one row per rep, with the "
                    "set, session and user, the metrics and the faults.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--since", metavar="DATE", default=None,
                   help="only sessions started at or after DATE (YYYY-MM-DD, UTC, or ISO time)")
    p.add_argument("--user", default=None, help="only this user's reps (default: everyone)")
    p.add_argument("--out", metavar="FILE", default="-", help="write to FILE ('-' = stdout)")
    p.add_argument("--data-dir", default=None,
                   help="progress database directory (default: $HINGECOACH_DATA_DIR, else "
                        "$XDG_DATA_HOME/hingecoach, else ~/.local/share/hingecoach)")
    p.set_defaults(func=handle)


def record(r: dict[str, Any]) -> dict[str, Any]:
    """A rep row of :func:`hingecoach.store.queries.rep_rows` as an export record."""
    out = {k: r.get(k) for k in FIELDS}
    out["session_started_at"] = r["started_at"]
    out["rep_number"] = r["number"]
    return out


def write_csv(records: list[dict[str, Any]], fh: Any) -> None:
    w = csv.DictWriter(fh, fieldnames=list(FIELDS), lineterminator="\n")
    w.writeheader()
    for rec in records:
        row = dict(rec)
        row["faults"] = ";".join(rec["faults"])
        row["flags"] = ";".join(rec["flags"])
        row["clean"] = int(rec["clean"])
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})


def handle(args: argparse.Namespace) -> int:
    from hingecoach.commands._common import refuse_overwriting_database
    from hingecoach.store.paths import db_path
    from hingecoach.store.queries import history, parse_since, reading, rep_rows

    since = parse_since(args.since) if args.since else None
    db_file = db_path(args.data_dir)
    refuse_overwriting_database(args.out, db_file, "--out", suffix=f".{args.format}")
    with reading(db_file, prog="hingecoach export") as db:
        history(db, args.user)  # raises a clear error for an empty database / unknown user
        records = [record(r) for r in rep_rows(db, user=args.user, since=since)]
    if args.out == "-":
        fh = sys.stdout
    else:
        try:
            fh = open(args.out, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"--out {args.out}: cannot write ({exc.strerror}): check the "
                             "directory exists and is writable") from exc
    try:
        if args.format == "json":
            json.dump(records, fh, indent=1)
            fh.write("\n")
        else:
            write_csv(records, fh)
    finally:
        if fh is not sys.stdout:
            fh.close()
    if not records:
        print(f"hingecoach export: no reps{' since ' + args.since if args.since else ''}",
              file=sys.stderr)
    return 0
