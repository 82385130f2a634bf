"""Each doctor check, driven by fake probes: every missing part is reported with its fix."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from hingecoach import doctor
from hingecoach.config import load_config
from hingecoach.doctor import Probes
from hingecoach.errors import ConfigError
from hingecoach.store.db import our_schema

Usage = namedtuple("Usage", "total used free")
MIC = {"name": "USB PnP Sound Device", "index": 1, "max_input_channels": 1, "max_output_channels": 0}
SPK = {"name": "UACDemoV1.0", "index": 2, "max_input_channels": 0, "max_output_channels": 2}


def probes(**overrides) -> Probes:
    """Probes of a healthy Pi 5; override any of them to break one thing."""
    base = dict(
        find_spec=lambda name: True,
        picamera2_cameras=lambda: [{"Model": "imx708", "Num": 0}],
        opencv_grab=lambda index: None,
        audio_devices=lambda: [MIC, SPK],
        exists=lambda path: True,
        disk_usage=lambda path: Usage(32e9, 8e9, 24e9),
        thermal_glob="/nonexistent/thermal_zone*",
        read_text=lambda path: (_ for _ in ()).throw(OSError(errno.ENOENT, "absent")),
        run=lambda argv: "throttled=0x0\n",
        find_library=lambda name: "libespeak-ng.so.1",
        import_module=lambda name: (_ for _ in ()).throw(ImportError(name)),
        access=lambda path, mode: True,
        which=lambda name: f"/usr/bin/{name}",
        read_only_fs=lambda path: False,
        inspect_database=lambda path: (1, our_schema(1)),
    )
    base.update(overrides)
    return Probes(**base)


# --- camera ---------------------------------------------------------------------------------

def test_a_detected_camera_module_is_fine():
    check = doctor.check_camera("picamera2", probes())
    assert check.ok and check.required and "imx708" in check.detail


def test_picamera2_missing_says_how_to_install_it():
    check = doctor.check_camera("picamera2", probes(find_spec=lambda n: n != "picamera2"))
    assert not check.ok and check.required
    assert "python3-picamera2" in check.fix and "--system-site-packages" in check.fix


def test_no_camera_module_says_to_check_the_ribbon():
    check = doctor.check_camera("picamera2", probes(picamera2_cameras=lambda: []))
    assert check.problem == "no camera module detected"
    assert "ribbon" in check.fix and "camera_auto_detect=1" in check.fix


def test_libcamera_errors_are_reported_not_raised():
    def broken():
        raise RuntimeError("pipeline handler failed")

    check = doctor.check_camera("picamera2", probes(picamera2_cameras=broken))
    assert not check.ok and "pipeline handler failed" in check.problem


def test_a_missing_usb_webcam_names_the_device():
    check = doctor.check_camera("camera:1", probes(exists=lambda p: p != "/dev/video1"))
    assert check.problem == "/dev/video1 not found" and "plug in" in check.fix


def test_a_webcam_without_permission_says_to_join_the_video_group():
    check = doctor.check_camera("camera:0", probes(access=lambda p, m: False))
    assert "video group" in check.fix


def test_a_webcam_that_gives_no_frames_is_reported():
    check = doctor.check_camera("camera:0", probes(opencv_grab=lambda i: "it opened but gave no frame"))
    assert not check.ok and "gave no frame" in check.problem and "systemctl stop" in check.fix


def test_a_missing_video_file_source_is_reported():
    check = doctor.check_camera("/tmp/nope.mp4", probes(exists=lambda p: False))
    assert not check.ok and "/tmp/nope.mp4" in check.problem


# --- audio ----------------------------------------------------------------------------------

def test_microphone_and_speaker_found():
    assert doctor.check_microphone("default", probes()).detail == MIC["name"]
    assert doctor.check_speaker("default", probes()).detail == SPK["name"]


def test_no_microphone_is_a_warning_that_says_coaching_goes_on():
    check = doctor.check_microphone("default", probes(audio_devices=lambda: [SPK]))
    assert not check.ok and not check.required
    assert "without voice commands" in check.problem and "arecord -l" in check.fix


def test_a_named_device_that_is_absent_is_named():
    check = doctor.check_speaker("HDMI", probes())
    assert "no device matching 'HDMI'" in check.problem


def test_a_device_chosen_by_index_is_found():
    assert doctor.check_microphone("1", probes()).ok


def test_missing_portaudio_says_which_apt_package():
    def no_portaudio():
        raise OSError("PortAudio library not found")

    check = doctor.check_speaker("default", probes(audio_devices=no_portaudio))
    assert check.fix == "sudo apt install libportaudio2"


def test_audio_turned_off_in_config_is_fine():
    assert doctor.check_microphone("none", probes()).ok


def test_speech_synthesis_needs_espeak_ng():
    check = doctor.check_speech_synthesis("pyttsx3", probes(find_library=lambda n: None,
                                                             which=lambda n: None))
    assert not check.ok and check.fix == "sudo apt install espeak-ng libespeak-ng1"


def test_speech_synthesis_needs_pyttsx3_for_the_pyttsx3_engine():
    check = doctor.check_speech_synthesis("pyttsx3", probes(find_spec=lambda n: n != "pyttsx3"))
    assert not check.ok and "pyttsx3" in check.problem
    assert doctor.check_speech_synthesis("espeak-ng", probes(find_spec=lambda n: False)).ok


# --- models ---------------------------------------------------------------------------------

@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    d = tmp_path / "models"
    d.mkdir()
    lite = d / "pose_landmarker_lite.task"
    lite.write_bytes(b"lite model bytes")
    (d / "manifest.json").write_text(json.dumps({"models": [
        {"name": "pose-lite", "file": lite.name, "sha256": hashlib.sha256(b"lite model bytes").hexdigest()},
        {"name": "pose-full", "file": "pose_landmarker_full.task", "sha256": "0" * 64},
        {"name": "vosk-small-en", "file": "vosk-model-small-en-us-0.15"},
    ]}))
    return d


def real_files(**overrides) -> Probes:
    return probes(exists=os.path.exists, read_text=lambda p: Path(p).read_text(), **overrides)


def test_a_present_pose_model_with_the_right_checksum_passes(models_dir):
    checks = {c.name: c for c in doctor.check_models(models_dir, "lite", real_files())}
    assert checks["model pose-lite"].ok and checks["model pose-lite"].required


def test_missing_models_are_listed_with_the_fetch_command(models_dir):
    checks = {c.name: c for c in doctor.check_models(models_dir, "lite", real_files())}
    full = checks["model pose-full"]
    assert not full.ok and not full.required          # lite is configured: full is optional
    assert full.fix == "hingecoach models fetch pose-full"
    assert checks["model vosk-small-en"].fix == "hingecoach models fetch vosk-small-en"


def test_an_unpinned_pose_model_that_is_not_configured_is_no_warning(tmp_path: Path):
    """The repository's manifest lists the lite pose model unpinned (no copy could be had
    where it was written): with pose.model = full, its absence costs nothing, and `models
    fetch` would refuse it, so it is not reported as a reduced feature to fix."""
    import importlib

    from hingecoach.pose.models import load_manifest

    unpinned = [s.name for s in load_manifest() if s.sha256 is None]
    assert unpinned == ["pose_landmarker_lite"]
    checks = {c.name: c for c in doctor.check_models(tmp_path, "full", real_files(import_module=importlib.import_module))}
    lite = checks["model pose_landmarker_lite"]
    assert lite.ok and not lite.required and "not installed" in lite.detail
    full, speech = checks["model pose_landmarker_full"], checks["model speech_embedding"]
    assert not full.ok and full.required                   # the configured one is still needed
    assert not speech.ok and speech.fix == "hingecoach models fetch speech_embedding"  # pinned: fetchable


def test_a_corrupt_model_fails_its_checksum(models_dir):
    (models_dir / "pose_landmarker_lite.task").write_bytes(b"truncated")
    check = next(c for c in doctor.check_models(models_dir, "lite", real_files())
                 if c.name == "model pose-lite")
    assert not check.ok and check.required and "corrupt" in check.problem


def test_the_configured_pose_model_missing_means_the_coach_cannot_run(models_dir):
    checks = doctor.check_models(models_dir, "full", real_files())
    assert not doctor.can_run(checks)


def test_no_manifest_yet_is_reported_as_not_available(tmp_path):
    checks = doctor.check_models(tmp_path, "lite", real_files())
    assert len(checks) == 1 and "not available" in checks[0].problem and checks[0].required


def test_no_mediapipe_is_reported(models_dir):
    checks = doctor.check_models(models_dir, "lite", real_files(find_spec=lambda n: n != "mediapipe"))
    assert any(c.name == "pose runtime" and not c.ok for c in checks)


class FakePoseModels:
    """Shaped like hingecoach.pose.models: load_manifest() and check(spec, dir) -> Status."""

    Spec = namedtuple("Spec", "name file")
    Status = namedtuple("Status", "spec path state detail")

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states

    def load_manifest(self):
        return [self.Spec(name, name + ".task") for name in self.states]

    def check(self, spec, directory):
        return self.Status(spec, Path(directory) / spec.file, self.states[spec.name], "d")


def test_the_pose_packages_own_model_checks_are_used_when_present(tmp_path):
    api = FakePoseModels({"pose_landmarker_full": "ok", "pose_landmarker_lite": "unpinned"})
    checks = {c.name: c for c in doctor.check_models(tmp_path, "full",
                                                     probes(import_module=lambda n: api))}
    assert checks["model pose_landmarker_full"].ok and checks["model pose_landmarker_full"].required
    lite = checks["model pose_landmarker_lite"]
    assert not lite.ok and not lite.required and "not pinned" in lite.problem
    assert doctor.can_run(list(checks.values()))


@pytest.mark.parametrize("state, words, fix", [
    ("missing", "is missing", "hingecoach models fetch pose_landmarker_lite"),
    ("corrupt", "is corrupt", "hingecoach models fetch --force pose_landmarker_lite"),
    ("unpinned", "not pinned", "pin it"),
])
def test_a_bad_configured_model_from_the_pose_package_stops_the_coach(tmp_path, state, words, fix):
    api = FakePoseModels({"pose_landmarker_full": "ok", "pose_landmarker_lite": state})
    checks = doctor.check_models(tmp_path, "lite", probes(import_module=lambda n: api))
    lite = next(c for c in checks if c.name == "model pose_landmarker_lite")
    assert lite.required and words in lite.problem and fix in lite.fix
    assert not doctor.can_run(checks)


def test_a_variant_missing_from_the_manifest_names_the_ones_there(tmp_path):
    api = FakePoseModels({"pose_landmarker_full": "ok"})
    checks = doctor.check_models(tmp_path, "lite", probes(import_module=lambda n: api))
    assert checks[0].problem == "the manifest has no pose_landmarker_lite"
    assert checks[0].fix == "set pose.model to one of: full"


# --- recogniser -----------------------------------------------------------------------------

def test_vosk_is_used_when_its_model_is_there(tmp_path):
    (tmp_path / "vosk-model-small-en-us-0.15" / "am").mkdir(parents=True)
    check = doctor.check_recogniser("auto", tmp_path, probes(exists=os.path.exists))
    assert check.ok and check.detail.startswith("vosk with ")


def test_the_pocketsphinx_fallback_is_visible(tmp_path):
    check = doctor.check_recogniser("auto", tmp_path, probes(exists=os.path.exists))
    assert not check.ok and not check.required
    # the fix names what to do: models fetch cannot get a Vosk model (none can be pinned)
    assert "PocketSphinx fallback" in check.problem
    assert "Vosk model" in check.fix and str(tmp_path) in check.fix


def test_vosk_demanded_without_a_model_is_explained(tmp_path):
    check = doctor.check_recogniser("vosk", tmp_path, probes(exists=os.path.exists))
    assert not check.ok and "no Vosk model" in check.problem


def test_no_recogniser_at_all_means_no_voice_commands(tmp_path):
    check = doctor.check_recogniser("auto", tmp_path, probes(exists=os.path.exists,
                                                             find_spec=lambda n: False))
    assert "without voice commands" in check.problem


# --- disk, temperature, throttling ----------------------------------------------------------

def test_plenty_of_disk_is_fine(tmp_path):
    assert doctor.check_disk(tmp_path, probes()).ok


def test_a_nearly_full_disk_warns_that_history_will_stop(tmp_path):
    check = doctor.check_disk(tmp_path, probes(disk_usage=lambda p: Usage(32e9, 32e9 - 50e6, 50e6)))
    assert not check.ok and not check.required
    assert "48 MB free" in check.problem and "coaching goes on" in check.problem


def test_an_unwritable_data_dir_is_reported(tmp_path):
    check = doctor.check_disk(tmp_path / "a" / "b", probes(access=lambda p, m: False,
                                                          exists=os.path.exists))
    assert not check.ok and str(tmp_path) in check.problem


def test_a_read_only_file_system_is_not_a_chown_problem(tmp_path):
    """A read-only SD card (or mount) was reported as "not writable" with `sudo chown`,
    which cannot help: root cannot write there either."""
    check = doctor.check_disk(tmp_path, probes(read_only_fs=lambda p: True, access=lambda p, m: False))
    assert not check.ok and not check.required
    assert "read-only file system" in check.problem and "coaching goes on" in check.problem
    assert "remount" in check.fix and "chown" not in check.fix


def test_no_progress_database_yet_is_fine(tmp_path):
    check = doctor.check_database(tmp_path / "hingecoach.db", real_files())
    assert check.ok and "none yet" in check.detail


def test_a_damaged_progress_database_is_a_warning_with_the_fix(tmp_path):
    from hingecoach.store.queries import DatabaseCorrupt

    db = tmp_path / "hingecoach.db"
    db.write_bytes(b"x")

    def damaged(path):
        raise DatabaseCorrupt(path, "*** in database main ***\nPage 3: btreeInitPage() returns error code 11")

    check = doctor.check_database(db, real_files(inspect_database=damaged))
    assert not check.ok and not check.required
    assert "damaged" in check.problem and "SQLite's integrity check found damage on page 3" in check.problem
    assert "btreeInitPage" not in check.problem and "\n" not in check.problem  # SQLite's report: in detail
    assert "Page 3: btreeInitPage()" in check.detail
    assert "restore a backup" in check.fix and "move it aside" in check.fix and "starts a new one" in check.fix


def test_another_apps_sqlite_file_is_not_a_progress_database(tmp_path):
    db = tmp_path / "hingecoach.db"
    db.write_bytes(b"x")
    check = doctor.check_database(db, real_files(inspect_database=lambda p: (0, {"photos": ("id",)})))
    assert not check.ok and "not a Hinge Coach database" in check.problem and "move it aside" in check.fix


def test_the_progress_database_is_checked_in_the_full_report(tmp_path):
    cfg = load_config(env={"HOME": str(tmp_path)})
    names = [c.name for c in doctor.run_checks(lambda: cfg, probes())]
    assert names.index("progress database") == names.index("disk") + 1


def fake_thermal(tmp_path: Path, zones: dict[str, int]) -> Probes:
    for i, (kind, milli) in enumerate(zones.items()):
        zone = tmp_path / f"thermal_zone{i}"
        zone.mkdir()
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(f"{milli}\n")
    return probes(thermal_glob=str(tmp_path / "thermal_zone*"), read_text=lambda p: Path(p).read_text())


def test_a_cool_cpu_is_fine(tmp_path):
    check = doctor.check_temperature(fake_thermal(tmp_path, {"cpu-thermal": 52350}))
    assert check.ok and check.detail == "52.4 C (cpu-thermal)"


def test_a_hot_cpu_says_to_cool_it(tmp_path):
    check = doctor.check_temperature(fake_thermal(tmp_path, {"acpitz": 40000, "cpu-thermal": 83100}))
    assert not check.ok and "83.1 C" in check.problem and "Active Cooler" in check.fix


def test_no_thermal_zone_is_not_a_failure():
    assert doctor.check_temperature(probes()).detail == "not readable on this machine"


def test_never_throttled_is_fine():
    assert doctor.check_throttling(probes()).ok


def test_under_voltage_points_at_the_power_supply():
    check = doctor.check_throttling(probes(run=lambda argv: "throttled=0x50005\n"))
    assert not check.ok
    assert "under-voltage now" in check.problem and "throttled now" in check.problem
    assert "27 W" in check.fix


def test_past_thermal_throttling_points_at_cooling():
    check = doctor.check_throttling(probes(run=lambda argv: "throttled=0x40000\n"))
    assert "throttling has occurred" in check.problem and "cooling" in check.fix


def test_no_vcgencmd_is_not_a_failure():
    assert doctor.check_throttling(probes(run=lambda argv: None)).ok


# --- the whole report -----------------------------------------------------------------------

def test_an_invalid_config_fails_the_report_and_the_rest_still_runs(tmp_path):
    def bad_config():
        raise ConfigError("config.toml:3: camera.fps = 1000 is not allowed; allowed: ...")

    checks = doctor.run_checks(bad_config, probes())
    assert checks[0].name == "config" and not checks[0].ok and "config.toml:3" in checks[0].problem
    assert len(checks) > 5 and not doctor.can_run(checks)


def test_a_healthy_pi_can_run_and_the_json_has_the_promised_shape(models_dir, tmp_path):
    (models_dir / "pose_landmarker_full.task").write_bytes(b"x")
    cfg = load_config(env={"HOME": str(tmp_path)}, overrides={"paths.models_dir": str(models_dir),
                                                              "pose.model": "lite"})
    checks = doctor.run_checks(lambda: cfg, real_files())
    report = doctor.report(checks)
    assert report["ok"] is True
    for item in report["checks"]:
        assert {"name", "ok", "problem", "fix"} <= set(item)
        assert (item["problem"] is None) == item["ok"]
    text = doctor.format_text(checks)
    assert "The coach can run" in text


def run_doctor(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "HINGECOACH_CONFIG"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "hingecoach", "doctor", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_doctor_json_here_reports_the_missing_camera_and_exits_non_zero(tmp_path):
    """This machine has no camera module: the coach cannot run, and doctor says why."""
    done = run_doctor("--json", home=tmp_path)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["ok"] is False
    camera = next(c for c in report["checks"] if c["name"] == "camera")
    assert camera["ok"] is False and camera["fix"]
    names = [c["name"] for c in report["checks"]]
    for expected in ("config", "camera", "microphone", "speaker", "recogniser", "disk",
                     "cpu temperature", "throttling"):
        assert expected in names
    assert any(n.startswith("model") or n == "pose runtime" for n in names)


def test_doctor_text_lists_each_failure_with_its_fix(tmp_path):
    done = run_doctor(home=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    camera = next(i for i, line in enumerate(lines) if line.startswith("FAIL  camera"))
    assert "fix:" in lines[camera + 1]
    assert lines[-1].startswith("The coach cannot run: fix camera")


def test_a_data_dir_that_is_a_file_is_reported(tmp_path):
    """It said "ok disk ... free for" the file."""
    blocker = tmp_path / "data"
    blocker.write_text("x")
    for d in (blocker, blocker / "sub"):
        check = doctor.check_disk(d, probes(exists=os.path.exists))
        assert not check.ok and "is a file, not a folder" in check.problem, check
