"""``hingecoach run``: a coached session, live from a camera or replayed from a video/trace.

    hingecoach run --source SOURCE [--commands "T:phrase,T:phrase"] [--transcript FILE]
                   [--no-voice] [--speaker none|wav:DIR|device] [--data-dir DIR] [--user NAME]

Prints each cue as it is said, writes the JSON Lines transcript, and saves every completed
rep to the progress database as it happens.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from hingecoach.config import add_config_arguments, config_from_args
from hingecoach.errors import InputError
from hingecoach.service import Service

GOODBYE = "Saving your progress. See you next time."
"""Said when the service is asked to stop (SIGTERM), after the last rep is saved."""

STOP_WAIT_S = 5.0
"""After SIGTERM, how long in all the writes still waiting for another program's lock may
wait for it (systemd's TimeoutStopSec is 20 s: the goodbye and the closing line must come
well before it; otherwise, at the end of the input, the store's busy timeout, 10 s)."""

START_WAIT_S = 1.5
"""How long opening the progress database, and then reading the saved levels, each wait
for another program's lock before coaching begins without them (a lock that keeps even
readers out: ``locking_mode=EXCLUSIVE``). Waiting SQLite's whole busy timeout for each held
the start for 20 s."""


def _serviced(poses: Iterable[Any], svc: Any) -> Iterator[Any]:
    """Poses until the stream ends or a stop is requested, pinging the watchdog per frame."""
    for pose in poses:
        if svc.stop_requested:
            return
        svc.tick(time.monotonic())
        yield pose


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run", help="run a coached session (live camera, video or trace)",
        description="Run a coached hinge session. The session starts when a drill is asked "
                    "for: by voice (live), or with --commands \"0.5:start hinge drill\".",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--source", default=None,
                   help="picamera2, camera:N, a video file, a .jsonl pose trace or synthetic[:...] "
                        "(default: camera.source from the config, picamera2 unless set)")
    p.add_argument("--commands", default="",
                   help='scripted voice commands, "SECONDS:phrase,SECONDS:phrase" '
                        '(e.g. "0.5:start wall drill,40:next level")')
    p.add_argument("--transcript", metavar="FILE", default=None,
                   help="write every cue as JSON Lines to FILE ('-' = stdout)")
    p.add_argument("--no-voice", action="store_true",
                   help="do not listen to the microphone (scripted --commands only)")
    p.add_argument("--speaker", default="auto",
                   help="none | wav:DIR | device; auto = device for live cameras (none when the "
                        "config's audio.output is none), none for replays. wav:DIR on a replay "
                        "writes one WAV per cue after it, with transcript.tsv in session time")
    p.add_argument("--data-dir", default=None,
                   help="progress database directory (default: $HINGECOACH_DATA_DIR, else "
                        "paths.data_dir from the config, else $XDG_DATA_HOME/hingecoach, else "
                        "~/.local/share/hingecoach)")
    p.add_argument("--user", default=None,
                   help="whose progress to load and save (default: user.name from the config)")
    p.add_argument("--units", choices=("in", "cm"), default=None,
                   help="wall distances in inches or centimetres (default: user.units from the "
                        "config when set there, else what this user used last, else in)")
    p.add_argument("--pace", type=float, default=None, metavar="X",
                   help="replay at X times real time (default: as fast as possible)")
    p.add_argument("--quiet", action="store_true", help="do not print the cues")
    add_config_arguments(p)
    p.set_defaults(func=handle)


