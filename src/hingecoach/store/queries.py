"""Read-side of the progress store: open an existing database safely, and the queries that
``history``, ``report`` and ``export`` share.

Opening for reading never creates, repairs or rewrites a database it does not understand:

- no file: :class:`~hingecoach.errors.InputError` (record a session first);
- not an SQLite file, or SQLite's ``quick_check`` finds damage: :class:`DatabaseCorrupt`,
  checked through a read-only connection, so the file's bytes are left exactly as they were;
- another program's SQLite database (:func:`~hingecoach.store.db.not_ours`):
  :class:`NotOurDatabase`, left the same way;
- locked by another program so that it cannot even be read (a connection in
  ``locking_mode=EXCLUSIVE``, a rollback-journal write) for :data:`READ_WAIT_S`:
  :class:`DatabaseLocked`, never called damaged;
- in a folder that cannot be written (a read-only file system, or another user's folder):
  read all the same (SQLite's ``immutable`` mode, since it cannot make the ``-shm`` file
  a WAL database needs), unless a ``-wal`` file holds changes only a writable place can
  read: then what to do is said; never called damaged;
- an older schema version: migrated in place by :class:`~hingecoach.store.db.Store` (each
  migration is one transaction: all or nothing), with a note on stderr; a read-only file
  that needs migrating is reported with what to do; another program's write lock that
  keeps the migration out for :data:`READ_WAIT_S` is :class:`DatabaseLocked` (not the
  store's 10 s busy timeout), the file left as it was;
- a newer schema version: refused (upgrade hingecoach);
- no sessions yet: :class:`EmptyDatabase`.

All times are as stored: ``*_at`` UTC ISO strings, ``*_s`` frame-clock seconds.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hingecoach.coach.cues import problem_order
from hingecoach.errors import ConfigError, HingeError, InputError, StorageError
from hingecoach.resilience import on_read_only_file_system, storage_trouble
from hingecoach.store.db import (
    SCHEMA_VERSION,
    AmbiguousUser,
    Store,
    User,
    damage_in_words,
    damaged_fix,
    decode_series,
    file_in_the_way,
    find_user,
    not_ours,
    not_ours_fix,
    quick_check,
    read_levels,
    read_only_uri,
    side_files,
    storage_problem,
    tidy_side_files,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite 3 database file (sqlite.org/fileformat.html 1.3)."""

CM_PER_IN = 2.54

READ_WAIT_S = 2.0
"""How long reading waits for another program's lock before :class:`DatabaseLocked`. In WAL
mode a writer never blocks a reader: only a connection in ``locking_mode=EXCLUSIVE`` (or a
write to a rollback-journal file) does, and such a lock is seldom brief."""


class DatabaseCorrupt(InputError):
    """The database file is damaged or is not an SQLite database (left untouched).

    Attributes:
        path: the file.
        why: what SQLite (or the check) found, on one line, in full (the message says it
            in short: :func:`~hingecoach.store.db.damage_in_words`).
    """

    def __init__(self, path: str | os.PathLike[str], why: str) -> None:
        self.path = Path(path)
        self.why = " ".join(why.split())  # quick_check's report has line breaks: keep one line
        super().__init__(f"{path} is damaged or not a Hinge Coach database "
                         f"({damage_in_words(self.why)}); it was left untouched: "
                         f"{damaged_fix(self.path)}")


class NotOurDatabase(InputError):
    """The file is a healthy SQLite database, but another program's (left untouched).

    Attributes:
        path: the file.
        why: what it holds instead (:func:`~hingecoach.store.db.not_ours`).
    """

    def __init__(self, path: str | os.PathLike[str], why: str) -> None:
        self.path = Path(path)
        self.why = why
        super().__init__(f"{path} is not a Hinge Coach database ({why}); it was left untouched: "
                         f"{not_ours_fix(self.path)}")


class DatabaseLocked(InputError):
    """Another program holds the database locked so that it cannot be read now (which says
    nothing about damage; it is left untouched).

    Attributes:
        path: the file.
        why: SQLite's words ("database is locked").
    """

    def __init__(self, path: str | os.PathLike[str], why: str) -> None:
        self.path = Path(path)
        self.why = " ".join(why.split())
        what, fix = storage_problem(self.path, "locked")
        super().__init__(f"{what}, so it cannot be read now (it was left untouched): {fix}, "
                         "then try again")


