"""Surviving the real world: devices that come and go, and a disk that fills up.

Three wrappers, each usable on its own, none of which ever ends the process:

* :class:`ResilientCamera` wraps a frame source. When a read or the opening fails (the
  ribbon is loose, the USB webcam is unplugged), it reports ``camera_lost`` once, returns
  ``None`` instead of frames, and reopens the source with exponential back-off
  (0.5, 1, 2, 4, 8, 10, 10 ... seconds); the first frame after a reopen reports
  ``camera_back``. The coach pauses on ``camera_lost`` and resumes on ``camera_back``.
* :class:`ResilientMicrophone` does the same for audio input (``microphone_lost`` /
  ``microphone_back``, slower back-off): coaching goes on without voice commands.
* :class:`RecordingGuard` wraps the store. The first call that fails because of the storage
  (:func:`storage_trouble`: the disk is full, the file system is read-only, the folder or
  file may not be written, or the database is damaged), or a store that cannot even be
  opened for one of those reasons, reports ``recording_stopped`` once, with the reason;
  from then on writes are skipped and return ``None`` while coaching carries on. A write
  that finds the database locked by another program reports ``recording_delayed`` (once)
  and raises :class:`~hingecoach.errors.StorageBusy`, so the caller keeps it for later.

Every event is a :class:`DeviceEvent` with a monotonic timestamp and, for the ones the user
should hear, a short spoken :attr:`DeviceEvent.notice` (our own words; no command word such
as "stop" or "pause" in them, so the recogniser never hears a command in our own voice).
Events go to an ``on_event`` callback and are also kept in ``.events`` (a timeline, like
gpiozero's mock pins).

Time is injected (``clock``, default :func:`time.monotonic`) and only ever compared with
itself, so a wall-clock jump (NTP sync on a Pi without an RTC battery) changes nothing.
None of these wrappers sleeps: ``read()`` returns at once, so the caller's loop keeps
feeding the systemd watchdog and hearing SIGTERM during an outage.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hingecoach.errors import StorageBusy, StorageError

Clock = Callable[[], float]
"""Returns monotonic seconds."""

NOTICES: Final[dict[str, str]] = {
    "camera_lost": "I've lost the camera. Give me a moment while I reconnect it.",
    "camera_lost_at_start": "I can't find the camera yet. I'll keep looking for it.",
    "camera_back_at_start": "Found the camera.",
    "camera_back": "The camera is back. Carry on when you're ready.",
    "microphone_lost": "I can't hear you any more. Coaching goes on, but voice commands are off.",
    "microphone_back": "I can hear you again.",
    "microphone_lost_at_start": "I can't find a microphone, so voice commands are off. "
    "Coaching works without them.",
    "microphone_back_at_start": "Found a microphone. Voice commands are on.",
    "recording_stopped": "Storage is full, so this session won't be saved. Coaching goes on.",
    "recording_stopped_read_only": "The storage is read-only, so this session won't be saved. "
    "Coaching goes on.",
    "recording_stopped_no_permission": "I'm not allowed to write the progress file, so this "
    "session won't be saved. Coaching goes on.",
    "recording_stopped_damaged": "The progress file is damaged, so this session won't be saved. "
    "Coaching goes on.",
    "recording_stopped_not_ours": "The progress file belongs to another program, so this "
    "session won't be saved. Coaching goes on.",
    "recording_stopped_newer": "The progress file is from a newer version of me, so this "
    "session won't be saved. Coaching goes on.",
    "recording_stopped_locked": "Another program has locked the progress file, so this session "
    "won't be saved. Coaching goes on.",
    "recording_stopped_locked_unread": "Another program has locked the progress file, so I can't "
    "load your level or save this session. Coaching goes on.",
    "recording_delayed": "Another program is using the progress file, so saving is delayed. "
    "Coaching goes on.",
}
"""What the speaker says for each event kind. Silent kinds (``*_retry_failed``) are absent.
``*_at_start`` variants are said instead when the device never worked in this process;
``<kind>_<reason>`` variants when the event has a :attr:`DeviceEvent.reason`, and
``<kind>_<reason>_<variant>`` ones when it also has a :attr:`DeviceEvent.variant`."""


@dataclass(frozen=True)
class DeviceEvent:
    """Something happened to a device.

    Attributes:
        t: monotonic time of the event in seconds (the wrapper's clock).
        kind: ``camera_lost``, ``camera_back``, ``camera_retry_failed``, ``microphone_lost``,
            ``microphone_back``, ``microphone_retry_failed``, ``recording_stopped``,
            ``recording_delayed``.
        device: ``camera``, ``microphone`` or ``store``.
        detail: the error behind it (``"OSError: [Errno 19] No such device"``), for logs.
        attempt: reopen attempts so far in this outage (0 when not applicable).
        next_retry_s: seconds until the next reopen attempt, when one is scheduled.
        at_start: the device has not delivered anything yet in this process (it was
            absent at boot rather than lost mid-session; for the store: it could not be
            opened, or no call through it had succeeded yet).
        reason: why, where there are several kinds of the same trouble: for
            ``recording_stopped``, :func:`storage_trouble`'s ``full``, ``read_only``,
            ``no_permission``, ``damaged``, ``locked``, or the ``reason`` of the
            :class:`~hingecoach.errors.StorageError` behind it (``not_ours``, ``newer``); ``locked``
            for ``recording_delayed``.
        variant: a finer case of the reason, with words of its own: ``unread`` when the
            store could not be opened for a lock and the saved progress could not be read
            either (set by ``hingecoach run``, which tries).
    """

    t: float
    kind: str
    device: str
    detail: str = ""
    attempt: int = 0
    next_retry_s: float | None = None
    at_start: bool = False
    reason: str = ""
    variant: str = ""

    @property
    def notice(self) -> str | None:
        """The sentence to say, or ``None`` for a silent event."""
        if self.variant and f"{self.kind}_{self.reason}_{self.variant}" in NOTICES:
            return NOTICES[f"{self.kind}_{self.reason}_{self.variant}"]
        if self.reason and f"{self.kind}_{self.reason}" in NOTICES:
            return NOTICES[f"{self.kind}_{self.reason}"]
        if self.at_start and f"{self.kind}_at_start" in NOTICES:
            return NOTICES[f"{self.kind}_at_start"]
        return NOTICES.get(self.kind)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off without jitter (one device, nothing to de-synchronise).

    Attributes:
        first: seconds before the first retry.
        factor: growth per failed attempt.
        cap: the longest wait in seconds.
    """

    first: float = 0.5
    factor: float = 2.0
    cap: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.cap, self.first * self.factor ** max(0, attempt - 1))


