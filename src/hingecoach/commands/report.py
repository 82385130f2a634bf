"""``hingecoach report``: one session as a single self-contained HTML file.

    hingecoach report [SESSION|latest] --out report.html [--png DIR] [--user NAME]
                      [--data-dir DIR]

The file has no external references (plots are inline PNGs) and is laid out for a phone:
angle traces per set with each rep and its faults marked, a per-rep table, the fault
breakdown, and progress across the user's sessions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hingecoach.errors import InputError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="write an HTML report of a session (readable on a phone)",
        description="Write one session as a single self-contained HTML file: angle traces "
                    "per set with reps and faults marked, every rep, the fault breakdown and "
                    "progress across sessions.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("session", nargs="?", default="latest",
                   help="a session number from `hingecoach history`, or 'latest'")
    p.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    p.add_argument("--png", metavar="DIR", default=None,
                   help="also write each plot as a PNG file into DIR (created if needed)")
    p.add_argument("--user", default=None,
                   help="with 'latest': the latest session of this user (default: anyone's)")
    p.add_argument("--data-dir", default=None,
                   help="progress database directory (default: $HINGECOACH_DATA_DIR, else "
                        "$XDG_DATA_HOME/hingecoach, else ~/.local/share/hingecoach)")
    p.set_defaults(func=handle)


def _write(path: Path, data: bytes, what: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot write ({exc.strerror}): check the directory "
                         "exists and is writable") from exc


def handle(args: argparse.Namespace) -> int:
    from hingecoach.coach.cues import count_of
    from hingecoach.commands._common import refuse_overwriting_database
    from hingecoach.report.build import build_report
    from hingecoach.store.paths import db_path
    from hingecoach.store.queries import reading, resolve_session

    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"--out {out} is a directory: give a file name such as {out}/report.html")
    db_file = db_path(args.data_dir)
    refuse_overwriting_database(out, db_file, "--out", suffix=".html")
    with reading(db_file, prog="hingecoach report") as db:
        sid = resolve_session(db, args.session, args.user)
        report = build_report(db, sid)
    _write(out, report.html.encode("utf-8"), "--out")
    if args.png:
        png_dir = Path(args.png)
        try:
            png_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--png {png_dir}: cannot create ({exc.strerror})") from exc
        for name, data in report.pngs.items():
            _write(png_dir / name, data, "--png")
    print(f"hingecoach report: session {sid}, {count_of(report.reps, 'rep')} -> {out}"
          + (f" (+{len(report.pngs)} PNGs in {args.png})" if args.png else ""), file=sys.stderr)
    return 0
