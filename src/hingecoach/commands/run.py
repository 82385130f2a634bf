"""``hingecoach run``: a coached session, live from a camera or replayed from a video/trace.

    hingecoach run --source SOURCE [--commands "T:phrase,T:phrase"] [--transcript FILE]
                   [--no-voice] [--speaker none|wav:DIR|device] [--data-dir DIR] [--user NAME]

Prints each cue as it is said, writes the JSON Lines transcript, and saves every completed
rep to the progress database as it happens.
"""

from __future__ import annotations

import argparse
import contextlib
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


def check_transcript_path(transcript: str | None, data_dir: str | None, config: str | None,
                          source: str | None = None) -> None:
    """``--transcript`` must not be written over the pose input, the ``--config`` file or the
    progress database (``run --source s.jsonl --transcript s.jsonl`` left a 0-byte trace;
    ``--transcript DATA/hingecoach.db`` replaced every saved session with JSON): refused
    before anything is opened for writing."""
    from hingecoach.commands._common import refuse_overwriting_database, refuse_overwriting_input
    from hingecoach.store.paths import db_path

    if not transcript or transcript == "-":
        return
    if source and not source.startswith("synthetic"):  # camera specs name no file
        refuse_overwriting_input(transcript, source, "--transcript", suffix=".jsonl")
    if config:
        refuse_overwriting_input(transcript, config, "--transcript", suffix=".jsonl",
                                 what="the --config file", loses="the settings")
    refuse_overwriting_database(transcript, db_path(data_dir), "--transcript", suffix=".jsonl")


def handle(args: argparse.Namespace) -> int:
    from hingecoach.app import (
        is_live,
        is_off,
        parse_commands,
    )
    from hingecoach.commands._common import refuse_transcript_in_wav_folder

    commands = parse_commands(args.commands)
    data_dir, user_name, units, record = session_settings(args)
    check_pace(args.pace)
    live = is_live(args.source)
    check_transcript_path(args.transcript, data_dir, getattr(args, "config", None),
                          None if live else args.source)
    refuse_transcript_in_wav_folder(args.transcript, args.speaker)
    speaker_spec = args.speaker if args.speaker != "auto" else ("device" if live else "none")
    if args.speaker == "auto" and is_off(args.voice_settings.get("audio.output")):
        speaker_spec = "none"  # the config says no speaker: transcript only
    args.cue_wav_dir = None
    if not live and speaker_spec.startswith("wav:"):
        # a replay races ahead of a live speaker, which drops lines gone stale: write one WAV
        # per transcript cue afterwards, stamped with session time (as the demo does)
        args.cue_wav_dir, speaker_spec = speaker_spec[4:] or "out/speech", "none"
        from hingecoach.audio.sinks import make_wav_folder

        make_wav_folder(args.cue_wav_dir)  # now, not after the whole session has been coached
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
    from hingecoach.commands._progress import Progress
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
        # live (the service) with no sound device: the transcript only, as doctor says; WAV
        # files of every cue of every workout would pile up in the working folder
        speaker, voice_intents, voice = open_voice(speaker_spec, live and not args.no_voice, on_event=events.put,
                                                   settings=getattr(args, "voice_settings", {}),
                                                   fallback_dir=None if live else "out/speech")
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
