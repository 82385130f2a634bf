"""Health checks behind ``hingecoach doctor``: can the coach run here, and if not, why.

Each check is a small function returning a :class:`Check`; everything it touches (paths,
device lists, commands) comes in through :class:`Probes`, so tests drive every check with
fakes. Heavy libraries are imported lazily inside the probes, and a module another part of
the project has not delivered yet is reported as "not available" rather than crashing.

A check is *required* when the coach cannot run without it (config, camera, pose model).
The others degrade gracefully (no microphone: coaching without voice commands; full disk:
coaching without saving history) and are reported as warnings. ``doctor`` exits non-zero
exactly when a required check fails.
"""

from __future__ import annotations

import ctypes.util
import glob
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hingecoach.config import Config, load_config
from hingecoach.store.paths import DB_NAME

MIN_FREE_BYTES = 200 * 1024 * 1024
"""Below this much free space we warn: a session with history writes well under 1 MB, but
the SD card also holds logs and the journal, and SQLite needs room for its WAL file."""
HOT_C = 80.0
"""CPU temperature (deg C) where the Pi 5 firmware starts to throttle the ARM cores
(Raspberry Pi documentation, "Frequency management and thermal control")."""

THROTTLE_BITS = {
    0: "under-voltage now",
    1: "ARM frequency capped now",
    2: "throttled now",
    3: "soft temperature limit active now",
    16: "under-voltage has occurred since boot",
    17: "ARM frequency capping has occurred",
    18: "throttling has occurred",
    19: "soft temperature limit has occurred",
}
"""``vcgencmd get_throttled`` bits (Raspberry Pi documentation, "vcgencmd")."""


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    Attributes:
        name: what was checked (``camera``, ``microphone``, ...).
        ok: whether it is fine.
        problem: what is wrong, or ``None``.
        fix: what to do about it, or ``None``.
        detail: what was found (``"52.3 C"``, ``"pocketsphinx 5.1.1"``), for the reader.
        required: the coach cannot run while this fails.
    """

    name: str
    ok: bool
    problem: str | None = None
    fix: str | None = None
    detail: str | None = None
    required: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: ``name``, ``ok``, ``problem``, ``fix`` plus ``detail``, ``required``."""
        return asdict(self)


def _ok(name: str, detail: str | None = None, required: bool = False) -> Check:
    return Check(name, True, None, None, detail, required)


def _bad(name: str, problem: str, fix: str, required: bool = False, detail: str | None = None) -> Check:
    return Check(name, False, problem, fix, detail, required)


# --- probes: the only place that touches the machine --------------------------------------


