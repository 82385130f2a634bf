"""``hingecoach demo``: a full coached session on the synthetic athlete, no camera needed.

The athlete walks in facing the camera (the coach asks for a side-on view), stands for
calibration, does a wall-drill set that earns a step further from the wall, rests, then
asks for the hinge drill and does a free set in which the knees start to drift forward,
get corrected, and are fixed; "stop" ends it with a summary. Cues print as they are said;
with no sound device they are written as WAV files and the command says where.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from typing import Any

from hingecoach.config import add_config_arguments, config_from_args
from hingecoach.errors import DeviceError, InputError

DEMO_COMMANDS = "0.5:start wall drill,80:start hinge drill,126:stop"
"""What the demo athlete says, and when (seconds of the synthetic session)."""


def coached_demo_session() -> Any:
    """The demo's synthetic session (see the module docstring for the story)."""
    from hingecoach.sim import Camera, RepSpec, Segment, Session, Spoil

    def wall_rep(depth: float, knee: float) -> Segment:
        # Soft knees and upright shins send the hips ~14 cm back: enough for 6 and 8 in.
        return Segment("rep", rep=RepSpec(depth=depth, descent_s=1.5, hold_s=0.3, ascent_s=1.3,
                                          knee=knee, shin=2.0, head=2.0))

    def free_rep(depth: float, *, knees: bool = False) -> Segment:
        if knees:
            # a squat-pattern rep: the knees go far forward, the torso stays fairly upright
            return Segment("rep", rep=RepSpec(depth=depth, descent_s=1.4, hold_s=0.2, ascent_s=1.2,
                                              knee=112.0, shin=35.0, faults=("knees_forward",)))
        return Segment("rep", rep=RepSpec(depth=depth, descent_s=1.5, hold_s=0.2, ascent_s=1.3,
                                          knee=16.0, shin=3.0, head=1.0))

    segs = [Segment("absent", 0.6), Segment("walk_in", 2.0, yaw=80.0),
            Segment("idle", 5.0, yaw=80.0),           # facing the camera: "turn sideways"
            Segment("idle", 9.0)]                     # side-on: framing fine, calibration
    for depth, knee in ((62, 24), (66, 25), (64, 23), (68, 24), (65, 25)):
        segs += [wall_rep(depth, knee), Segment("idle", 1.2)]
    segs += [Segment("idle", 4.0)]                    # steps out to the new distance
    for depth, knee in ((66, 25), (63, 24), (67, 25)):
        segs += [wall_rep(depth, knee), Segment("idle", 1.2)]
    segs += [Segment("idle", 25.0)]                   # set ends, rest, asks for hinges
    for depth, knees in ((70, False), (72, False), (45, True), (48, True), (44, True),
                         (71, False), (73, False), (69, False), (72, False)):
        segs += [free_rep(depth, knees=knees), Segment("idle", 1.4)]
    segs += [Segment("idle", 6.0)]
    return Session(segments=segs, camera=Camera(width=640, height=480, fps=30.0, facing=1),
                   spoil=Spoil(jitter=0.002), seed=4)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo", help="a coached session on the synthetic athlete (no camera needed)",
        description="Run a full coached session on the synthetic athlete: setup, a wall-drill "
                    "set with a progression, a free set with a fault corrected and fixed, "
                    "and a summary, printing the transcript as it goes.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--transcript", metavar="FILE", default=None,
                   help="also write the transcript as JSON Lines to FILE")
    p.add_argument("--speaker", default="auto",
                   help="none | wav:DIR | device; auto = the sound device, else WAV files in a "
                        "new temporary directory")
    p.add_argument("--data-dir", default=None,
                   help="progress database directory (default: a fresh temporary one, so the "
                        "demo always begins at the first wall distance)")
    p.add_argument("--pace", type=float, default=None, metavar="X",
                   help="play at X times real time (default: as fast as possible)")
    p.add_argument("--json", action="store_true", help="print JSON Lines instead of text")
    add_config_arguments(p)
    p.set_defaults(func=handle)


def _has_sound_device() -> bool:
    from hingecoach.audio.sinks import DeviceSink

    try:
        DeviceSink().close()
    except (DeviceError, OSError):
        return False
    return True


