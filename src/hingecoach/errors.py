"""One root exception; each subclass also inherits the builtin that fits (gpiozero's exc.py).

The CLI turns any :class:`HingeError` into a one-line message on stderr and exit code 2;
the message always names the bad thing and what to do about it.
"""

from __future__ import annotations


class HingeError(Exception):
    """Root of every error Hinge Coach raises on purpose."""


class InputError(HingeError, ValueError):
    """A file or argument the user gave us is missing, unreadable or malformed."""


class TraceError(InputError):
    """A pose trace (DESIGN 3.1) is malformed. Carries the file and line number."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class ModelError(HingeError, FileNotFoundError):
    """A model file is missing or corrupt."""


class DeviceError(HingeError, OSError):
    """A camera, microphone or speaker is missing or failed."""


class ConfigError(HingeError, ValueError):
    """The configuration file or an override is invalid."""


class StorageError(DeviceError):
    """The progress database cannot record, and why: :attr:`reason` is ``full`` (no space
    left), ``read_only`` (a read-only file system), ``no_permission`` (this user may not
    write there), ``damaged`` (not a usable Hinge Coach database), ``not_ours`` (another
    program's SQLite database, left as it is), ``newer`` (:class:`NewerDatabase`) or
    ``locked`` (another
    program held its write lock past the busy timeout while it was being set up; a lock met
    by a later write is :class:`StorageBusy` instead). ``hingecoach run`` goes on coaching
    without recording (:class:`hingecoach.resilience.RecordingGuard`).
    :attr:`cause` is what went wrong underneath (SQLite's words), for logs."""

    def __init__(self, message: str, reason: str, cause: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.cause = cause


class NewerDatabase(StorageError, ConfigError):
    """The progress database was written by a newer hingecoach (a schema version this one
    does not know): left exactly as it was. A :class:`ConfigError` for the commands that
    read it (upgrade hingecoach), and a :class:`StorageError` with reason ``newer`` for
    ``hingecoach run``, which coaches on without recording rather than refusing to start
    (under systemd's ``Restart=always``, over and over)."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message, "newer", cause)


class StorageBusy(HingeError, TimeoutError):
    """A write found the progress database locked by another program (an ``sqlite3`` shell
    with an open write transaction, a second hingecoach) for the whole busy timeout. Nothing
    was written, and the same write can be made again later:
    :class:`hingecoach.resilience.RecordingGuard` raises it, and
    :class:`hingecoach.store.recorder.StoreRecorder` keeps the write and tries it again at
    its next one."""