def _find_spec(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _picamera2_cameras() -> list[dict[str, Any]]:
    """Cameras libcamera sees (does not open them, so a running service is not disturbed)."""
    from picamera2 import Picamera2  # noqa: PLC0415 - only on the Pi

    return list(Picamera2.global_camera_info())


def _opencv_grab(index: int) -> str | None:
    """Open OpenCV device ``index`` and read one frame; the error, or ``None`` when fine."""
    from hingecoach.pose.sources import opencv  # noqa: PLC0415 - heavy, doctor only

    cv2 = opencv()

    cap = cv2.VideoCapture(index)
    try:
        if not cap.isOpened():
            return "it would not open (busy, or not a camera)"
        ok, _frame = cap.read()
        return None if ok else "it opened but gave no frame"
    finally:
        cap.release()


def _audio_devices() -> list[dict[str, Any]]:
    """``sounddevice.query_devices()`` as a list; raises OSError without libportaudio2."""
    import sounddevice  # noqa: PLC0415 - needs libportaudio2

    return [dict(d) for d in sounddevice.query_devices()]


def _inspect_database(path: str) -> tuple[int, dict[str, tuple[str, ...]]]:
    """(schema version, tables with their columns) after SQLite's ``quick_check``, read-only (nothing written,
    no side files left); raises ``DatabaseCorrupt`` / ``DatabaseUnreadable``."""
    from hingecoach.store.queries import inspect_database  # noqa: PLC0415 - doctor only

    return inspect_database(path)


def _write_locked(path: str) -> bool:
    from hingecoach.store.db import write_locked  # noqa: PLC0415 - doctor only

    return write_locked(Path(path))


def _read_only_fs(path: str) -> bool:
    from hingecoach.resilience import on_read_only_file_system  # noqa: PLC0415

    return on_read_only_file_system(path)


def _run(argv: Sequence[str]) -> str | None:
    """Run a command, returning stdout, or ``None`` when it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@dataclass
class Probes:
    """Everything the checks read from the machine; replace any field in tests.

    Attributes:
        find_spec: whether a Python module is importable (without importing it).
        picamera2_cameras: libcamera's camera list; raises ImportError off the Pi.
        opencv_grab: opens an OpenCV device and reads a frame; returns an error or None.
        audio_devices: sounddevice's device list; raises OSError without PortAudio.
        exists: ``os.path.exists``.
        disk_usage: ``shutil.disk_usage``.
        thermal_glob: glob for thermal zones.
        read_text: reads a small text file; raises OSError when unreadable.
        run: runs a command, returns stdout or None.
        find_library: ``ctypes.util.find_library``.
        import_module: imports another part of the project lazily.
        access: ``os.access``.
        is_dir: ``os.path.isdir``.
        which: ``shutil.which``.
        read_only_fs: whether a path is on a file system mounted read-only.
        inspect_database: (schema version, {table: columns}) of an SQLite file after ``quick_check``,
            read-only; raises ``hingecoach.store.queries.DatabaseCorrupt`` when damaged.
        write_locked: whether another process holds an SQLite database's write lock now.
    """

    find_spec: Callable[[str], bool] = _find_spec
    picamera2_cameras: Callable[[], list[dict[str, Any]]] = _picamera2_cameras
    opencv_grab: Callable[[int], str | None] = _opencv_grab
    audio_devices: Callable[[], list[dict[str, Any]]] = _audio_devices
    exists: Callable[[str], bool] = os.path.exists
    disk_usage: Callable[[str], Any] = shutil.disk_usage
    thermal_glob: str = "/sys/class/thermal/thermal_zone*"
    read_text: Callable[[str], str] = field(default=lambda p: Path(p).read_text(encoding="utf-8"))
    run: Callable[[Sequence[str]], str | None] = _run
    find_library: Callable[[str], str | None] = ctypes.util.find_library
    import_module: Callable[[str], Any] = importlib.import_module
    access: Callable[[str, int], bool] = os.access
    is_dir: Callable[[str], bool] = os.path.isdir
    which: Callable[[str], str | None] = shutil.which
    read_only_fs: Callable[[str], bool] = _read_only_fs
    inspect_database: Callable[[str], tuple[int, dict[str, tuple[str, ...]]]] = _inspect_database
    write_locked: Callable[[str], bool] = _write_locked


# --- the checks -----------------------------------------------------------------------------


def check_config(load: Callable[[], Config] = load_config) -> tuple[Check, Config | None]:
    """The config file parses and validates. Returns the check and the config (if valid)."""
    from hingecoach.errors import ConfigError

    try:
        cfg = load()
    except ConfigError as exc:
        return _bad("config", str(exc), "correct the value named above (allowed values are "
                    "listed), or see `hingecoach config show`", required=True), None
    where = str(cfg.path) if cfg.path else "no config file: defaults"
    return _ok("config", where, required=True), cfg


def check_camera(source: str, probes: Probes) -> Check:
    """The configured frame source can be opened."""
    name = "camera"
    if source == "picamera2":
        if not probes.find_spec("picamera2"):
            return _bad(name, "picamera2 is not importable (it comes from apt on Raspberry Pi OS)",
                        "sudo apt install python3-picamera2 and use a venv made with "
                        "--system-site-packages (pi/install.sh does both); or set "
                        "camera.source = \"camera:0\" for a USB webcam", required=True)
        try:
            cams = probes.picamera2_cameras()
        except Exception as exc:  # noqa: BLE001 - libcamera errors are varied
            return _bad(name, f"libcamera failed to list cameras ({type(exc).__name__}: {exc})",
                        "reboot; check `rpicam-hello --list-cameras`", required=True)
        if not cams:
            return _bad(name, "no camera module detected",
                        "power off, reseat the ribbon cable (both ends, contacts the right way "
                        "round), make sure /boot/firmware/config.txt has camera_auto_detect=1, "
                        "and check with `rpicam-hello --list-cameras`", required=True)
        model = cams[0].get("Model", "camera module")
        return _ok(name, f"picamera2: {model}", required=True)
    match = re.fullmatch(r"camera(?::(\d+))?|/dev/video(\d+)", source)
    if match:
        index = int(match.group(1) or match.group(2) or 0)
        dev = f"/dev/video{index}"
        if not probes.exists(dev):
            return _bad(name, f"{dev} not found", "plug in the USB webcam (check `ls /dev/video*`) "
                        "or set camera.source to the right camera:N", required=True)
        if not probes.access(dev, os.R_OK | os.W_OK):
            return _bad(name, f"no permission to open {dev}",
                        "add the user to the video group: sudo usermod -aG video $USER, then log "
                        "in again", required=True)
        if not probes.find_spec("cv2"):
            return _bad(name, "OpenCV (cv2) is not installed, needed for camera:N sources",
                        "./script/setup or pip install 'hingecoach[pose]'", required=True)
        error = probes.opencv_grab(index)
        if error:
            return _bad(name, f"{dev}: {error}", "close other programs using the camera (and "
                        "`sudo systemctl stop hingecoach` if the service holds it), then retry",
                        required=True)
        return _ok(name, f"{dev} gives frames", required=True)
    if source == "synthetic" or source.startswith("synthetic:"):
        return _ok(name, "synthetic athlete (no camera needed)", required=True)
    if not probes.exists(source):
        return _bad(name, f"camera.source file {source} not found",
                    "set camera.source to picamera2, camera:N or an existing file", required=True)
    return _ok(name, f"file {source}", required=True)


def _pick_device(devices: list[dict[str, Any]], wanted: str, channels_key: str) -> dict[str, Any] | None:
    usable = [d for d in devices if int(d.get(channels_key, 0) or 0) > 0]
    if wanted == "default":
        return usable[0] if usable else None
    if wanted.isdigit():
        index = int(wanted)
        return next((d for d in usable if d.get("index", devices.index(d)) == index), None)
    return next((d for d in usable if wanted.lower() in str(d.get("name", "")).lower()), None)


def _check_audio(name: str, wanted: str, probes: Probes, channels_key: str,
                 without: str, key: str) -> Check:
    if wanted == "none":
        return _ok(name, f"disabled (audio.{key} = \"none\"): {without}")
    try:
        devices = probes.audio_devices()
    except ImportError:
        return _bad(name, f"sounddevice is not installed: {without}",
                    "./script/setup or pip install 'hingecoach[voice]'")
    except OSError as exc:
        return _bad(name, f"the PortAudio library is missing ({exc}): {without}",
                    "sudo apt install libportaudio2")
    except Exception as exc:  # noqa: BLE001 - PortAudioError and friends
        return _bad(name, f"audio devices could not be listed ({exc}): {without}",
                    "check `aplay -l` / `arecord -l` and that the user is in the audio group")
    dev = _pick_device(devices, wanted, channels_key)
    if dev is None:
        what = "no" if wanted == "default" else f"no device matching {wanted!r} with"
        kind = "input" if channels_key == "max_input_channels" else "output"
        return _bad(name, f"{what} {kind} channels found: {without}",
                    f"plug in the USB {'microphone' if kind == 'input' else 'speaker'} and check "
                    f"`{'arecord' if kind == 'input' else 'aplay'} -l`; or set audio.{key} to a "
                    f"device name from `python -m sounddevice`")
    return _ok(name, str(dev.get("name", "device")))


def check_microphone(wanted: str, probes: Probes) -> Check:
    """An input device exists (not required: coaching goes on without voice commands)."""
    return _check_audio("microphone", wanted, probes, "max_input_channels",
                        "the coach runs without voice commands", "input")


def check_speaker(wanted: str, probes: Probes) -> Check:
    """An output device exists (not required: cues still go to the transcript)."""
    return _check_audio("speaker", wanted, probes, "max_output_channels",
                        "the coach runs silently (transcript only)", "output")


def check_speech_synthesis(engine: str, probes: Probes) -> Check:
    """pyttsx3 and libespeak-ng are there for spoken cues."""
    name = "speech synthesis"
    if engine == "none":
        return _ok(name, "disabled (voice.tts = \"none\")")
    if not probes.find_library("espeak-ng") and probes.which("espeak-ng") is None:
        return _bad(name, "espeak-ng is not installed: the coach cannot speak",
                    "sudo apt install espeak-ng libespeak-ng1")
    if engine == "pyttsx3" and not probes.find_spec("pyttsx3"):
        return _bad(name, "pyttsx3 is not installed: the coach cannot speak",
                    "./script/setup or pip install 'hingecoach[voice]'")
    return _ok(name, f"{engine} over espeak-ng")


def read_manifest(models_dir: Path, probes: Probes) -> list[dict[str, Any]]:
    """Entries of ``models/manifest.json`` (a list, or ``{"models": [...]}``, or a name map).

    Each entry is normalised to have ``name`` and ``file`` (from ``file``/``path``/
    ``filename``/``dest``) and keeps ``sha256`` when present.
    """
    for manifest in ("manifest.json", "MANIFEST.json"):
        path = models_dir / manifest
        try:
            data = json.loads(probes.read_text(str(path)))
        except OSError:
            continue
        if isinstance(data, dict) and isinstance(data.get("models"), list | dict):
            data = data["models"]
        if isinstance(data, dict):
            data = [dict(v, name=v.get("name", k)) for k, v in data.items() if isinstance(v, dict)]
        entries = []
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, dict):
                continue
            file = item.get("file") or item.get("path") or item.get("filename") or item.get("dest")
            entries.append({**item, "name": str(item.get("name", file)), "file": file})
        return entries
    return []


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_models(models_dir: Path, variant: str, probes: Probes,
                 sha256: Callable[[str], str] = _sha256) -> list[Check]:
    """The pose model for ``pose.model`` is present with the right sha256 (required), and the
    other manifest entries are present and intact (warnings).

    Uses ``hingecoach.pose.models`` (``load_manifest`` and ``check``) when it is there, so
    doctor and the estimator judge a model file the same way; otherwise reads
    ``models/manifest.json`` itself.
    """
    checks: list[Check] = []
    if not probes.find_spec("mediapipe"):
        checks.append(_bad("pose runtime", "mediapipe is not installed: no pose estimation",
                           "./script/setup (or pi/install.sh on the Pi)", required=True))
    try:
        api = probes.import_module("hingecoach.pose.models")
    except ImportError:
        api = None
    if api is not None and callable(getattr(api, "load_manifest", None)) and callable(
            getattr(api, "check", None)):
        return checks + _checks_from_pose_api(api, models_dir, variant)
    return checks + _checks_from_manifest(models_dir, variant, probes, sha256)


def _checks_from_pose_api(api: Any, models_dir: Path, variant: str) -> list[Check]:
    from hingecoach.errors import HingeError

    wanted = f"pose_landmarker_{variant}"
    try:
        specs = list(api.load_manifest())
    except (HingeError, OSError, ValueError) as exc:
        return [_bad(f"model {wanted}", f"the model manifest is unreadable ({exc})",
                     "restore models/manifest.json from git (git checkout models/manifest.json)",
                     required=True)]
    checks: list[Check] = []
    if wanted not in [spec.name for spec in specs]:
        checks.append(_bad(f"model {wanted}", f"the manifest has no {wanted}",
                           "set pose.model to one of: " + ", ".join(
                               s.name.removeprefix("pose_landmarker_") for s in specs
                               if s.name.startswith("pose_landmarker_")), required=True))
    for spec in specs:
        required = spec.name == wanted
        label = f"model {spec.name}"
        st = api.check(spec, models_dir)
        if st.state == "ok":
            checks.append(_ok(label, f"{st.path} ({st.detail})", required=required))
        elif st.state == "missing" and not required and spec.sha256 is None:
            # another pose model, not pinned yet: nothing runs short without it, and `models
            # fetch` would refuse it (it prints the file's sha256 to check and pin instead)
            checks.append(_ok(label, f"not installed (optional, not pinned in models/manifest.json: "
                              f"`hingecoach models fetch {spec.name}` prints its sha256 to check and pin)",
                              required=False))
        elif st.state == "missing":
            checks.append(_bad(label, f"{st.path} is missing", f"hingecoach models fetch {spec.name}",
                               required=required))
        elif st.state == "unpinned":
            checks.append(_bad(label, f"{st.path} is not pinned in models/manifest.json "
                               f"({st.detail})", "check that sha256 against the model's source "
                               "and pin it (sha256 and size) in models/manifest.json",
                               required=required))
        else:
            checks.append(_bad(label, f"{st.path} is corrupt ({st.detail})",
                               f"hingecoach models fetch --force {spec.name}", required=required))
    return checks


def _checks_from_manifest(models_dir: Path, variant: str, probes: Probes,
                          sha256: Callable[[str], str]) -> list[Check]:
    checks: list[Check] = []
    entries = read_manifest(models_dir, probes)
    if not entries:
        checks.append(_bad(f"model pose-{variant}", f"no model manifest in {models_dir} "
                           "(pose models not available in this build)",
                           "update the checkout (git pull) and run `hingecoach models fetch`",
                           required=True))
        return checks
    wanted_pose = [e for e in entries if "pose" in e["name"].lower() and variant in e["name"].lower()]
    if not wanted_pose:
        checks.append(_bad(f"model pose-{variant}", f"the manifest has no pose {variant} model",
                           "set pose.model to one of: " + ", ".join(
                               e["name"] for e in entries if "pose" in e["name"].lower()),
                           required=True))
    for entry in entries:
        required = entry in wanted_pose
        label = f"model {entry['name']}"
        file = entry.get("file")
        if not file:
            continue
        path = str(models_dir / file)
        if not probes.exists(path):
            checks.append(_bad(label, f"{path} is missing",
                               f"hingecoach models fetch {entry['name']}", required=required))
            continue
        expected = entry.get("sha256")
        if expected and not os.path.isdir(path):
            actual = sha256(path)
            if actual.lower() != str(expected).lower():
                checks.append(_bad(label, f"{path} is corrupt (sha256 {actual[:12]}..., expected "
                                   f"{str(expected)[:12]}...)",
                                   f"hingecoach models fetch {entry['name']} (re-downloads it)",
                                   required=required))
                continue
        checks.append(_ok(label, path, required=required))
    return checks


def find_vosk_model(models_dir: Path, probes: Probes) -> str | None:
    """A directory under ``models_dir`` that looks like an unpacked Vosk model."""
    for candidate in sorted(glob.glob(str(models_dir / "vosk*"))):
        if probes.exists(os.path.join(candidate, "am")) or probes.exists(
                os.path.join(candidate, "conf", "model.conf")):
            return candidate
    return None


def check_recogniser(engine: str, models_dir: Path, probes: Probes) -> Check:
    """Which speech recogniser will be used; a fallback is shown as a warning."""
    name = "recogniser"
    if engine == "none":
        return _ok(name, "voice commands off (voice.engine = \"none\")")
    vosk_model = find_vosk_model(models_dir, probes)
    has_vosk = probes.find_spec("vosk")
    has_sphinx = probes.find_spec("pocketsphinx")
    if engine in ("auto", "vosk") and has_vosk and vosk_model:
        return _ok(name, f"vosk with {vosk_model}")
    if engine == "vosk":
        why = "vosk is not installed" if not has_vosk else f"no Vosk model in {models_dir}"
        return _bad(name, f"voice.engine = \"vosk\" but {why}: no voice commands",
                    f"unpack an English Vosk model (vosk-model-small-en-us) into {models_dir}, or "
                    "set voice.engine = \"auto\" to fall back to PocketSphinx")
    if has_sphinx:
        if engine == "pocketsphinx":
            return _ok(name, "pocketsphinx (chosen in config)")
        return _bad(name, f"no Vosk model in {models_dir}: using the PocketSphinx fallback, "
                    "which mistakes more ordinary speech for commands",
                    f"unpack an English Vosk model (vosk-model-small-en-us) into {models_dir}",
                    detail="pocketsphinx (fallback)")
    return _bad(name, "no speech recogniser installed: the coach runs without voice commands",
                "./script/setup or pip install 'hingecoach[voice]'")


def check_disk(data_dir: Path, probes: Probes, min_free: int = MIN_FREE_BYTES) -> Check:
    """The data directory is writable and has room (not required: coaching goes on unsaved)."""
    name = "disk"
    probe = data_dir
    while not probes.exists(str(probe)) and probe.parent != probe:
        probe = probe.parent
    if not probes.is_dir(str(probe)):
        return _bad(name, f"{probe} is a file, not a folder: history cannot be saved under it",
                    "set paths.data_dir (or $HINGECOACH_DATA_DIR) to a folder")
    if probes.read_only_fs(str(probe)):  # no chown helps here (root cannot write either)
        from hingecoach.store.db import storage_problem

        return _bad(name, f"{probe} is on a read-only file system: history will not be saved "
                    "(coaching goes on)", storage_problem(probe / DB_NAME, "read_only")[1])
    if not probes.access(str(probe), os.W_OK):
        return _bad(name, f"{probe} is not writable: history will not be saved",
                    f"fix its owner (sudo chown -R $USER {probe}) or set paths.data_dir")
    try:
        usage = probes.disk_usage(str(probe))
    except OSError as exc:
        return _bad(name, f"cannot read free space of {probe} ({exc})", "check the mount")
    free_mb = usage.free / (1024 * 1024)
    if usage.free < min_free:
        return _bad(name, f"only {free_mb:.0f} MB free for {data_dir}: history stops being saved "
                    "when it fills (coaching goes on)",
                    "free space (sudo apt clean; sudo journalctl --vacuum-size=50M; remove old "
                    "files) or set paths.data_dir to a bigger drive")
    return _ok(name, f"{free_mb:.0f} MB free for {data_dir}")


def check_database(path: Path, probes: Probes) -> Check:
    """The progress database, when there is one, is a healthy Hinge Coach database (SQLite's
    ``quick_check`` through a read-only connection: nothing is written to it). Not required:
    with a damaged one, another program's or a newer hingecoach's, the coach runs without
    saving progress."""
    from hingecoach.errors import HingeError
    from hingecoach.store.db import (
        SCHEMA_VERSION,
        damage_in_words,
        damaged_fix,
        not_ours,
        not_ours_fix,
        storage_problem,
    )
    from hingecoach.store.queries import DatabaseCorrupt, DatabaseLocked

    name = "progress database"
    if not probes.exists(str(path)):
        return _ok(name, f"none yet: the first session makes {path}")
    try:
        version, tables = probes.inspect_database(str(path))
    except DatabaseCorrupt as exc:
        return _bad(name, f"{path} is damaged or not a Hinge Coach database "
                    f"({damage_in_words(exc.why)}): the coach runs without saving progress",
                    damaged_fix(path), detail=exc.why)
    except DatabaseLocked as exc:
        what, fix = storage_problem(path, "locked")
        return _bad(name, f"{what}, so it cannot even be read right now: "
                    "the coach runs without your saved levels and without saving progress "
                    "until it lets go", fix, detail=exc.why)
    except (HingeError, OSError) as exc:
        return _bad(name, f"cannot check {path}: {exc}",
                    f"check who owns {path.parent} and its mount (`ls -l {path.parent}`, "
                    f"`findmnt -T {path.parent}`)")
    if (why := not_ours(version, tables)) is not None:
        return _bad(name, f"{path} is not a Hinge Coach database ({why}): the coach runs without "
                    "saving progress and leaves it as it is", not_ours_fix(path), detail=why)
    if version > SCHEMA_VERSION:
        return _bad(name, f"{path} has schema version {version}, newer than this hingecoach "
                    f"understands ({SCHEMA_VERSION}): the coach runs without saving progress "
                    "and leaves it as it is", "upgrade hingecoach (git pull, then pi/install.sh)")
    busy = ""
    if probes.write_locked(str(path)):
        busy = (f"; locked by another program right now (saving waits until it lets go: "
                f"`fuser -v {path}` names it)")
    if version == 0:
        return _ok(name, f"{path}: empty, no sessions yet{busy}")
    return _ok(name, f"{path}: schema {version}, quick_check ok{busy}")


def check_temperature(probes: Probes, hot_c: float = HOT_C) -> Check:
    """CPU temperature from /sys/class/thermal, where readable."""
    name = "cpu temperature"
    zones = sorted(glob.glob(probes.thermal_glob))
    readings: list[tuple[str, float]] = []
    for zone in zones:
        try:
            kind = probes.read_text(os.path.join(zone, "type")).strip()
            milli = int(probes.read_text(os.path.join(zone, "temp")).strip())
        except (OSError, ValueError):
            continue
        readings.append((kind, milli / 1000.0))
    if not readings:
        return _ok(name, "not readable on this machine")
    cpu = [r for r in readings if "cpu" in r[0].lower() or "soc" in r[0].lower()] or readings
    kind, temp = max(cpu, key=lambda r: r[1])
    if temp >= hot_c:
        return _bad(name, f"{temp:.1f} C ({kind}): the CPU throttles and pose tracking slows down",
                    "fit the Active Cooler or a heatsink case and keep the Pi out of the sun",
                    detail=f"{temp:.1f} C")
    return _ok(name, f"{temp:.1f} C ({kind})")


def check_throttling(probes: Probes) -> Check:
    """``vcgencmd get_throttled`` on a Raspberry Pi, where available."""
    name = "throttling"
    out = probes.run(["vcgencmd", "get_throttled"])
    if out is None:
        return _ok(name, "vcgencmd not available (not a Raspberry Pi)")
    match = re.search(r"throttled=(0x[0-9a-fA-F]+)", out)
    if not match:
        return _ok(name, f"unrecognised vcgencmd output: {out.strip()!r}")
    value = int(match.group(1), 16)
    flags = [text for bit, text in THROTTLE_BITS.items() if value & (1 << bit)]
    if not flags:
        return _ok(name, "never throttled since boot (0x0)")
    power = value & ((1 << 0) | (1 << 16))
    fix = ("use the official 27 W USB-C power supply (5 V 5 A) and a short cable"
           if power else "improve cooling (Active Cooler or a fan case)")
    return _bad(name, f"{match.group(1)}: " + "; ".join(flags), fix, detail=match.group(1))


def run_checks(cfg_loader: Callable[[], Config] = load_config, probes: Probes | None = None,
               env: dict[str, str] | None = None, data_dir: Path | None = None) -> list[Check]:
    """Every check, in report order. An invalid config is reported and the defaults used.
    ``data_dir`` (``--data-dir``): the data directory to check, instead of the one the
    environment and the config give."""
    probes = probes or Probes()
    config_check, cfg = check_config(cfg_loader)
    if cfg is None:
        cfg = load_config(path=os.devnull, env={})
    models_dir = cfg.models_dir()
    checks = [config_check, check_camera(cfg.get("camera.source"), probes)]
    checks += check_models(models_dir, cfg.get("pose.model"), probes)
    checks += [
        check_microphone(cfg.get("audio.input"), probes),
        check_speaker(cfg.get("audio.output"), probes),
        check_speech_synthesis(cfg.get("voice.tts"), probes),
        check_recogniser(cfg.get("voice.engine"), models_dir, probes),
        check_disk(data_dir or cfg.data_dir(env), probes),
        check_database((data_dir or cfg.data_dir(env)) / DB_NAME, probes),
        check_temperature(probes),
        check_throttling(probes),
    ]
    return checks


def can_run(checks: Sequence[Check]) -> bool:
    """Whether every required check passed."""
    return all(c.ok for c in checks if c.required)


def report(checks: Sequence[Check]) -> dict[str, Any]:
    """The ``--json`` object: ``{"ok": bool, "checks": [...]}``; ``ok`` = the coach can run."""
    return {"ok": can_run(checks), "checks": [c.as_dict() for c in checks]}


def format_text(checks: Sequence[Check]) -> str:
    """The human report: one line per check, a fix under each problem, a verdict at the end."""
    lines = []
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        text = c.detail if c.ok else c.problem
        lines.append(f"{mark}  {c.name:<{width}}  {text or ''}".rstrip())
        if not c.ok and c.fix:
            lines.append(f"      {'':<{width}}  fix: {c.fix}")
    failed = [c.name for c in checks if c.required and not c.ok]
    warned = [c.name for c in checks if not c.required and not c.ok]
    if failed:
        lines.append(f"The coach cannot run: fix {', '.join(failed)}.")
    elif warned:
        lines.append(f"The coach can run, with reduced features ({', '.join(warned)}).")
    else:
        lines.append("All good: the coach can run.")
    return "\n".join(lines)
