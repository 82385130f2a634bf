"""Helpers shared by several sub-commands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from hingecoach.errors import InputError
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.trace import TraceReader, looks_like_trace


def open_pose_input(path: str, *, progress: bool = False) -> tuple[FrameInfo, Iterator[Pose]]:
    """Open a trace (JSON Lines) or a video as a pose stream.

    Traces are read without importing mediapipe or OpenCV; videos go through the pose
    estimator (``hingecoach.pose.video``), imported only then.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file: check the path")
    if p.is_dir():
        raise InputError(f"{path}: is a directory: pass a .jsonl pose trace or a video file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{path}: cannot be read: check its permissions")
    if looks_like_trace(p):
        reader = TraceReader(p)
        return reader.info, iter(reader)
    try:
        from hingecoach.pose import video
    except ImportError as exc:  # the pose stack is not installed
        raise InputError(f"{path}: reading video needs the pose extra ({exc.name} missing): "
                         "run ./script/setup or pip install 'hingecoach[pose]'") from exc
    return video.open_video_poses(str(p), progress=progress)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same file on disk when both exist (a hard link or
    a symlink counts), else the same absolute path once ``..`` and links are resolved."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists() and os.path.samefile(pa, pb):
            return True
        return pa.resolve() == pb.resolve()
    except (OSError, RuntimeError):  # an unreadable folder, a symlink loop: not provably one file
        return False


def _another_name(out: str | os.PathLike[str], flag: str, suffix: str | None) -> str:
    o = Path(out)
    return f"{flag} {o.with_name(o.stem + '-out' + (suffix or o.suffix))}"


def refuse_overwriting_input(out: str | os.PathLike[str], source: str | os.PathLike[str], flag: str,
                             suffix: str | None = None, what: str = "the input itself",
                             loses: str = "the recording") -> None:
    """An output that is the input file itself would destroy the recording before it is read
    (``record clip.mp4 --out clip.mp4`` did: review, session 12). ``what`` names the input in
    the message (``the --config file``), ``loses`` what writing over it would destroy."""
    if str(out) == "-":  # standard output
        return
    if same_file(out, source):
        raise InputError(f"{flag} {out} is {what}: writing it would destroy {loses}: "
                         f"name another file, e.g. {_another_name(out, flag, suffix)}")


def refuse_overwriting_database(out: str | os.PathLike[str] | None, db: str | os.PathLike[str], flag: str,
                                suffix: str | None = None) -> None:
    """An output written over the progress database, or its ``-wal``/``-shm`` side file, would
    replace every saved session (``export --out DATA/hingecoach.db`` did).
    Called before anything is written; ``None`` or ``-`` (standard output) is no file."""
    if out is None or str(out) == "-":
        return
    from hingecoach.store.db import side_files

    db = Path(db)
    for path in (db, *side_files(db)):
        if same_file(out, path):
            what = "the progress database" if path == db else f"a side file of the progress database {db}"
            raise InputError(f"{flag} {out} is {what}: writing it would destroy the saved history: "
                             f"name another file, e.g. {_another_name(out, flag, suffix)}")


def refuse_overwriting_default_database(out: str | os.PathLike[str] | None, flag: str,
                                        suffix: str | None = None) -> None:
    """For commands that write a file but take no ``--data-dir`` (``record``, ``simulate``,
    ``analyze --overlay``): the user's progress database, wherever the environment and the
    config put it, is no place for it either. A config that cannot be read is left for the
    commands that use it to report."""
    if out is None or str(out) == "-":
        return
    from hingecoach.errors import HingeError
    from hingecoach.store.paths import db_path

    try:
        db = db_path()
    except (HingeError, OSError, RuntimeError, KeyError):  # no config, no home folder: no database to guard
        return
    refuse_overwriting_database(out, db, flag, suffix)


def refuse_transcript_in_wav_folder(transcript: str | None, speaker: str) -> None:
    """``--speaker wav:DIR`` writes ``DIR/transcript.tsv``: a ``--transcript`` of that name
    would be written over by it (or write over it)."""
    if not transcript or transcript == "-" or not speaker.startswith("wav:"):
        return
    tsv = Path(speaker[4:] or "out/speech") / "transcript.tsv"
    if same_file(transcript, tsv):
        raise InputError(f"--transcript {transcript} is the transcript.tsv that --speaker {speaker} writes: "
                         f"one would destroy the other: name another file, e.g. "
                         f"{_another_name(transcript, '--transcript', '.jsonl')}")