class EmptyDatabase(InputError):
    """The database has no sessions (for the asked user) yet."""


class DatabaseUnreadable(InputError):
    """The database cannot be opened here, though it may well be healthy (permissions, a
    read-only place holding changes in its ``-wal`` file)."""


# --- opening ---------------------------------------------------------------------------
_SQLITE_READONLY, _SQLITE_CANTOPEN = 8, 14


def _folder_unwritable(path: Path) -> bool:
    return on_read_only_file_system(path) or not os.access(path.parent, os.W_OK)


def _ro_connect(path: Path, wait_s: float = READ_WAIT_S) -> sqlite3.Connection:
    """A read-only connection, opened (its first read done) before it is returned.

    A WAL database needs a ``-shm`` file beside it even to be read; in a folder that cannot
    be written (a read-only SD card or mount, another user's folder) SQLite cannot make one
    (``SQLITE_CANTOPEN`` / ``SQLITE_READONLY_DIRECTORY``). Then, when no ``-wal`` file holds
    changes (nobody is writing it: a writer keeps its ``-shm``, which would have been used),
    the file alone is the whole database and is opened ``immutable``; otherwise
    :class:`DatabaseUnreadable` says to copy the folder somewhere writable.
    """
    base = read_only_uri(path)
    db = sqlite3.connect(base, uri=True, timeout=wait_s)
    try:
        db.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        db.close()
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code not in (_SQLITE_CANTOPEN, _SQLITE_READONLY) or not _folder_unwritable(path):
            raise
        wal = side_files(path)[0]
        if wal.exists() and wal.stat().st_size > 0:
            where = "is on a read-only file system" if on_read_only_file_system(path) else \
                "cannot be written by this user"
            raise DatabaseUnreadable(
                f"{path} is not damaged, but its latest changes are in {wal.name}, which SQLite "
                f"can only read where it can write, and {path.parent} {where}: copy the folder "
                f"(every {path.name}* file) somewhere writable and point --data-dir at the copy"
            ) from exc
        db = sqlite3.connect(base + "&immutable=1", uri=True, timeout=wait_s)
    db.row_factory = sqlite3.Row
    return db


def _unreadable(path: Path, exc: sqlite3.Error) -> DatabaseUnreadable:
    return DatabaseUnreadable(
        f"cannot open {path} ({exc}): that is a permission or file-system problem, not damage: "
        f"check this user may read it and its folder (ls -l {path.parent}), or copy the "
        "folder somewhere writable and point --data-dir at the copy")


def _damaged_or_unreadable(path: Path, exc: sqlite3.Error) -> InputError:
    """What an SQLite error met while reading ``path`` means: a permission or file-system
    problem, a lock (:class:`DatabaseLocked`), else damage."""
    trouble = storage_trouble(exc, path)
    if trouble in ("read_only", "no_permission"):
        return _unreadable(path, exc)
    if trouble == "locked":
        return DatabaseLocked(path, str(exc))
    return DatabaseCorrupt(path, str(exc))


def inspect_database(path: str | os.PathLike[str], wait_s: float = READ_WAIT_S
                     ) -> tuple[int, dict[str, tuple[str, ...]]]:
    """(schema version, tables with their columns) read through a read-only connection after SQLite's
    ``quick_check``; :class:`DatabaseCorrupt` when it finds damage or no SQLite database,
    :class:`DatabaseUnreadable` when it cannot be opened here, :class:`DatabaseLocked`
    when another program's lock keeps it from being read for ``wait_s``. Writes nothing
    and leaves no side files behind (``doctor`` uses it too): the store's
    :func:`~hingecoach.store.db.quick_check` through :func:`_ro_connect`."""
    path = Path(path)
    try:
        check, version, tables = quick_check(path, wait_s, connect=_ro_connect)
    except sqlite3.DatabaseError as exc:
        raise _damaged_or_unreadable(path, exc) from exc
    if check != ["ok"]:
        raise DatabaseCorrupt(path, "; ".join(check))
    return version, tables


