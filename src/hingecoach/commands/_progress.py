"""The progress database of a coached session, shared by ``run`` and ``demo``:
:class:`Progress` opens it through :class:`~hingecoach.resilience.RecordingGuard`, reads the
saved levels, hands the coach a :class:`~hingecoach.store.recorder.StoreRecorder`, and says
in one stderr line each what storage trouble or another program's lock did to saving."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from hingecoach.errors import StorageBusy
from hingecoach.resilience import RecordingGuard
from hingecoach.store.db import Store, User, storage_problem
from hingecoach.store.queries import DatabaseLocked, load_saved_progress
from hingecoach.store.recorder import WRITE_WAIT_S, StoreRecorder

START_WAIT_S = 1.5
"""How long opening the progress database, and then reading the saved levels, each wait
for another program's lock before coaching begins without them (a lock that keeps even
readers out: ``locking_mode=EXCLUSIVE``). Waiting SQLite's whole busy timeout for each held
the start for 20 s."""


def recording_stopped_line(path: Any, event: Any) -> str:
    """The one stderr line for a ``recording_stopped`` event of the store at ``path``: what
    is wrong, that progress is not being saved while coaching goes on, and the fix."""
    cause = str(event.detail).partition(": ")[2] if event.reason in ("damaged", "no_permission",
                                                                     "not_ours", "newer") else ""
    what, fix = storage_problem(path, event.reason or "full", cause)
    when = ("progress will not be saved this session" if event.at_start
            else "the rest of this session will not be saved (what was saved stays saved)")
    if event.variant == "unread":
        when = ("the saved levels could not be read (coaching begins at the first ones) and "
                + when)
    return f"{what}, so {when}; coaching goes on. To fix it: {fix}"


def recording_delayed_line(path: Any, event: Any) -> str:
    """The one stderr line for a ``recording_delayed`` event (a write found the database at
    ``path`` locked): saving waits, nothing is lost, and how to free it."""
    what, fix = storage_problem(path, "locked", str(event.detail).partition(": ")[2])
    return (f"{what}, so saving is delayed: coaching goes on, and what could not be written "
            f"is kept and written once the lock clears. To fix it: {fix}")


class Progress:
    """The progress database of one coached session (``run`` and ``demo``), written through
    the Pi helper's :class:`~hingecoach.resilience.RecordingGuard`: storage trouble (a full
    disk, a read-only SD card, a folder this user may not write, a damaged database) stops
    recording, another program's lock delays it, and neither stops the coaching. Each is
    told once in one stderr line starting with ``prog`` and passed on to ``on_event`` (whose
    ``notice`` the coach says). With history off the saved levels are only read: no database
    is created, no row added.

    After :meth:`open`: ``user``, ``levels`` (None: the first ones) and ``recorder`` (None
    with history off) for the coach; :meth:`tick` once a frame; ``recorder.close`` at the
    session end, then :meth:`saved_line` for the closing line and :meth:`close`."""

    def __init__(self, path: Any, prog: str, on_event: Any = None) -> None:
        self.path, self.prog, self._on_event = path, prog, on_event
        self.store: Any = None
        self.user: Any = None
        self.levels: Any = None
        self.recorder: Any = None
        self._started = False
        self._starting: list[Any] = []  # events held until the saved levels have been read

    def _event(self, event: Any) -> None:
        if not self._started:
            self._starting.append(event)
            return
        if event.kind == "recording_stopped":
            print(f"{self.prog}: {recording_stopped_line(self.path, event)}", file=sys.stderr)
        elif event.kind == "recording_delayed":
            print(f"{self.prog}: {recording_delayed_line(self.path, event)}", file=sys.stderr)
        if self._on_event is not None:
            self._on_event(event)

    def open(self, user_name: str, units: str | None, record: bool, source: str) -> None:
        """Open the database (if ``record``), and read ``user_name``'s saved progress."""
        path = self.path

        def open_store() -> Store:
            opened = Store(path, open_wait_s=START_WAIT_S)
            opened.wait_for_locks(WRITE_WAIT_S)  # the user's row and every write after it: briefly
            return opened

        store = self.store = (RecordingGuard.open(open_store, on_event=self._event, where=path,
                                                  passthrough=("levels", "close"))
                              if record else None)
        user = levels = None
        user_waits = False  # the user's row could not be written yet: the database is locked
        unread = False  # another program's lock kept the saved levels from being read
        if store is not None and store.recording:
            try:
                user = store.user(user_name, units)
                levels = store.levels(user.id) if user is not None else None
            except StorageBusy:
                user_waits = user is None
        if user is None or levels is None:  # history off, or nothing can be recorded: the
            # saved progress is still read where it can be (from a read-only card, say)
            try:
                saved_units, levels = load_saved_progress(path, user_name, START_WAIT_S)
            except DatabaseLocked:
                saved_units, levels, unread = None, {}, True
            if user is None:
                user = User(0, user_name, units or saved_units or "in")
        self.user, self.levels = user, levels
        self._started = True
        for event in self._starting:  # said now, with whether the saved levels could be read
            if unread and event.kind == "recording_stopped" and event.reason == "locked":
                event = dataclasses.replace(event, variant="unread")
            self._event(event)
        self._starting.clear()
        self.recorder = StoreRecorder(store, user, source) if store is not None else None
        if self.recorder is not None and user_waits:
            self.recorder.save_user(units)  # written with the first write the lock lets through

    def tick(self) -> None:
        """Once a frame: between workouts, writes a lock kept are tried again."""
        if self.recorder is not None:
            self.recorder.tick()

    def saved_line(self) -> str:
        """What the closing line says was saved, after ``recorder.close``."""
        store, recorder, path = self.store, self.recorder, self.path
        unsaved = recorder.unsaved() if recorder is not None else ""
        if store is None:
            return "history is off (privacy.record_history = false): nothing saved"
        if unsaved:  # the lock never cleared: say exactly what is missing
            some = recorder is not None and recorder.session_ids
            saved = f"progress saved in {path} except" if some else "progress NOT saved:"
            return f"{saved} {unsaved}, as {path} stayed locked by another program"
        if recorder is not None and not recorder.session_ids:
            return "nothing to save: no set was started" if store.recording else "progress NOT saved"
        if store.recording:
            return f"progress saved in {path}"
        # stopped mid-run: what came before the trouble is in the database
        return f"progress saved in {path} up to the storage problem reported above"

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