def session_settings(args: argparse.Namespace) -> tuple[str | None, str, str | None, bool]:
    """(data-dir flag, user name, units or None, record history) from flags > config.

    Also settles ``args.source``: the flag, else ``camera.source`` from the config (which is
    how the systemd service starts it: ``hingecoach run`` with no flags). The user name
    comes without the spaces around it; a blank ``--user`` is an InputError saying so."""
    import os

    from hingecoach.store.db import clean_name

    if args.user is not None:
        args.user = clean_name(args.user)  # before the config's check, which says less
    cfg = config_from_args(args, {"user.name": args.user, "user.units": args.units,
                                  "camera.source": args.source})
    if not args.source:
        args.source = str(cfg.get("camera.source"))
        args.camera_info = (int(cfg.get("camera.width")), int(cfg.get("camera.height")),
                            float(cfg.get("camera.fps")))
    data_dir = args.data_dir
    if not data_dir and not os.environ.get("HINGECOACH_DATA_DIR") and cfg.get("paths.data_dir"):
        data_dir = str(cfg.get("paths.data_dir"))
    units = cfg.get("user.units") if cfg.origin("user.units") != "default" else None
    args.voice_settings = {k: cfg.get(k) for k in ("audio.input", "audio.output", "audio.volume",
                                                   "voice.engine", "voice.tts")
                           if cfg.origin(k) != "default"}  # unset: the voice package's own defaults
    return (data_dir, clean_name(str(cfg.get("user.name"))), units,
            bool(cfg.get("privacy.record_history")))


#: --pace bounds: at 1e-9 a replay slept for ever between frames, deaf to SIGTERM and Ctrl-C
#: (a signal only sets a flag the frame loop reads); at 0.05 a 30 fps frame waits 0.7 s.
MIN_PACE, MAX_PACE = 0.05, 1000.0


def check_pace(pace: float | None) -> None:
    """--pace must be a speed the replay can keep (None = as fast as possible)."""
    if pace is not None and not MIN_PACE <= pace <= MAX_PACE:  # also NaN, inf
        raise InputError(f"--pace {pace:g}: give a replay speed from {MIN_PACE:g} to {MAX_PACE:g} times "
                         "real time (1 = real time; leave it out for as fast as possible)")


def recording_stopped_line(path: Any, event: Any) -> str:
    """The one stderr line for a ``recording_stopped`` event of the store at ``path``: what
    is wrong, that progress is not being saved while coaching goes on, and the fix."""
    from hingecoach.store.db import storage_problem

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
    from hingecoach.store.db import storage_problem

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
        from hingecoach.errors import StorageBusy
        from hingecoach.resilience import RecordingGuard
        from hingecoach.store.db import Store, User
        from hingecoach.store.queries import DatabaseLocked, load_saved_progress
        from hingecoach.store.recorder import WRITE_WAIT_S, StoreRecorder

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


def handle(args: argparse.Namespace) -> int:
    from hingecoach.app import (
        is_live,
        is_off,
        parse_commands,
    )

    commands = parse_commands(args.commands)
    data_dir, user_name, units, record = session_settings(args)
    check_pace(args.pace)
    live = is_live(args.source)
    speaker_spec = args.speaker if args.speaker != "auto" else ("device" if live else "none")
    if args.speaker == "auto" and is_off(args.voice_settings.get("audio.output")):
        speaker_spec = "none"  # the config says no speaker: transcript only
    args.cue_wav_dir = None
    if not live and speaker_spec.startswith("wav:"):
        # a replay races ahead of a live speaker, which drops lines gone stale: write one WAV
        # per transcript cue afterwards, stamped with session time (as the demo does)
        args.cue_wav_dir, speaker_spec = speaker_spec[4:] or "out/speech", "none"
    svc = Service.from_env()  # sd_notify under systemd; a no-op in a terminal
    with svc.handle_signals():
        return _serve(args, svc, commands, data_dir, user_name, units, record, live, speaker_spec)