def _describe(exc: BaseException) -> str:
    cause = getattr(exc, "cause", "")  # a StorageError: SQLite's words under its advice
    return f"{type(exc).__name__}: {cause if isinstance(cause, str) and cause else exc}"


def default_read(source: Any) -> Any:
    """``source.read()`` when it has one, else the next item of an iterator.

    (Iterable sources such as ``hingecoach.pose.sources`` frame and pose sources are
    turned into an iterator once per opening by :class:`Reconnecting`.)
    """
    read = getattr(source, "read", None)
    if callable(read):
        return read()
    return next(source)


def default_close(source: Any) -> None:
    """``source.close()`` when it has one."""
    close = getattr(source, "close", None)
    if callable(close):
        close()


class Reconnecting:
    """A device that is reopened with back-off whenever it fails. Base of camera and mic.

    Args:
        opener: returns a freshly opened source; raises when the device is absent.
        device: ``"camera"`` or ``"microphone"``: names the events.
        clock: monotonic seconds.
        on_event: called with each :class:`DeviceEvent` (say its notice, pause the coach).
        backoff: the retry schedule.
        read: reads one item from an open source (default: ``source.read()``, or the next
            item when the source is an iterable such as ``hingecoach.pose.sources.open_source``
            returns). Contract: returns the item (``None`` is
            passed through and means "nothing yet", not a failure); raises ``EOFError`` or
            ``StopIteration`` at a clean end of stream (a video file); raises anything else
            on failure (adapters that signal failure by a flag, like OpenCV's
            ``(ok, frame)``, must raise instead).
        close: closes a source (errors while closing a broken device are ignored).

    Attributes:
        events: every event so far.
        ended: the source reached a clean end of stream; ``read`` returns ``None`` for good.
    """

    def __init__(
        self,
        opener: Callable[[], Any],
        *,
        device: str,
        clock: Clock = time.monotonic,
        on_event: Callable[[DeviceEvent], None] | None = None,
        backoff: Backoff = Backoff(),
        read: Callable[[Any], Any] = default_read,
        close: Callable[[Any], None] = default_close,
    ) -> None:
        self._opener = opener
        self.device = device
        self._clock = clock
        self._on_event = on_event
        self.backoff = backoff
        self._read = read
        self._close = close
        self._source: Any = None
        self._handle: Any = None
        self._lost_since: float | None = None
        self._attempt = 0
        self._next_try = 0.0
        self.events: list[DeviceEvent] = []
        self.ended = False
        self.delivered = 0

    # -- state ---------------------------------------------------------------------------

    @property
    def lost(self) -> bool:
        """Whether the device is currently unavailable (an outage is in progress)."""
        return self._lost_since is not None

    @property
    def source(self) -> Any:
        """The open source, or ``None``."""
        return self._source

    def retry_in(self, now: float | None = None) -> float:
        """Seconds until the next reopen attempt (0 when not waiting)."""
        if not self.lost:
            return 0.0
        now = self._clock() if now is None else now
        return max(0.0, self._next_try - now)

    # -- reading -------------------------------------------------------------------------

    def read(self) -> Any:
        """One item, or ``None`` while the device is lost, waiting, or at end of stream.

        Never raises for device failures and never sleeps; see the class docstring.
        """
        if self.ended:
            return None
        now = self._clock()
        if self._source is None:
            if self.lost and now < self._next_try:
                return None
            try:
                self._source = self._opener()
                self._handle = self._source
                if (self._read is default_read and not callable(getattr(self._source, "read", None))
                        and not hasattr(self._source, "__next__")):
                    self._handle = iter(self._source)  # an iterable: iterate it once per opening
            except Exception as exc:  # noqa: BLE001 - any failure to open is an outage
                self._source = self._handle = None
                self._fail(now, exc)
                return None
        try:
            item = self._read(self._handle)
        except (EOFError, StopIteration):
            self.ended = True
            self._drop_source()
            return None
        except Exception as exc:  # noqa: BLE001 - any failure to read is an outage
            self._drop_source()
            self._fail(now, exc)
            return None
        if self.lost:
            self._emit(DeviceEvent(now, f"{self.device}_back", self.device,
                                   attempt=self._attempt, at_start=self.delivered == 0))
            self._lost_since = None
            self._attempt = 0
        self.delivered += 1
        return item

    def __iter__(self) -> Any:
        """Yield items, or ``None`` during an outage (the caller decides how long to wait)."""
        while True:
            item = self.read()
            if self.ended:
                return
            yield item

    def close(self) -> None:
        """Close the source; a later ``read`` would reopen it."""
        self._drop_source()

    # -- internals -----------------------------------------------------------------------

    def _drop_source(self) -> None:
        source, self._source, self._handle = self._source, None, None
        if source is not None:
            with contextlib.suppress(Exception):  # a broken device may fail to close too
                self._close(source)

    def _fail(self, now: float, exc: BaseException) -> None:
        self._attempt += 1
        wait = self.backoff.delay(self._attempt)
        self._next_try = now + wait
        if self._lost_since is None:
            self._lost_since = now
            kind = f"{self.device}_lost"
        else:
            kind = f"{self.device}_retry_failed"
        self._emit(DeviceEvent(now, kind, self.device, _describe(exc), self._attempt, wait,
                               at_start=self.delivered == 0))

    def _emit(self, event: DeviceEvent) -> None:
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)


