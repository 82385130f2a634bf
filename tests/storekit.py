"""Progress databases in trouble, for the storage tests: a recorded session, damage that
SQLite finds, a data folder that cannot be written, for a command run in a subprocess, and
a database another program keeps locked (:func:`write_lock`).

Read-only is real, not pretended: the folder is bind-mounted read-only over itself in a
private mount namespace (``unshare``; as root a plain mount namespace, otherwise a user
namespace), so the kernel answers ``EROFS`` to root too, and the mount is gone when the
command exits, whatever happens to the test. Only where neither is possible (a non-root
user without user namespaces) is the folder chmod'ed read-only instead, which stops a
non-root user just the same, though SQLite then reports a permission problem, not a
read-only file system: :func:`read_only_mechanism` says which one a test got. As root
(the CI), a refused mount fails the test rather than skipping it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path

import pytest

PAGE = 4096
"""SQLite's default page size, which the coach's databases use."""

BIND_READ_ONLY = 'mount --bind -o ro "$0" "$0" && exec "$@"'
"""sh script: make folder $0 read-only (in this mount namespace), then run the rest."""


def damage_third_page(db: Path, seed: int = 5) -> None:
    """4 KB of noise over the database's third page, as ``dd if=/dev/urandom bs=4096 seek=2
    count=1 conv=notrunc`` does, but the same noise every time."""
    assert db.stat().st_size > 3 * PAGE, "too small a database to damage its third page"
    with open(db, "r+b") as fh:
        fh.seek(2 * PAGE)
        fh.write(random.Random(seed).randbytes(PAGE))


def snapshot(folder: Path) -> dict[str, str]:
    """{file name: sha256} of every file in ``folder``: what must not change."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def hingecoach(*args: str) -> list[str]:
    return [sys.executable, "-m", "hingecoach", *args]


def _namespace() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--propagation", "private"]
    return ["unshare", "--user", "--map-root-user", "--mount"]


@cache
def read_only_mechanism() -> str:
    """``mount`` (a real read-only bind mount) or, for a non-root user who cannot have
    one, ``chmod``."""
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        done = subprocess.run([*_namespace(), "sh", "-c", BIND_READ_ONLY, str(probe), "true"],
                              capture_output=True, text=True, timeout=60)
        why = done.stderr.strip() if done.returncode else ""
    except OSError as exc:  # no unshare
        why = str(exc)
    if not why:
        return "mount"
    if os.geteuid() == 0:
        pytest.fail(f"as root, a read-only bind mount in a private mount namespace failed "
                    f"({why}): these tests need util-linux's unshare and mount, and "
                    "CAP_SYS_ADMIN")
    return "chmod"


@contextlib.contextmanager
def _chmod_read_only(folder: Path) -> Iterator[None]:
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (folder, *folder.iterdir())}
    try:
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def run_read_only(folder: Path, argv: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``argv`` run while ``folder`` is read-only (see the module docstring)."""
    if read_only_mechanism() == "mount":
        return subprocess.run([*_namespace(), "sh", "-c", BIND_READ_ONLY, str(folder), *argv],
                              capture_output=True, text=True, timeout=timeout)
    with _chmod_read_only(folder):
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)


def run_not_writable(folder: Path, argv: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``argv`` run by a user who may read ``folder`` but not write it (a writable file
    system): the folder and its files are chmod'ed read-only; root, whom file modes do not
    stop, runs the command in a user namespace of its own (``unshare --user``), where
    they do."""
    prefix = ["unshare", "--user"] if os.geteuid() == 0 else []
    with _chmod_read_only(folder):
        done = subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout)
    if prefix and done.returncode != 0 and "unshare:" in done.stderr:
        pytest.fail(f"as root, `unshare --user` failed ({done.stderr.strip()})")
    return done


_HOLD_LOCK = """
import pathlib, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
if sys.argv[2] == "EXCLUSIVE MODE":  # keeps even readers out, in WAL mode too
    db.execute("PRAGMA locking_mode = EXCLUSIVE")
db.execute("BEGIN " + sys.argv[2].split()[0])
print("locked", flush=True)
if len(sys.argv) > 3:  # until this text is in this file (a transcript), for 60 s at most
    until, text = pathlib.Path(sys.argv[3]), sys.argv[4]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (until.exists() and text in until.read_text()):
        time.sleep(0.01)
else:
    sys.stdin.readline()
db.execute("ROLLBACK")
print("released", flush=True)
"""


@contextlib.contextmanager
def write_lock(db: Path, how: str = "IMMEDIATE",
               until: tuple[Path, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """Another process holds ``db``'s write lock, as an ``sqlite3`` shell does after ``BEGIN
    IMMEDIATE`` or ``BEGIN EXCLUSIVE`` (``how``), until the block ends, or, with
    ``until=(file, text)``, until ``text`` appears in ``file``. It writes nothing (it rolls
    back). ``how="EXCLUSIVE MODE"``: ``PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;``,
    which keeps readers out too (in WAL mode a writer does not)."""
    argv = [sys.executable, "-c", _HOLD_LOCK, str(db), how, *(map(str, until) if until else ())]
    holder = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        started = holder.stdout.readline().strip()
        assert started == "locked", holder.communicate(timeout=30)
        yield holder
    finally:
        out, err = holder.communicate("\n", timeout=90)  # releases it if it still holds it
        assert holder.returncode == 0 and "released" in out, err


def another_programs_database(db: Path, user_version: int = 0, tables: Sequence[str] = ("photos", "albums")) -> None:
    """Replace ``db`` with another program's SQLite file: its own tables and a row in each, a
    rollback journal (not WAL), and ``user_version`` as it set it (many programs use it)."""
    db.unlink(missing_ok=True)
    c = sqlite3.connect(db)
    for t in tables:
        c.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, path TEXT)")
        c.execute(f"INSERT INTO {t} (path) VALUES ('/home/pi/{t}/1.jpg')")
    c.execute(f"PRAGMA user_version = {user_version}")
    c.commit()
    c.close()


def wal_left_by_a_crash(db: Path) -> None:
    """Leave the progress database ``db`` as a power cut in the middle of a session does: its
    latest commit still in ``db-wal`` (not yet copied into ``db``), and no ``-shm``."""
    wal = db.with_name(db.name + "-wal")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE users SET units = 'in'")
    left = db.read_bytes(), wal.read_bytes()
    writer.close()  # (checkpoints, and deletes both side files)
    db.write_bytes(left[0])
    wal.write_bytes(left[1])
    assert wal.stat().st_size > 0 and not db.with_name(db.name + "-shm").exists()