def open_for_reading(path: str | os.PathLike[str], *, notes: Any = None,
                     prog: str = "hingecoach", wait_s: float = READ_WAIT_S) -> sqlite3.Connection:
    """A read-only connection to the progress database at ``path``, migrated if it was old.

    Raises InputError (no file / no sessions), DatabaseCorrupt, DatabaseLocked (another
    program's lock for ``wait_s``, reading it or, when it is old, migrating it), or
    ConfigError (newer schema, or an old one that cannot be migrated because the file is
    read-only). A migration is noted on ``notes`` (default:
    stderr).
    """
    path = Path(path)
    where = path.parent
    if (blocker := file_in_the_way(where)) is not None:
        raise InputError(f"no progress database in {where}: {blocker} is a file, not a folder: point "
                         "--data-dir / $HINGECOACH_DATA_DIR at the folder that holds hingecoach.db")
    if not path.exists():
        raise InputError(f"no progress database at {path}: record a session first "
                         "(`hingecoach demo --data-dir DIR` or `hingecoach run`), or point "
                         "--data-dir / $HINGECOACH_DATA_DIR at the directory that has one")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a database: pass the directory that "
                         f"holds it with --data-dir {path.parent}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror}): check its permissions") from exc
    if not head:
        raise EmptyDatabase(f"no sessions recorded yet in {path} (the file is empty): run "
                            "`hingecoach demo --data-dir " + str(where) + "` or `hingecoach run` first")
    if not head.startswith(SQLITE_MAGIC):
        raise DatabaseCorrupt(path, "no SQLite header")
    version, tables = inspect_database(path, wait_s)
    if (why := not_ours(version, tables)) is not None:
        raise NotOurDatabase(path, why)
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{path} has schema version {version}, newer than this hingecoach "
                          f"understands ({SCHEMA_VERSION}): upgrade hingecoach")
    if version == 0:
        raise EmptyDatabase(f"no sessions recorded yet in {path}: run `hingecoach demo "
                            f"--data-dir {where}` or `hingecoach run` first")
    if version < SCHEMA_VERSION:
        if not os.access(path, os.W_OK) or not os.access(where, os.W_OK):
            raise ConfigError(f"{path} is at schema version {version} and this hingecoach "
                              f"needs {SCHEMA_VERSION}, but it is read-only here: make the file "
                              "and its directory writable (or copy them) and run again to "
                              "upgrade it")
        try:  # migrates, one transaction per version, waiting no longer than a read does
            Store(path, busy_timeout_s=wait_s).close()
        except StorageError as exc:
            if exc.reason == "locked":
                raise DatabaseLocked(path, exc.cause or str(exc)) from exc
            raise
        print(f"{prog}: upgraded {path} from schema version {version} to "
              f"{SCHEMA_VERSION}", file=notes or sys.stderr)
    try:
        return _ro_connect(path, wait_s)
    except sqlite3.DatabaseError as exc:  # a lock taken since the check, say
        raise _damaged_or_unreadable(path, exc) from exc