class ResilientCamera(Reconnecting):
    """A frame source that survives being unplugged. See :class:`Reconnecting` for arguments.

    Wiring (the lead's ``hingecoach run``)::

        camera = ResilientCamera(lambda: open_source(cfg.get("camera.source")),
                                 on_event=events.append)
        while not svc.stop_requested:
            frame = camera.read()
            for ev in drain(events): speaker.say(ev.notice); coach pause/resume
            if frame is None:
                sleep_until_stop(svc, min(0.1, camera.retry_in()) or 0.02); continue
            ...pose, motion, coach...
    """

    def __init__(self, opener: Callable[[], Any], **kwargs: Any) -> None:
        kwargs.setdefault("backoff", Backoff(first=0.5, factor=2.0, cap=10.0))
        super().__init__(opener, device="camera", **kwargs)


class ResilientMicrophone(Reconnecting):
    """Audio input that survives being unplugged (back-off 1 s doubling to 30 s).

    While lost, ``read()`` returns ``None``: feed nothing to the recogniser and keep coaching.
    """

    def __init__(self, opener: Callable[[], Any], **kwargs: Any) -> None:
        kwargs.setdefault("backoff", Backoff(first=1.0, factor=2.0, cap=30.0))
        super().__init__(opener, device="microphone", **kwargs)