def _audio_plan(spec: str) -> tuple[str, str | None]:
    """("live", None) to speak through the sound device in real time, ("wav", DIR) to write
    every cue of the transcript as a WAV file in order, or ("none", None)."""
    if spec == "none":
        return "none", None
    if spec.startswith("wav:") and spec[4:]:
        return "wav", spec[4:]
    if spec == "device" or (spec == "auto" and _has_sound_device()):
        return "live", None
    if spec == "auto":
        where = tempfile.mkdtemp(prefix="hingecoach-demo-cues-")
        print(f"hingecoach demo: no sound device here; the spoken cues go to WAV files in {where}",
              file=sys.stderr)
        return "wav", where
    raise InputError(f"--speaker {spec!r}: use auto, device, none or wav:DIR")


def handle(args: argparse.Namespace) -> int:
    from hingecoach.app import Transcript, parse_commands, run_session, write_cue_wavs
    from hingecoach.coach.coach import Coach
    from hingecoach.coach.cues import count_of
    from hingecoach.commands._common import refuse_transcript_in_wav_folder
    from hingecoach.commands._progress import Progress
    from hingecoach.commands.run import check_pace, check_transcript_path
    from hingecoach.resilience import EventQueue
    from hingecoach.sim import render
    from hingecoach.store.paths import db_path

    check_pace(args.pace)
    # without --data-dir the demo's database is a temporary one, but the user's own (the
    # default) is no place for a transcript either
    check_transcript_path(args.transcript, args.data_dir, getattr(args, "config", None))
    refuse_transcript_in_wav_folder(args.transcript, args.speaker)
    if args.data_dir and not config_from_args(args).get("privacy.record_history"):
        print("hingecoach demo: privacy.record_history is false: nothing is saved in --data-dir "
              f"{args.data_dir}", file=sys.stderr)
        args.data_dir = None  # a temporary database, gone when the demo ends
    info, poses, _truth = render(coached_demo_session())
    mode, wav_dir = _audio_plan(args.speaker)
    if wav_dir is not None:
        from hingecoach.audio.sinks import make_wav_folder

        make_wav_folder(wav_dir)  # now, not after the whole story has been coached
    speaker = None
    if mode == "live":
        from hingecoach.app import make_speaker

        speaker = make_speaker("device", fallback_dir=None)
        if args.pace is None:
            args.pace = 1.0  # spoken cues need the session's own pace
    with tempfile.TemporaryDirectory(prefix="hingecoach-demo-data-") as scratch:
        # as `run` records: storage trouble or another program's lock never stops the coaching
        events = EventQueue()
        progress = Progress(db_path(args.data_dir or scratch), "hingecoach demo",
                            on_event=events.put)
        try:
            progress.open("demo", "in", True, "synthetic:coached-demo")
            recorder = progress.recorder
            coach = Coach(units=progress.user.units, levels=progress.levels,
                          aspect=info.width / info.height, recorder=recorder)

            def notices() -> list[str]:  # once a frame: the store's notices, said aloud
                progress.tick()
                return [e.notice for e in events.drain() if e.notice]

            transcript = Transcript(args.transcript, sys.stdout, echo_json=args.json)
            try:
                result = run_session(info, poses, coach, speaker=speaker, transcript=transcript,
                                     commands=parse_commands(DEMO_COMMANDS), pace=args.pace,
                                     notices=notices)
            finally:
                transcript.close()
                recorder.close()
                if speaker is not None:
                    speaker.close()
            saved = f"; {progress.saved_line()}" if args.data_dir else ""
            print(f"hingecoach demo: {count_of(coach.total_reps, 'rep')} coached in {count_of(coach.sets_done, 'set')}, "
                  f"{count_of(result.cues, 'cue')}{saved}", file=sys.stderr)
            if wav_dir is not None:
                n = write_cue_wavs(transcript.lines, wav_dir)
                print(f"hingecoach demo: {n} spoken cues written as WAV files to {wav_dir}",
                      file=sys.stderr)
        finally:
            progress.close()
    return 0