@contextmanager
def reading(path: str | os.PathLike[str], *, prog: str = "hingecoach",
            notes: Any = None, wait_s: float = READ_WAIT_S) -> Iterator[sqlite3.Connection]:
    """:func:`open_for_reading`, closed afterwards; rows that cannot be read or decoded
    (damage that ``quick_check`` cannot see, such as a scribbled JSON column) become
    :class:`DatabaseCorrupt` instead of a traceback, and a lock met while reading them
    :class:`DatabaseLocked`."""
    path = Path(path)
    existed = {p for p in side_files(path) if p.exists()}
    db = open_for_reading(path, notes=notes, prog=prog, wait_s=wait_s)
    try:
        yield db
    except HingeError:
        raise
    except sqlite3.DatabaseError as exc:
        if storage_trouble(exc, path) == "locked":
            raise DatabaseLocked(path, str(exc)) from exc
        raise DatabaseCorrupt(path, f"unreadable rows: {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise DatabaseCorrupt(path, f"unreadable rows: {exc}") from exc
    finally:
        db.close()
        tidy_side_files(path, existed)


def load_saved_progress(path: str | os.PathLike[str], name: str, wait_s: float = READ_WAIT_S
                        ) -> tuple[str | None, dict[str, int]]:
    """(units, level per family) saved for the user ``name``, read without writing anything
    (``privacy.record_history = false``: no database is created, no user row added). No
    database, no such user, or one that cannot be read: (None, {}); but
    :class:`DatabaseLocked` when another program's lock kept it from being read for
    ``wait_s`` (the caller may say so), and :class:`~hingecoach.store.db.AmbiguousUser`
    when ``name`` matches several users (:func:`~hingecoach.store.db.find_user`: names
    match whatever their case)."""
    if not Path(path).is_file():
        return None, {}
    try:
        with reading(path, wait_s=wait_s) as db:
            user = find_user(db, name)
            if user is None:
                return None, {}
            return user.units, read_levels(db, user.id)
    except (DatabaseLocked, AmbiguousUser):
        raise
    except (HingeError, sqlite3.Error):
        return None, {}


def saved_progress(path: str | os.PathLike[str], name: str) -> tuple[str | None, dict[str, int]]:
    """:func:`load_saved_progress`, with (None, {}) for a locked database and an ambiguous
    name too."""
    try:
        return load_saved_progress(path, name)
    except (DatabaseLocked, AmbiguousUser):
        return None, {}


# --- rows ------------------------------------------------------------------------------
def _loads(text: str | None) -> list[str]:
    return list(json.loads(text)) if text else []


def rep_rows(db: sqlite3.Connection, *, session_id: int | None = None,
             user: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
    """Every rep (oldest first) with its set, session and user, faults and flags as lists.

    ``user``: only that user's (a name, matched as :func:`~hingecoach.store.db.find_user`
    does: whatever its case); ``since``: only sessions that started at or after this UTC
    ISO time.
    """
    if user is not None:
        found = find_user(db, user)
        if found is None:
            return []
        return _rep_rows(db, session_id=session_id, user_id=found.id, since=since)
    return _rep_rows(db, session_id=session_id, user_id=None, since=since)


def _rep_rows(db: sqlite3.Connection, *, session_id: int | None, user_id: int | None,
              since: str | None) -> list[dict[str, Any]]:
    q = ("SELECT reps.*, sets.session_id, sets.number AS set_number, sets.family, sets.drill, "
         "sets.level, sets.wall_cm, sets.units, sessions.started_at, users.name AS user "
         "FROM reps JOIN sets ON sets.id = reps.set_id "
         "JOIN sessions ON sessions.id = sets.session_id JOIN users ON users.id = sessions.user_id")
    where: list[str] = []
    args: list[Any] = []
    if session_id is not None:
        where.append("sets.session_id = ?")
        args.append(session_id)
    if user_id is not None:
        where.append("users.id = ?")
        args.append(user_id)
    out = []
    for r in db.execute(q + (" WHERE " + " AND ".join(where) if where else "")
                        + " ORDER BY sessions.id, sets.number, sets.id, reps.number", args):
        d = dict(r)
        if since is not None and parse_when(d["started_at"]) < parse_when(since):
            continue
        d["faults"] = _loads(d["faults"])
        d["flags"] = _loads(d["flags"])
        d["clean"] = not d["faults"] and not d["flags"]
        out.append(d)
    return out


def parse_when(text: str) -> datetime:
    """An ISO date or date-time; naive values are UTC."""
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_since(text: str) -> str:
    """``--since`` (``YYYY-MM-DD`` or an ISO date-time) as a UTC ISO string, or InputError."""
    try:
        return parse_when(text.strip()).astimezone(UTC).isoformat(timespec="seconds")
    except ValueError as exc:
        raise InputError(f"--since {text!r}: not a date; use YYYY-MM-DD or an ISO time such "
                         "as 2026-11-21T18:00") from exc


# --- sessions --------------------------------------------------------------------------
@dataclass
class SessionSummary:
    """One row of ``hingecoach history`` (and a point of the report's progress plots).

    Attributes:
        rate: clean reps / reps (a clean rep has no fault and no flag), None with no reps.
        top_fault: the most frequent fault (ties: the coach's correction order), or None.
        wall_cm: the farthest heel-to-wall distance of a wall-drill set with reps, cm.
        no_wall: a "hinge without the wall" set was done.
        reached: per drill family, the highest level with reps: {"level", "drill", "wall_cm"}.
        depth_deg: mean peak torso lean of the reps; descent_s/ascent_s: mean tempo.
    """

    id: int
    user: str
    started_at: str
    ended_at: str | None
    source: str | None
    units: str
    drills: list[str] = field(default_factory=list)
    sets: int = 0
    reps: int = 0
    clean: int = 0
    rate: float | None = None
    top_fault: str | None = None
    top_fault_count: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    wall_cm: float | None = None
    no_wall: bool = False
    reached: dict[str, dict[str, Any]] = field(default_factory=dict)
    depth_deg: float | None = None
    descent_s: float | None = None
    ascent_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def wall_text(self) -> str:
        """The wall distance reached in the user's units ("8 in", "no wall", "-")."""
        if self.no_wall:
            return "no wall"
        return format_distance(self.wall_cm, self.units)


def format_distance(cm: float | None, units: str) -> str:
    if cm is None:
        return "-"
    if units == "in":
        return f"{cm / CM_PER_IN:.0f} in"
    return f"{cm:.0f} cm"


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def summarize(session: dict[str, Any], sets: Iterable[dict[str, Any]],
              reps: Iterable[dict[str, Any]]) -> SessionSummary:
    """A :class:`SessionSummary` from a session row, its set rows and its rep rows."""
    s = SessionSummary(id=session["id"], user=session["user"], started_at=session["started_at"],
                       ended_at=session["ended_at"], source=session["source"],
                       units=session["units"])
    sets = [x for x in sets if x["reps"]]
    reps = list(reps)
    for st in sets:
        if st["drill"] not in s.drills:
            s.drills.append(st["drill"])
        best = s.reached.get(st["family"])
        if best is None or st["level"] > best["level"]:
            s.reached[st["family"]] = {"level": st["level"], "drill": st["drill"],
                                       "wall_cm": st["wall_cm"]}
        if st["drill"] == "wall" and st["wall_cm"] is not None:
            s.wall_cm = max(s.wall_cm or 0.0, float(st["wall_cm"]))
        if st["drill"] == "no_wall":
            s.no_wall = True
    s.sets = len(sets)
    s.reps = len(reps)
    s.clean = sum(1 for r in reps if r["clean"])
    s.rate = s.clean / s.reps if s.reps else None
    counts = Counter(f for r in reps for f in r["faults"])
    s.faults = {f: counts[f] for f in sorted(counts, key=problem_order)}
    if counts:
        s.top_fault = min(counts, key=lambda f: (-counts[f], problem_order(f)))
        s.top_fault_count = counts[s.top_fault]
    s.depth_deg = _mean([r["torso_lean_deg"] for r in reps])
    s.descent_s = _mean([r["descent_s"] for r in reps])
    s.ascent_s = _mean([r["ascent_s"] for r in reps])
    return s


def _session_rows(db: sqlite3.Connection, user: User | None) -> list[dict[str, Any]]:
    q = ("SELECT sessions.*, users.name AS user, users.units AS units FROM sessions "
         "JOIN users ON users.id = sessions.user_id")
    args: tuple[Any, ...] = ()
    if user is not None:
        q += " WHERE users.id = ?"
        args = (user.id,)
    return [dict(r) for r in db.execute(q + " ORDER BY sessions.id", args)]


def _the_user(db: sqlite3.Connection, name: str | None) -> User | None:
    """The user ``name`` names (None: everyone), or :class:`EmptyDatabase` naming the
    users there are; names match whatever their case and the spaces around them
    (:func:`~hingecoach.store.db.find_user`, whose errors for a blank or an ambiguous name
    pass through)."""
    if name is None:
        return None
    found = find_user(db, name)
    if found is None:
        raise _no_sessions(db, name, None)
    return found


def _sets_of(db: sqlite3.Connection, session_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in session_ids}
    for r in db.execute("SELECT * FROM sets ORDER BY session_id, number, id"):
        if r["session_id"] in out:
            out[r["session_id"]].append(dict(r))
    return out


def users(db: sqlite3.Connection) -> list[str]:
    """Every user's name, as stored (first written), oldest first."""
    return [r[0] for r in db.execute("SELECT name FROM users ORDER BY id")]


def history(db: sqlite3.Connection, user: str | None = None) -> list[SessionSummary]:
    """One summary per session (oldest first), of every user or of ``user`` (a name,
    whatever its case and the spaces around it)."""
    return _history(db, _the_user(db, user))


def _history(db: sqlite3.Connection, user: User | None) -> list[SessionSummary]:
    sessions = _session_rows(db, user)
    if not sessions:
        raise _no_sessions(db, None if user is None else user.name, user)
    sets = _sets_of(db, [s["id"] for s in sessions])
    reps_by: dict[int, list[dict[str, Any]]] = {s["id"]: [] for s in sessions}
    for r in _rep_rows(db, session_id=None, user_id=None if user is None else user.id, since=None):
        reps_by[r["session_id"]].append(r)
    return [summarize(s, sets[s["id"]], reps_by[s["id"]]) for s in sessions]


def _no_sessions(db: sqlite3.Connection, asked: str | None, user: User | None) -> EmptyDatabase:
    """Why nothing was found for the name ``asked`` (None: everyone), which names ``user``
    (None: no one)."""
    names = users(db)
    if asked is not None and user is None and names:
        return EmptyDatabase(f"no user called {asked.strip()!r} in the progress database: "
                             f"users are {', '.join(names)}")
    if asked is not None:
        name = user.name if user is not None else asked.strip()
        return EmptyDatabase(f"no sessions recorded yet for {name!r}: run a session first "
                             f"(`hingecoach run --user {shlex.quote(name)} ...`)")
    return EmptyDatabase("no sessions recorded yet: run `hingecoach demo --data-dir DIR` "
                         "or `hingecoach run` first")


# --- one session in full -----------------------------------------------------------------
def resolve_session(db: sqlite3.Connection, spec: str, user: str | None = None) -> int:
    """The session id for ``latest`` (of ``user`` if given: a name, whatever its case and
    the spaces around it) or a session number."""
    found = _the_user(db, user)
    sessions = _session_rows(db, found)
    if not sessions:
        raise _no_sessions(db, user, found)
    if spec in ("latest", "last"):
        return int(sessions[-1]["id"])
    try:
        sid = int(spec)
    except ValueError:
        raise InputError(f"session {spec!r}: give a session number from `hingecoach history` "
                         "or 'latest'") from None
    ids = [int(s["id"]) for s in sessions]
    if sid not in ids:
        known = f"{ids[0]}-{ids[-1]}" if len(ids) > 1 else str(ids[0])
        who = f" for {found.name!r}" if found is not None else ""
        raise InputError(f"no session {sid}{who}: sessions are {known} "
                         "(see `hingecoach history`), or use 'latest'")
    return sid


def session_detail(db: sqlite3.Connection, session_id: int) -> dict[str, Any]:
    """Everything the report shows for one session.

    Returns ``{"summary": SessionSummary, "sets": [set row + "series": decoded series +
    "rep_rows": [...]], "reps": [...], "problems": {id: count} (faults and flags),
    "progress": [SessionSummary of the same user up to this session]}``.
    """
    row = db.execute("SELECT sessions.*, users.name AS user, users.units AS units "
                     "FROM sessions JOIN users ON users.id = sessions.user_id "
                     "WHERE sessions.id = ?", (session_id,)).fetchone()
    if row is None:
        raise InputError(f"no session {session_id}: see `hingecoach history`")
    session = dict(row)
    sets = [dict(r) for r in db.execute("SELECT * FROM sets WHERE session_id = ? "
                                        "ORDER BY number, id", (session_id,))]
    reps = rep_rows(db, session_id=session_id)
    for st in sets:
        try:
            st["series"] = decode_series(st["series"])
        except ValueError:
            st["series"] = decode_series(None)
            st["series_error"] = True
        st["rep_rows"] = [r for r in reps if r["set_id"] == st["id"]]
    problems = Counter(p for r in reps for p in (*r["faults"], *r["flags"]))
    owner = User(int(session["user_id"]), str(session["user"]), str(session["units"]))
    progress = [s for s in _history(db, owner) if s.id <= session_id]
    return {"summary": summarize(session, sets, reps),
            "sets": [st for st in sets if st["rep_rows"] or st["series"]["rows"]],
            "reps": reps,
            "problems": {p: problems[p] for p in sorted(problems, key=problem_order)},
            "progress": progress}