def live_items(
    device: Reconnecting,
    service: Any = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    idle_step: float = 0.05,
    ticks: bool = False,
) -> Any:
    """Yield items from ``device`` until its stream ends or a stop is requested.

    During an outage this waits in steps of at most ``idle_step`` seconds (until the next
    retry), pinging the watchdog (``service.tick``) and checking ``service.stop_requested``
    between steps, so SIGTERM and the systemd watchdog work while the camera is away. It
    feeds the loop that consumes it (e.g. ``hingecoach.app.run_session(poses=...)``) as if
    the camera had simply been slow; the ``*_lost`` / ``*_back`` events go to the device's
    ``on_event``.

    Args:
        device: a :class:`ResilientCamera` (or any :class:`Reconnecting`).
        service: a :class:`hingecoach.service.Service`, or ``None``.
        clock: monotonic seconds, for the watchdog.
        sleep: how to wait (tests inject a fake).
        idle_step: the longest single wait, in seconds.
        ticks: also yield ``None`` after each wait of an outage, so the consumer can go on
            with everything that does not need a frame (saying "I've lost the camera",
            hearing commands) while the camera is away.
    """
    while service is None or not service.stop_requested:
        item = device.read()
        if device.ended:
            return
        if service is not None:
            service.tick(clock())
        if item is None:
            sleep(min(idle_step, device.retry_in()) or idle_step)
            if ticks:
                yield None
            continue
        yield item


# --- the store --------------------------------------------------------------------------

_FULL_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_DENIED_ERRNOS: Final = frozenset({errno.EACCES, errno.EPERM})
# SQLite primary result codes (sqlite.org/rescode.html) and what they mean for recording.
# SQLite reports a full disk as SQLITE_FULL or as SQLITE_IOERR (a write that failed); it
# cannot tell a read-only file system from a folder it may not write (both are CANTOPEN or
# READONLY): storage_trouble asks the file system when it is given a path.
_SQLITE_TROUBLE: Final[dict[int, str]] = {
    3: "no_permission",   # SQLITE_PERM
    5: "locked",          # SQLITE_BUSY ("database is locked": another connection writes)
    6: "locked",          # SQLITE_LOCKED ("database table is locked")
    8: "no_permission",   # SQLITE_READONLY (and READONLY_DIRECTORY, ...)
    10: "full",           # SQLITE_IOERR
    11: "damaged",        # SQLITE_CORRUPT ("database disk image is malformed")
    13: "full",           # SQLITE_FULL
    14: "no_permission",  # SQLITE_CANTOPEN (no -wal/-shm beside it can be made)
    26: "damaged",        # SQLITE_NOTADB ("file is not a database")
}
_SQLITE_MESSAGES: Final = (  # for SQLite builds without error codes on the exception
    ("disk is full", "full"), ("disk i/o error", "full"), ("malformed", "damaged"),
    ("not a database", "damaged"), ("readonly database", "no_permission"),
    ("unable to open database file", "no_permission"), ("is locked", "locked"),
)