def _serve(args: argparse.Namespace, svc: Any, commands: list[Any], data_dir: str | None,
           user_name: str, units: str | None, record: bool, live: bool,
           speaker_spec: str) -> int:
    from hingecoach.app import (
        TimedIntent,
        Transcript,
        iterate,
        open_poses,
        open_voice,
        run_session,
        write_cue_wavs,
    )
    from hingecoach.coach.coach import Coach, NullRecorder
    from hingecoach.coach.cues import count_of
    from hingecoach.pose.landmarks import FrameInfo
    from hingecoach.resilience import EventQueue, ResilientCamera, live_items
    from hingecoach.store.paths import db_path

    events = EventQueue()
    if live:
        # A camera that fails or is unplugged is reopened with back-off; the coach pauses
        # meanwhile (camera_lost -> pause, camera_back -> resume) and says so.
        camera = ResilientCamera(lambda: open_poses(args.source), on_event=events.put)
        w, h, fps = getattr(args, "camera_info", None) or (640, 480, 30.0)
        info = FrameInfo(w, h, fps)
        poses: Any = live_items(camera, svc, ticks=True)  # None while the camera is away
        closer: Any = camera
    else:
        source = open_poses(args.source)
        info = source.info
        poses = _serviced(iterate(source), svc)
        closer = source
    # Storage trouble (a full disk, a read-only SD card, a folder this user may not write, a
    # damaged database, another program's lock) stops or delays recording, never the coaching.
    progress = Progress(db_path(data_dir), "hingecoach run", on_event=events.put)
    try:
        progress.open(user_name, units, record, args.source)
        speaker, voice_intents, voice = open_voice(speaker_spec, live and not args.no_voice, on_event=events.put,
                                                   settings=getattr(args, "voice_settings", {}))
        user, levels, recorder = progress.user, progress.levels, progress.recorder
        coach = Coach(units=user.units, levels=levels,
                      aspect=info.width / info.height, recorder=recorder or NullRecorder())
        device_intents: list[TimedIntent] = []

        def notices() -> list[str]:  # once a frame, after its cues went to the speaker
            progress.tick()  # between workouts: writes a lock kept are tried again
            out = []
            for e in events.drain():  # the microphone's arrive from the listener's thread
                if e.notice:
                    out.append(e.notice)
                if e.kind == "camera_lost":
                    device_intents.append(TimedIntent(0.0, "pause"))
                elif e.kind == "camera_back":
                    device_intents.append(TimedIntent(0.0, "resume"))
            return out

        def live_intents() -> list[TimedIntent]:
            heard = voice_intents() if voice_intents is not None else []
            out = device_intents + heard
            device_intents.clear()
            return out

        echo = None if args.quiet or args.transcript == "-" else sys.stdout
        transcript = Transcript(args.transcript, echo)
        svc.ready("waiting for 'start hinge drill'" if live else f"replaying {args.source}")
        try:
            result = run_session(info, poses, coach, speaker=speaker,
                                 transcript=transcript, commands=commands, rebase=live,
                                 pace=args.pace, notices=notices, live_intents=live_intents,
                                 stopped=lambda: bool(svc.stop_requested))
        finally:
            if svc.stop_requested:
                svc.stopping()
                if speaker is not None:
                    speaker.say(GOODBYE, 2, "info")
            transcript.close()
            if recorder is not None:  # finishes the database write; a lock: one bounded wait
                recorder.close(STOP_WAIT_S if svc.stop_requested else None)
            close = getattr(voice or speaker, "close", None)
            if callable(close):
                close()
            with contextlib.suppress(Exception):
                closer.close()
        where = progress.saved_line()
        print(f"hingecoach run: {result.frames} frames, {count_of(coach.reps_coached, 'coached rep')}, "
              f"{count_of(result.cues, 'cue')}; {where}", file=sys.stderr)
        if args.cue_wav_dir:
            n = write_cue_wavs(transcript.lines, args.cue_wav_dir)
            print(f"hingecoach run: {n} spoken cues written as WAV files to {args.cue_wav_dir}", file=sys.stderr)
        if result.frames and not coach.transitions:
            print("hingecoach run: no drill was started: say \"start hinge drill\" (or \"start wall "
                  "drill\"), or script it with --commands \"0:start hinge drill\"", file=sys.stderr)
    finally:
        progress.close()
    return 0
