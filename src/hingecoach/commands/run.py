"""``hingecoach run``: a coached session, live from a camera or replayed from a video/trace.

    hingecoach run --source SOURCE [--commands "T:phrase,T:phrase"] [--transcript FILE]
                   [--no-voice] [--speaker none|wav:DIR|device] [--data-dir DIR] [--user NAME]

Prints each cue as it is said, writes the JSON Lines transcript, and saves every completed
rep to the progress database as it happens.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hingecoach.config import add_config_arguments, config_from_args
from hingecoach.errors import InputError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run", help="run a coached session (live camera, video or trace)",
        description="Run a coached hinge session. The session starts when a drill is asked "
                    "for: by voice (live), or with --commands \"0.5:start hinge drill\".",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--source", required=True,
                   help="picamera2, camera:N, a video file, a .jsonl pose trace or synthetic[:...]")
    p.add_argument("--commands", default="",
                   help='scripted voice commands, "SECONDS:phrase,SECONDS:phrase" '
                        '(e.g. "0.5:start wall drill,40:next level")')
    p.add_argument("--transcript", metavar="FILE", default=None,
                   help="write every cue as JSON Lines to FILE ('-' = stdout)")
    p.add_argument("--no-voice", action="store_true",
                   help="do not listen to the microphone (scripted --commands only)")
    p.add_argument("--speaker", default="auto",
                   help="none | wav:DIR | device; auto = device for live cameras, none for replays")
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
    """(data-dir flag, user name, units or None, record history) from flags > config."""
    import os

    cfg = config_from_args(args, {"user.name": args.user, "user.units": args.units})
    data_dir = args.data_dir
    if not data_dir and not os.environ.get("HINGECOACH_DATA_DIR") and cfg.get("paths.data_dir"):
        data_dir = str(cfg.get("paths.data_dir"))
    units = cfg.get("user.units") if cfg.origin("user.units") != "default" else None
    return data_dir, str(cfg.get("user.name")), units, bool(cfg.get("privacy.record_history"))


def handle(args: argparse.Namespace) -> int:
    from hingecoach.app import (
        Transcript,
        is_live,
        iterate,
        open_poses,
        open_voice,
        parse_commands,
        run_session,
    )
    from hingecoach.coach.coach import Coach, NullRecorder
    from hingecoach.resilience import RecordingGuard
    from hingecoach.store.db import Store, User
    from hingecoach.store.paths import db_path
    from hingecoach.store.recorder import StoreRecorder

    commands = parse_commands(args.commands)
    data_dir, user_name, units, record = session_settings(args)
    if args.pace is not None and args.pace <= 0:
        raise InputError(f"--pace {args.pace}: must be a positive speed factor (1 = real time)")
    live = is_live(args.source)
    speaker_spec = args.speaker if args.speaker != "auto" else ("device" if live else "none")
    source = open_poses(args.source)
    # A full disk stops recording, never the coaching (the Pi helper's RecordingGuard).
    events: list[Any] = []
    store = RecordingGuard.open(lambda: Store(db_path(data_dir)), on_event=events.append,
                                passthrough=("levels", "close"))
    try:
        listen = live and not args.no_voice
        speaker, live_intents, voice = open_voice(speaker_spec, listen)
        user = store.user(user_name, units) or User(0, user_name, units or "in")
        recorder = StoreRecorder(store, user, args.source) if record else None
        info = source.info
        coach = Coach(units=user.units, levels=store.levels(user.id) or {},
                      aspect=info.width / info.height, recorder=recorder or NullRecorder())

        def notices() -> list[str]:
            out = [e.notice for e in events if e.notice]
            events.clear()
            return out

        echo = None if args.quiet or args.transcript == "-" else sys.stdout
        transcript = Transcript(args.transcript, echo)
        try:
            result = run_session(info, iterate(source), coach, speaker=speaker,
                                 transcript=transcript, commands=commands, rebase=live,
                                 pace=args.pace, notices=notices, live_intents=live_intents)
        finally:
            transcript.close()
            if recorder is not None:
                recorder.close()
            close = getattr(voice or speaker, "close", None)
            if callable(close):
                close()
        where = (f"progress saved in {db_path(data_dir)}" if store.recording and record
                 else "progress NOT saved")
        print(f"hingecoach run: {result.frames} frames, {coach.total_reps} coached reps, "
              f"{result.cues} cues; {where}", file=sys.stderr)
    finally:
        store.close()
    return 0