def on_read_only_file_system(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (or its nearest existing parent) is on a file system mounted
    read-only (``statvfs`` ``ST_RDONLY``: an SD card the kernel remounted read-only after
    errors, a ``ro`` mount). Root can write through file modes but not through this."""
    p = Path(path)
    for q in (p, *p.parents):
        try:
            return bool(os.statvfs(q).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _trouble(exc: BaseException) -> str | None:
    if isinstance(exc, StorageError):
        return exc.reason
    if isinstance(exc, StorageBusy):
        return "locked"
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _FULL_ERRNOS:
            return "full"
        if exc.errno == errno.EROFS:
            return "read_only"
        if exc.errno in _DENIED_ERRNOS:
            return "no_permission"
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE_TROUBLE.get(code & 0xFF)
        text = str(exc).lower()
        return next((reason for words, reason in _SQLITE_MESSAGES if words in text), None)
    cause = exc.__cause__ or exc.__context__
    return _trouble(cause) if cause is not None and cause is not exc else None


def storage_trouble(exc: BaseException, where: str | os.PathLike[str] | None = None) -> str | None:
    """Why ``exc`` means the progress store cannot record, or ``None`` (then it is a bug).

    - ``full``: ``OSError`` ``ENOSPC`` / ``EDQUOT``, SQLite's ``SQLITE_FULL`` or
      ``SQLITE_IOERR`` (SQLite reports a full disk as either);
    - ``read_only``: ``EROFS``, or any of these while ``where`` is on a read-only file
      system (:func:`on_read_only_file_system`);
    - ``no_permission``: ``EACCES`` / ``EPERM``, SQLite's ``SQLITE_READONLY`` /
      ``SQLITE_CANTOPEN`` / ``SQLITE_PERM``;
    - ``damaged``: SQLite's ``SQLITE_CORRUPT`` ("database disk image is malformed") or
      ``SQLITE_NOTADB`` ("file is not a database");
    - ``locked``: SQLite's ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` ("database is locked": another
      connection held the write lock for the whole busy timeout), or
      :class:`~hingecoach.errors.StorageBusy`. Not lasting trouble: :class:`RecordingGuard`
      delays such a write rather than stopping, except when the store cannot be opened.

    A :class:`~hingecoach.errors.StorageError` carries its reason; causes are followed.
    ``where``: the database file or its folder, to tell a read-only file system from a
    folder this user may not write.
    """
    reason = _trouble(exc)
    if reason in ("full", "no_permission") and where is not None and on_read_only_file_system(where):
        return "read_only"
    return reason


def is_storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` means "the disk cannot take more writes": a full disk (``ENOSPC``,
    ``EDQUOT``, ``SQLITE_FULL``, ``SQLITE_IOERR``) or a read-only file system (``EROFS``).
    See :func:`storage_trouble` for every reason a store stops recording."""
    return _trouble(exc) in ("full", "read_only")


