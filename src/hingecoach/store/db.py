"""Progress in SQLite: users, sessions, sets, reps with metrics and faults, drill levels.

- WAL journal with ``synchronous=FULL``: every rep is its own committed transaction, so a
  crash or a power cut loses nothing that was completed (WAL + NORMAL could lose the last
  commits on power loss; FULL syncs the WAL at every commit).
- The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` holds one entry
  per version, applied in order inside a transaction. A later issue (reports) adds a
  migration at the end of the list; never edit an old one.
- A file is only ever made a Hinge Coach database when it is blank (no file, an empty one,
  or an SQLite database without tables): another program's SQLite file is never changed
  (:func:`not_ours`).
- Times: ``*_s`` columns are frame-clock seconds from the session's source (what the
  transcript uses); ``*_at`` columns are UTC wall-clock ISO strings given by the caller.
- The per-set angle series (``sets.series``) is a compact JSON object
  ``{"step_s": 0.1, "columns": ["t", "torso_lean", "hip_flexion", "knee_flexion",
  "shin_angle"], "rows": [[...], ...]}`` (degrees, seconds); never images.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hingecoach.errors import DeviceError, InputError, NewerDatabase, StorageError
from hingecoach.motion.types import Rep
from hingecoach.resilience import on_read_only_file_system, storage_trouble

SERIES_COLUMNS = ("t", "torso_lean", "hip_flexion", "knee_flexion", "shin_angle")

BUSY_TIMEOUT_S = 10.0
"""How long a statement waits for another connection's lock (SQLite's busy timeout) before
it fails with "database is locked"; :class:`Store` takes another (tests: a fraction of a
second)."""

MIGRATIONS: tuple[str, ...] = (
    # version 1
    """
    CREATE TABLE users (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        units       TEXT NOT NULL DEFAULT 'in' CHECK (units IN ('in', 'cm')),
        created_at  TEXT NOT NULL
    );
    CREATE TABLE progress (              -- the current level of each drill family
        user_id     INTEGER NOT NULL REFERENCES users(id),
        family      TEXT NOT NULL,       -- 'hinge' | 'wall'
        level       INTEGER NOT NULL,    -- index on the family's ladder, 0 = easiest
        drill       TEXT NOT NULL,       -- hip_crease | hinge | dowel | wall | no_wall
        wall_cm     REAL,                -- heel-to-wall distance (wall family), else NULL
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (user_id, family)
    );
    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users(id),
        source      TEXT,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        calibration TEXT                 -- JSON of coach.setup.Calibration
    );
    CREATE TABLE sets (
        id          INTEGER PRIMARY KEY,
        session_id  INTEGER NOT NULL REFERENCES sessions(id),
        number      INTEGER NOT NULL,
        family      TEXT NOT NULL,
        drill       TEXT NOT NULL,
        level       INTEGER NOT NULL,
        wall_cm     REAL,
        units       TEXT NOT NULL,
        start_s     REAL NOT NULL,
        end_s       REAL,
        reps        INTEGER NOT NULL DEFAULT 0,
        clean       INTEGER NOT NULL DEFAULT 0,
        series      TEXT                 -- compact JSON angle series (module doc)
    );
    CREATE TABLE reps (
        id               INTEGER PRIMARY KEY,
        set_id           INTEGER NOT NULL REFERENCES sets(id),
        number           INTEGER NOT NULL,   -- 1-based within the set
        start_s          REAL NOT NULL,
        bottom_s         REAL NOT NULL,
        end_s            REAL NOT NULL,
        torso_lean_deg   REAL NOT NULL,
        hip_flexion_deg  REAL NOT NULL,
        knee_flexion_deg REAL NOT NULL,
        shin_angle_deg   REAL NOT NULL,
        descent_s        REAL NOT NULL,
        ascent_s         REAL NOT NULL,
        hip_travel_m     REAL,
        head_angle_deg   REAL,
        lockout_lean_deg REAL,
        knee_lead_deg    REAL,
        faults           TEXT NOT NULL,      -- JSON list of fault ids, priority order
        flags            TEXT NOT NULL,      -- JSON list (too_deep)
        UNIQUE (set_id, number)
    );
    CREATE TABLE rep_faults (
        rep_id  INTEGER NOT NULL REFERENCES reps(id),
        fault   TEXT NOT NULL,
        PRIMARY KEY (rep_id, fault)
    );
    CREATE INDEX sets_by_session ON sets(session_id);
    CREATE INDEX reps_by_set ON reps(set_id);
    CREATE INDEX sessions_by_user ON sessions(user_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

Schema = Mapping[str, Sequence[str]]
"""{table name: its column names, in order} of a database (:func:`tables_of`)."""


def tables_of(db: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Every table of the database ``db`` is connected to (SQLite's own ``sqlite_*`` left
    out) with its column names in order, read from ``sqlite_master`` and ``table_info``.
    A table whose columns SQLite cannot list (a virtual table of a module it lacks) has
    none."""
    names = [str(r[0]) for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name")]
    out: dict[str, tuple[str, ...]] = {}
    for name in names:
        try:
            out[name] = tuple(str(r[0]) for r in db.execute(
                "SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,)))
        except sqlite3.Error:
            out[name] = ()
    return out


@cache
def our_schema(version: int) -> dict[str, tuple[str, ...]]:
    """The tables and columns of a Hinge Coach database at schema ``version`` (1 to
    :data:`SCHEMA_VERSION`), as :data:`MIGRATIONS` make them (run in memory)."""
    db = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            for stmt in _statements(script):
                db.execute(stmt)
        return tables_of(db)
    finally:
        db.close()


def not_ours(version: int, schema: Schema) -> str | None:
    """Why the SQLite database whose ``PRAGMA user_version`` is ``version`` and whose tables
    and columns are ``schema`` (:func:`tables_of`) is not a Hinge Coach database (one
    line), or None.

    None for a blank one (no tables: :class:`Store` makes it one) and for a Hinge Coach
    database: every table :data:`MIGRATIONS` make at its ``version`` (1 or more) is there
    with exactly their columns (tables of its own beside them do not matter); at a version
    newer than this hingecoach's, every table of :data:`SCHEMA_VERSION` with at least its
    columns (migrations add). Anything else with tables is another program's: tables at
    version 0 (where every Hinge Coach database is still empty), or tables that are not
    ours, or named like ours with other columns, whatever its ``user_version`` (many
    programs use it too)."""
    if not schema:
        return None
    if version > 0:
        ours = our_schema(min(version, SCHEMA_VERSION))
        if version <= SCHEMA_VERSION:
            fits = all(tuple(schema.get(t, ())) == cols for t, cols in ours.items())
        else:
            fits = all(set(cols) <= set(schema.get(t, ())) for t, cols in ours.items())
        if fits:
            return None
    theirs = sorted(schema)
    shown = ", ".join(theirs[:6]) + (f" and {len(theirs) - 6} more" if len(theirs) > 6 else "")
    stamp = f", user_version {version}" if version else ""
    return f"another program's SQLite database: tables {shown}{stamp}"


def utc_now() -> str:
    """UTC wall-clock time as an ISO string (only the shell calls this)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    units: str


class AmbiguousUser(InputError):
    """A user name typed differently from every stored one matches several users (a database
    from before names matched whatever their case: "Alice" and "alice" both stored). Nothing
    is picked, merged or added; the message lists them."""


def clean_name(name: str) -> str:
    """A user name as a person typed it (``--user``, ``user.name``) without the spaces around
    it; :class:`~hingecoach.errors.InputError` (one line, with the fix) when nothing is left."""
    cleaned = name.strip()
    if not cleaned:
        raise InputError(f"the user name {name!r} is blank: give the person's name, e.g. "
                         "--user sam (or leave --user out)")
    return cleaned


def name_key(name: str) -> str:
    """What two user names share when they name the same person: the spaces around them
    dropped, then Unicode's canonical caseless match (NFD, ``str.casefold``, NFD), so
    "ÉLODIE", "élodie" and "e\u0301lodie" match, and "STRASSE" matches "straße": SQLite's
    ``NOCASE`` folds ASCII letters only. Only ever compared, never shown or stored."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name.strip()).casefold())


def find_user(db: sqlite3.Connection, name: str) -> User | None:
    """The stored user ``name`` names, or None (nothing written: any connection will do).

    Names match whatever their case and the spaces around them (:func:`name_key`). A
    database from before that may hold several users whose names differ only so ("Alice"
    and "alice "); then the closest match wins: the name stored exactly as typed, else the
    one that equals it once the spaces around each are dropped, else the one that matches
    ignoring case. Several equally close: :class:`AmbiguousUser`, listing them (each can
    still be picked by typing it exactly). A blank ``name``: InputError (:func:`clean_name`)."""
    cleaned = clean_name(name)
    key = name_key(cleaned)
    rows = [User(int(r[0]), str(r[1]), str(r[2]))
            for r in db.execute("SELECT id, name, units FROM users ORDER BY id")]
    for hits in ([u for u in rows if u.name == name],
                 [u for u in rows if u.name.strip() == cleaned],
                 [u for u in rows if name_key(u.name) == key]):
        if len(hits) == 1:
            return hits[0]
        if hits:
            listed = ", ".join(repr(u.name) for u in hits)
            options = " or ".join(f"--user {shlex.quote(u.name)}" for u in hits)
            raise AmbiguousUser(f"the user name {cleaned!r} matches {len(hits)} users whose names "
                                f"differ only in case or spaces ({listed}), so none was picked: "
                                f"type the name exactly as stored ({options})")
    return None


def encode_series(rows: Sequence[Sequence[float]], step_s: float = 0.1) -> str:
    """The compact JSON of a set's angle series."""
    return json.dumps({"step_s": step_s, "columns": list(SERIES_COLUMNS),
                       "rows": [list(r) for r in rows]}, separators=(",", ":"))


def decode_series(text: str | None) -> dict[str, Any]:
    if not text:
        return {"step_s": 0.1, "columns": list(SERIES_COLUMNS), "rows": []}
    return json.loads(text)


def read_levels(db: sqlite3.Connection, user_id: int) -> dict[str, int]:
    """Saved level index per drill family of ``user_id`` (families never saved are absent),
    from a read-write or a read-only connection."""
    rows = db.execute("SELECT family, level FROM progress WHERE user_id = ?", (user_id,))
    return {r["family"]: int(r["level"]) for r in rows}


def file_in_the_way(folder: Path) -> Path | None:
    """The nearest existing part of ``folder``'s path when it is not a folder (then the
    folder can be neither found nor made), else None."""
    for p in (folder, *folder.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


def damaged_fix(path: Path) -> str:
    """How to get going again after a damaged progress database at ``path`` (the same words
    wherever it is found: run, doctor, history/report/export). Nothing is deleted for the
    user: the file and its ``-wal``/``-shm`` (which belong to it) are moved together."""
    return (f"restore a backup, or move it aside with any {path.name}-wal/-shm beside it (cd "
            f"{path.parent} && d=damaged-$(date +%s) && mkdir $d && mv {path.name}* $d/) and "
            "hingecoach starts a new one")


_PLAIN_DAMAGE = ("database disk image is malformed", "file is not a database", "no sqlite header",
                 "unreadable rows")


def damage_in_words(cause: str) -> str:
    """What SQLite found wrong, for a one-line message: its short errors as they are
    ("database disk image is malformed", "file is not a database"), and the report of its
    ``quick_check`` ("*** in database main *** Page 8: btreeInitPage() returns error code
    11 ...", kept whole for logs and doctor's details) as "SQLite's integrity check found
    damage on page 8"."""
    text = " ".join(cause.split())
    if not text or text.lower().startswith(_PLAIN_DAMAGE):
        return text
    pages = sorted({int(n) for n in re.findall(r"\bpage (\d+)", text, re.IGNORECASE)})
    where = ""
    if pages:
        shown = ", ".join(map(str, pages[:3])) + (" and more" if len(pages) > 3 else "")
        where = f" on page{'s' if len(pages) > 1 else ''} {shown}"
    return f"SQLite's integrity check found damage{where}"


def not_ours_fix(path: Path) -> str:
    """How to get going again when the file at ``path`` is not a Hinge Coach database (the
    same words in run, doctor and history/report/export)."""
    return (f"set --data-dir (paths.data_dir) to a folder of Hinge Coach's own, or move it aside "
            f"(it may have been copied or linked there by mistake: mv {path} where it belongs) "
            "and hingecoach starts a new one")


def storage_problem(path: Path, reason: str, cause: str = "") -> tuple[str, str]:
    """(what is wrong, how to fix it) for the progress database at ``path`` that cannot
    record because of :func:`~hingecoach.resilience.storage_trouble` ``reason``."""
    folder = path.parent
    cause = " ".join(cause.split())  # quick_check's report has line breaks: keep one line
    if reason == "damaged":
        cause = damage_in_words(cause)
    why = f" ({cause})" if cause else ""
    if reason == "damaged":
        return (f"the progress database {path} is damaged or not a Hinge Coach database{why}",
                f"{damaged_fix(path)} (nothing in it was changed)")
    if reason == "not_ours":
        return (f"{path} is not a Hinge Coach database{why}",
                f"{not_ours_fix(path)} (nothing in it was changed)")
    if reason == "newer":
        return (f"the progress database {path} is from a newer hingecoach{why}",
                "upgrade hingecoach (git pull, then pi/install.sh; nothing in it was changed)")
    if reason == "locked":
        return (f"the progress database {path} is locked by another program{why}",
                f"end the other program's write (COMMIT or quit an open `sqlite3 {path.name}` "
                f"shell; let another hingecoach finish): `fuser -v {path}` lists who has it open")
    if reason == "read_only":
        return (f"the data directory {folder} is on a read-only file system{why}",
                f"remount it read-write (`findmnt -T {folder}` names the mount; an SD card the "
                "kernel made read-only after errors needs fsck, see `dmesg`), or set "
                "paths.data_dir (--data-dir) to a writable folder")
    if reason == "no_permission":
        return (f"{path} cannot be written by this user{why}",
                f"give it back to the user the coach runs as (sudo chown -R $USER {folder}), "
                "or set paths.data_dir (--data-dir) to a writable folder")
    return (f"the disk holding {folder} is full{why}",
            "free space (sudo apt clean; sudo journalctl --vacuum-size=50M; remove old files) "
            "or set paths.data_dir (--data-dir) to a bigger drive")


def side_files(path: Path) -> list[Path]:
    """The ``-wal`` and ``-shm`` files of the WAL database at ``path``."""
    return [path.with_name(path.name + sfx) for sfx in ("-wal", "-shm")]


@dataclass(frozen=True, slots=True)
class FileLock:
    """One lock of ``/proc/locks``: ``kind`` ``READ`` or ``WRITE``, by process ``pid`` (``-1``
    for an open file description lock), on ``file`` (``MAJOR:MINOR:INODE``), bytes ``start``
    to ``end`` (``EOF``: to the end of the file, whatever its size); ``waiting``: a ``->``
    line, a lock asked for and not yet granted."""

    kind: str
    pid: str
    file: str
    start: int
    end: int
    waiting: bool = False

    def on(self, inode: int) -> bool:
        """Whether it is on a file with inode number ``inode`` (any device: the careful side)."""
        return self.file.endswith(f":{inode}")


def parse_locks(table: str) -> list[FileLock]:
    """The locks listed in ``table``, the text of ``/proc/locks`` ("1: POSIX  ADVISORY  WRITE
    1234 08:01:5678 1073741824 1073742335", a waiting one "1: -> POSIX ..."). Lines it does
    not understand are left out."""
    out = []
    for line in table.splitlines():
        words = line.split()
        waiting = "->" in words
        if waiting:
            words.remove("->")
        if len(words) < 8 or not words[6].isdigit():
            continue
        end = int(words[7]) if words[7].isdigit() else 1 << 62  # "EOF"
        out.append(FileLock(words[3], words[4], words[5], int(words[6]), end, waiting))
    return out


def _file_locks() -> list[FileLock] | None:
    """Every lock held (or waited for) on this machine now, from ``/proc/locks``, or None
    when it cannot be read (not Linux, no ``/proc``)."""
    try:
        return parse_locks(Path("/proc/locks").read_text())
    except OSError:
        return None


def locked_by_anyone(path: Path) -> bool:
    """Whether any process (this one included) holds a lock on the file at ``path``, as
    every SQLite connection that has a WAL database open holds one on its ``-shm`` file
    (a read lock on byte 128, SQLite's "DMS" lock, for as long as it is open).

    Read from ``/proc/locks`` (matched by inode number alone, so a lock on another file
    with the same number on another device counts too: the careful side), without
    opening ``path``: closing any descriptor of a file drops all of this process's locks
    on it, SQLite's own included. True when it cannot be told (no ``/proc/locks``)."""
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        return False
    except OSError:
        return True
    locks = _file_locks()
    return locks is None or any(lock.on(inode) for lock in locks)


_LOCK_BYTES = (0x40000000, 0x40000000 + 511)
"""SQLite's lock bytes in a database file (PENDING, RESERVED, then the SHARED range): a
write lock there is a writer (rollback journal) or a connection in
``locking_mode=EXCLUSIVE``."""
_WAL_WRITE_LOCK = 120
"""The byte of a WAL database's ``-shm`` file its writer holds a write lock on."""


def write_locked(path: Path) -> bool:
    """Whether another process holds the write lock of the database at ``path`` right now
    (an open write transaction: saving would wait for it), from ``/proc/locks`` without
    opening anything: a write lock on byte 120 of its ``-shm`` file (a WAL writer) or on
    SQLite's lock bytes of the file itself. False when it cannot be told."""
    targets: list[tuple[int, tuple[int, int]]] = []
    for file, span in ((path, _LOCK_BYTES),
                       (side_files(path)[1], (_WAL_WRITE_LOCK, _WAL_WRITE_LOCK))):
        try:
            targets.append((file.stat().st_ino, span))
        except OSError:
            continue
    me = str(os.getpid())
    for lock in _file_locks() or ():
        if lock.waiting or lock.kind != "WRITE" or lock.pid == me:
            continue  # (a waiting lock holds nothing)
        span = next((sp for inode, sp in targets if lock.on(inode)), None)
        if span is not None and lock.start <= span[1] and lock.end >= span[0]:
            return True
    return False


def tidy_side_files(path: Path, existed: set[Path]) -> None:
    """Remove the ``-shm``, and the empty ``-wal``, that our read-only connection created.

    A read-only connection to a WAL database creates a ``-shm`` file (and an empty ``-wal``
    when there was none) and cannot delete them on close. They are removed only when they
    did not exist before we opened, the ``-wal`` only when it holds nothing (one left by a
    crash stays: it holds the latest commits), and only when no connection, in any
    process, has the database open now (:func:`locked_by_anyone` on its ``-shm``)."""
    wal, shm = side_files(path)
    if shm in existed or locked_by_anyone(shm):
        return
    try:
        if wal not in existed and wal.exists() and wal.stat().st_size == 0:
            wal.unlink()
        shm.unlink(missing_ok=True)
    except OSError:
        pass


def identity(db: sqlite3.Connection) -> tuple[int, dict[str, tuple[str, ...]]]:
    """(``PRAGMA user_version``, tables with their columns) of the database ``db`` is
    connected to: what :func:`not_ours` judges."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    return version, tables_of(db)


def read_only_uri(path: Path) -> str:
    """The URI that opens the database at ``path`` read-only (``sqlite3.connect(...,
    uri=True)``): nothing is written to the file, not even a checkpoint on closing."""
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def quick_check(path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S,
                connect: Callable[[Path, float], sqlite3.Connection] | None = None
                ) -> tuple[list[str], int, dict[str, tuple[str, ...]]]:
    """SQLite's ``quick_check`` of the database at ``path`` (``["ok"]`` when healthy) and,
    when it is healthy, its :func:`identity` (else ``0, set()``), through a read-only
    connection, so nothing is written to the file: not even the checkpoint a read-write
    connection makes on closing, which would copy a ``-wal`` left by a crash into a damaged
    file. Leaves no side files behind; raises ``sqlite3.DatabaseError`` for a file SQLite
    cannot read at all ("file is not a database"). ``connect(path, busy_timeout_s)``: how
    to open that connection (default: :func:`read_only_uri`, waiting ``busy_timeout_s``
    for a lock); the read side's also reads from a place that cannot be written."""
    existed = {p for p in side_files(path) if p.exists()}
    db = None
    try:
        if connect is not None:
            db = connect(path, busy_timeout_s)
        else:
            db = sqlite3.connect(read_only_uri(path), uri=True, timeout=busy_timeout_s)
        check = [str(r[0]) for r in db.execute("PRAGMA quick_check(3)")]
        return (check, *identity(db)) if check == ["ok"] else (check, 0, {})
    finally:
        if db is not None:
            db.close()
        tidy_side_files(path, existed)


class Store:
    """One SQLite database file. Every write method commits before it returns.

    Opening it raises :class:`~hingecoach.errors.StorageError` (with its ``reason``) when
    it cannot record: the folder or the file cannot be written (``read_only`` on a
    read-only file system, else ``no_permission``), the disk is full, or the file is
    damaged (SQLite's ``quick_check`` finds a problem, checked before anything is written
    to it) or is not an SQLite database (``damaged``), or it is another program's SQLite
    database (``not_ours``: :func:`not_ours`), or a newer hingecoach's
    (:class:`~hingecoach.errors.NewerDatabase`, reason ``newer``). All of that is decided
    through a read-only connection before the file is opened for writing (not even
    switched to WAL): such a file is left exactly as it was.

    ``busy_timeout_s`` (default :data:`BUSY_TIMEOUT_S`): how long a statement waits while
    another program holds the write lock before it fails with "database is locked"
    (``sqlite3.OperationalError``, SQLITE_BUSY; nothing written). ``open_wait_s`` (default
    ``busy_timeout_s``): how long opening (the check, WAL, the migrations) waits for a lock;
    one it outlasts is a :class:`~hingecoach.errors.StorageError` with reason ``locked``.
    """

    def __init__(self, path: str | os.PathLike[str], busy_timeout_s: float | None = None,
                 open_wait_s: float | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout_s = BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
        open_wait = self.busy_timeout_s if open_wait_s is None else open_wait_s
        if (blocker := file_in_the_way(self.path.parent)) is not None:
            raise DeviceError(f"cannot open the progress database in {self.path.parent}: {blocker} is a file, "
                              "not a folder: pass --data-dir a folder (it is made if missing)")
        if self.path.is_dir():
            raise DeviceError(f"{self.path} is a folder, not a database: pass --data-dir the folder "
                              "that holds (or will hold) hingecoach.db")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._trouble(exc, "no_permission") from exc
        for p in (self.path.parent, self.path):  # SQLite would open it read-only, silently
            if p.exists() and not os.access(p, os.W_OK):
                if on_read_only_file_system(p):
                    raise self._error("read_only")
                raise self._error("no_permission", f"no write permission on {p}")
        if self.path.is_file() and self.path.stat().st_size:
            try:  # read-only first: a damaged file, or another program's, is never written to
                check, version, tables = quick_check(self.path, open_wait)
            except sqlite3.DatabaseError as exc:
                raise self._trouble(exc, "damaged") from exc
            if check != ["ok"]:
                raise self._error("damaged", "; ".join(check))
            if (why := not_ours(version, tables)) is not None:
                raise self._error("not_ours", why)
            if version > SCHEMA_VERSION:  # decided before anything is written to it
                raise self._newer(version)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=open_wait)
        except sqlite3.Error as exc:
            raise self._trouble(exc, "no_permission") from exc
        self.db.row_factory = sqlite3.Row
        try:
            mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.journal_mode = str(mode)
            self._migrate()
            self.wait_for_locks(self.busy_timeout_s)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self._trouble(exc, "damaged") from exc
        except BaseException:
            self.db.close()
            raise

    def _error(self, reason: str, cause: str = "") -> StorageError:
        what, fix = storage_problem(self.path, reason, cause)
        return StorageError(f"{what}: {fix}", reason, " ".join(cause.split()))

    def _newer(self, version: int) -> NewerDatabase:
        cause = f"schema version {version}; this one understands {SCHEMA_VERSION}"
        what, fix = storage_problem(self.path, "newer", cause)
        return NewerDatabase(f"{what}: {fix}", cause)

    def _trouble(self, exc: BaseException, default: str) -> StorageError:
        """The StorageError for ``exc`` met while opening: its reason (``default`` when
        :func:`storage_trouble` has none), what is wrong and the fix, in one line."""
        reason = storage_trouble(exc, self.path) or default
        return self._error(reason, "" if reason == "read_only" else str(exc) or type(exc).__name__)

    # -- schema -------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        v = self.version
        if v > SCHEMA_VERSION:
            raise self._newer(v)
        for n in range(v, SCHEMA_VERSION):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for stmt in _statements(MIGRATIONS[n]):
                    self.db.execute(stmt)
                self.db.execute(f"PRAGMA user_version = {n + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def wait_for_locks(self, seconds: float) -> None:
        """From now on a statement waits up to ``seconds`` for another program's lock."""
        self.db.execute(f"PRAGMA busy_timeout={max(0, round(seconds * 1000))}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- users and levels ---------------------------------------------------------------
    def user(self, name: str, units: str | None = None, now: str | None = None) -> User:
        """The user called ``name`` (whatever its case and the spaces around it:
        :func:`find_user`), created on first use with the name as typed less those spaces,
        and always given back with the name as stored; ``units`` updates the preference.
        InputError for a blank name, :class:`AmbiguousUser` for one that matches several
        users of an older database (nothing is written then)."""
        found = find_user(self.db, name)
        if found is None:
            self.db.execute("BEGIN IMMEDIATE")  # look again and add in one write: another
            try:  # hingecoach adding "alice" meanwhile cannot make a second Alice
                found = find_user(self.db, name)
                if found is None:
                    cleaned = clean_name(name)
                    cur = self.db.execute(
                        "INSERT INTO users (name, units, created_at) VALUES (?, ?, ?)",
                        (cleaned, units or "in", now or utc_now()))
                    found = User(int(cur.lastrowid or 0), cleaned, units or "in")
                    units = None
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        if units and units != found.units:
            self.db.execute("UPDATE users SET units = ? WHERE id = ?", (units, found.id))
            return User(found.id, found.name, units)
        return found

    def levels(self, user_id: int) -> dict[str, int]:
        """Saved level index per drill family (families never saved are absent)."""
        return read_levels(self.db, user_id)

    def save_level(self, user_id: int, family: str, level: int, drill: str,
                   wall_cm: float | None, now: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO progress (user_id, family, level, drill, wall_cm, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, family) DO UPDATE SET "
            "level = excluded.level, drill = excluded.drill, wall_cm = excluded.wall_cm, "
            "updated_at = excluded.updated_at",
            (user_id, family, level, drill, wall_cm, now or utc_now()))

    # -- sessions, sets, reps -----------------------------------------------------------
    def start_session(self, user_id: int, source: str | None, now: str | None = None) -> int:
        cur = self.db.execute("INSERT INTO sessions (user_id, source, started_at) VALUES (?, ?, ?)",
                              (user_id, source, now or utc_now()))
        return int(cur.lastrowid or 0)

    def end_session(self, session_id: int, now: str | None = None) -> None:
        self.db.execute("UPDATE sessions SET ended_at = ? WHERE id = ?",
                        (now or utc_now(), session_id))

    def set_calibration(self, session_id: int, calibration: dict[str, Any]) -> None:
        self.db.execute("UPDATE sessions SET calibration = ? WHERE id = ?",
                        (json.dumps(calibration, sort_keys=True), session_id))

    def start_set(self, session_id: int, number: int, family: str, drill: str, level: int,
                  wall_cm: float | None, units: str, start_s: float) -> int:
        cur = self.db.execute(
            "INSERT INTO sets (session_id, number, family, drill, level, wall_cm, units, start_s, "
            "series) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, number, family, drill, level, wall_cm, units, start_s, encode_series([])))
        return int(cur.lastrowid or 0)

    def add_rep(self, set_id: int, number: int, rep: Rep, faults: Sequence[str],
                flags: Sequence[str], series: Sequence[Sequence[float]] | None = None) -> int:
        """Commit one completed rep (and the set's series so far) in one transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute(
                "INSERT INTO reps (set_id, number, start_s, bottom_s, end_s, torso_lean_deg, "
                "hip_flexion_deg, knee_flexion_deg, shin_angle_deg, descent_s, ascent_s, "
                "hip_travel_m, head_angle_deg, lockout_lean_deg, knee_lead_deg, faults, flags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (set_id, number, rep.start_s, rep.bottom_s, rep.end_s, rep.torso_lean_deg,
                 rep.hip_flexion_deg, rep.knee_flexion_deg, rep.shin_angle_deg, rep.descent_s,
                 rep.ascent_s, rep.hip_travel_m, rep.head_angle_deg, rep.lockout_lean_deg,
                 rep.knee_lead, json.dumps(list(faults)), json.dumps(list(flags))))
            rep_id = int(cur.lastrowid or 0)
            db.executemany("INSERT OR IGNORE INTO rep_faults (rep_id, fault) VALUES (?, ?)",
                           [(rep_id, f) for f in faults])
            clean = 0 if (faults or flags) else 1
            if series is not None:
                db.execute("UPDATE sets SET reps = reps + 1, clean = clean + ?, series = ? "
                           "WHERE id = ?", (clean, encode_series(series), set_id))
            else:
                db.execute("UPDATE sets SET reps = reps + 1, clean = clean + ? WHERE id = ?",
                           (clean, set_id))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite may already have rolled back (SQLITE_FULL)
                db.execute("ROLLBACK")
            raise
        return rep_id

    def end_set(self, set_id: int, end_s: float, series: Sequence[Sequence[float]]) -> None:
        self.db.execute("UPDATE sets SET end_s = ?, series = ? WHERE id = ?",
                        (end_s, encode_series(series), set_id))

    def delete_set(self, set_id: int) -> None:
        """Drop a set that never got a rep (a drill switched before anything happened)."""
        self.db.execute("DELETE FROM sets WHERE id = ? AND reps = 0", (set_id,))

    # -- queries ------------------------------------------------------------------------
    def sessions(self, user_id: int | None = None) -> list[dict[str, Any]]:
        q = "SELECT * FROM sessions" + (" WHERE user_id = ?" if user_id else "") + " ORDER BY id"
        return [dict(r) for r in self.db.execute(q, (user_id,) if user_id else ())]

    def sets(self, session_id: int | None = None) -> list[dict[str, Any]]:
        q = "SELECT * FROM sets" + (" WHERE session_id = ?" if session_id else "") + " ORDER BY id"
        return [dict(r) for r in self.db.execute(q, (session_id,) if session_id else ())]

    def reps(self, session_id: int | None = None) -> list[dict[str, Any]]:
        q = ("SELECT reps.*, sets.session_id, sets.drill, sets.number AS set_number FROM reps "
             "JOIN sets ON sets.id = reps.set_id")
        args: tuple[Any, ...] = ()
        if session_id:
            q += " WHERE sets.session_id = ?"
            args = (session_id,)
        out = []
        for r in self.db.execute(q + " ORDER BY reps.id", args):
            d = dict(r)
            d["faults"] = json.loads(d["faults"])
            d["flags"] = json.loads(d["flags"])
            out.append(d)
        return out


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our statements)."""
    out = []
    for part in script.split(";"):
        lines = [ln.split("--", 1)[0] for ln in part.splitlines()]
        stmt = "\n".join(lines).strip()
        if stmt:
            out.append(stmt)
    return out