class RecordingGuard:
    """Wraps a store so storage trouble stops recording instead of stopping the coach.

    Every method of the wrapped store is callable through the guard. A call that fails
    with :func:`storage_trouble` (a full disk, a read-only file system, no permission, a
    damaged database) turns recording off, reports ``recording_stopped`` once (its
    ``reason`` says which), and returns ``None``; afterwards every call is skipped (returns
    ``None``) except the methods named in ``passthrough`` (reads such as ``load_level``,
    and ``close``), which still run but are guarded the same way. Other errors propagate:
    they are bugs.

    A call that finds the database locked by another program (``locked``: SQLite's busy
    timeout ran out) wrote nothing and may well succeed later: recording goes on, the first
    such call reports ``recording_delayed`` (once per guard: a lock that comes and goes is
    not announced again), and the call raises :class:`~hingecoach.errors.StorageBusy` so
    the caller can keep what it was writing and try again (``StoreRecorder`` does). A store
    that cannot even be opened because of a lock stops recording (``recording_stopped``,
    ``locked``): there is nothing to write into yet.

    Args:
        store: the store object (e.g. the coach's SQLite store), or ``None`` when it could
            not even be opened (see :meth:`open`).
        clock: monotonic seconds.
        on_event: called with the one ``recording_stopped`` :class:`DeviceEvent`.
        passthrough: method names still called after recording stopped.
        where: the database file, to tell a read-only file system from a permission
            problem (default: the store's ``path`` attribute, if it has one).

    Attributes:
        reason: why recording stopped (:func:`storage_trouble`), or ``None``.

    Wiring::

        store = RecordingGuard.open(lambda: Store(cfg.data_dir() / "hingecoach.db"),
                                    on_event=events.append, passthrough={"load_level", "close"})
        store.add_rep(...)          # None and an event if the disk is full, never raises for it
    """

    def __init__(
        self,
        store: Any,
        *,
        clock: Clock = time.monotonic,
        on_event: Callable[[DeviceEvent], None] | None = None,
        passthrough: Iterable[str] = ("close",),
        where: str | os.PathLike[str] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_event = on_event
        self._passthrough = frozenset(passthrough)
        self._where = where if where is not None else getattr(store, "path", None)
        self.recording = store is not None
        self.reason: str | None = None
        self.events: list[DeviceEvent] = []
        self.skipped = 0
        self.delayed = 0
        """Calls that found the database locked (and raised StorageBusy)."""
        self._calls_done = 0

    @classmethod
    def open(cls, factory: Callable[[], Any], **kwargs: Any) -> RecordingGuard:
        """Open the store with ``factory``; storage trouble at opening (:func:`storage_trouble`)
        gives a non-recording guard that has reported ``recording_stopped``; other errors
        propagate."""
        guard_clock = kwargs.get("clock", time.monotonic)
        try:
            store = factory()
        except Exception as exc:
            reason = storage_trouble(exc, kwargs.get("where"))
            if reason is None:
                raise
            guard = cls(None, **kwargs)
            guard._stop(guard_clock(), exc, reason)
            return guard
        return cls(store, **kwargs)

    @property
    def store(self) -> Any:
        """The wrapped store (``None`` if it could not be opened)."""
        return self._store

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._store is None:
            return self._skip
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not self.recording and name not in self._passthrough:
                self.skipped += 1
                return None
            try:
                out = attr(*args, **kwargs)
            except Exception as exc:
                reason = storage_trouble(exc, self._where)
                if reason == "locked":
                    self._delay(self._clock(), exc)
                    raise StorageBusy(f"{self._where or 'the progress database'} is locked by "
                                      f"another program: {name} wrote nothing; try it again later") from exc
                if reason is None:
                    raise
                self._stop(self._clock(), exc, reason)
                return None
            self._calls_done += 1
            return out

        return guarded

    def _skip(self, *args: Any, **kwargs: Any) -> None:
        self.skipped += 1
        return None

    def _delay(self, now: float, exc: BaseException) -> None:
        self.delayed += 1
        if any(e.kind == "recording_delayed" for e in self.events):
            return
        event = DeviceEvent(now, "recording_delayed", "store", _describe(exc),
                            at_start=self._calls_done == 0, reason="locked")
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    def _stop(self, now: float, exc: BaseException, reason: str) -> None:
        if not self.recording and self.events:
            return
        self.recording = False
        self.reason = reason
        event = DeviceEvent(now, "recording_stopped", "store", _describe(exc),
                            at_start=self._calls_done == 0, reason=reason)
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)


@dataclass
class EventQueue:
    """A plain list the wrappers append to and the loop drains once per frame.

    ``on_event=queue.put`` on each wrapper, then ``for ev in queue.drain(): ...``. A wrapper
    may put from another thread (the microphone's listener): an event put while the loop
    drains is kept for the next drain.
    """

    items: list[DeviceEvent] = field(default_factory=list)

    def put(self, event: DeviceEvent) -> None:
        """Add an event."""
        self.items.append(event)

    def drain(self) -> list[DeviceEvent]:
        """Take every pending event, oldest first."""
        out = self.items[:]
        del self.items[: len(out)]  # (not a swap: a put from another thread could land in the old list)
        return out
