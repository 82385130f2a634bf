"""The config file, its overrides, and errors that name the key, the line and the allowed values."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hingecoach.config import (
    SCHEMA,
    all_keys,
    default_file_text,
    default_path,
    find_line,
    load_config,
    parse_set_flags,
)
from hingecoach.errors import ConfigError


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment with a private HOME and no XDG variables."""
    return {"HOME": str(tmp_path / "home")}


def write_config(env: dict[str, str], text: str) -> Path:
    path = default_path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(home):
    cfg = load_config(env=home)
    assert cfg.path is None
    assert cfg.get("camera.source") == "picamera2"
    assert cfg.get("user.units") == "in"
    assert cfg.get("privacy.save_frames") is False
    assert cfg.origin("camera.source") == "default"


def test_the_file_lives_in_dot_config_by_default(home):
    assert default_path(home) == Path(home["HOME"]) / ".config/hingecoach/config.toml"


def test_xdg_config_home_moves_the_file(home, tmp_path):
    env = {**home, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert default_path(env) == tmp_path / "xdg/hingecoach/config.toml"
    write_config(env, '[user]\nunits = "cm"\n')
    assert load_config(env=env).get("user.units") == "cm"


def test_file_values_apply_and_remember_their_line(home):
    path = write_config(home, '# mine\n[camera]\nsource = "camera:0"\nfps = 15\n\n[user]\nname = "Sam"\n')
    cfg = load_config(env=home)
    assert cfg.get("camera.source") == "camera:0"
    assert cfg.get("camera.fps") == 15
    assert cfg.get("user.name") == "Sam"
    assert cfg.origin("camera.fps") == f"{path}:4"
    assert cfg.origin("user.name") == f"{path}:7"
    assert cfg.get("camera.width") == 640  # untouched keys keep their defaults


def test_environment_beats_the_file_and_flags_beat_the_environment(home):
    write_config(home, "[camera]\nfps = 15\n")
    env = {**home, "HINGECOACH_CAMERA_FPS": "20", "HINGECOACH_AUDIO_VOLUME": "40"}
    cfg = load_config(env=env, overrides={"camera.fps": "25"})
    assert cfg.get("camera.fps") == 25
    assert cfg.origin("camera.fps") == "flag camera.fps"
    assert cfg.get("audio.volume") == 40
    assert cfg.origin("audio.volume") == "env HINGECOACH_AUDIO_VOLUME"


def test_hingecoach_config_names_another_file(home, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('[pose]\nmodel = "lite"\n')
    assert load_config(env={**home, "HINGECOACH_CONFIG": str(other)}).get("pose.model") == "lite"


def test_a_named_file_that_is_missing_is_an_error_with_the_fix(home, tmp_path):
    with pytest.raises(ConfigError, match="not found: create it"):
        load_config(tmp_path / "nope.toml", env=home)


def test_a_bad_value_names_the_key_the_line_and_the_allowed_values(home):
    path = write_config(home, '[camera]\nsource = "picamera2"\n\n[user]\nunits = "furlongs"\n')
    with pytest.raises(ConfigError) as err:
        load_config(env=home)
    message = str(err.value)
    assert f"{path}:5" in message
    assert "user.units" in message and "'furlongs'" in message
    assert "'in', 'cm'" in message


def test_a_user_name_of_only_spaces_is_refused_where_it_is_set(home):
    """It was taken, and `run` saved progress for a user called "   "."""
    path = write_config(home, '[user]\nname = "   "\n')
    with pytest.raises(ConfigError, match=rf"{path}:2: user.name = '   ' .*not only spaces"):
        load_config(env=home)
    path.unlink()
    with pytest.raises(ConfigError, match="env HINGECOACH_USER_NAME: .*not only spaces"):
        load_config(env={**home, "HINGECOACH_USER_NAME": " "})
    assert load_config(env={**home, "HINGECOACH_USER_NAME": " Ann Lee "}).get("user.name") == " Ann Lee "


def test_a_number_out_of_range_says_the_range(home):
    path = write_config(home, "[audio]\nvolume = 140\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: audio.volume = 140 .*from 0 to 100"):
        load_config(env=home)


def test_a_wrong_type_is_rejected(home):
    write_config(home, '[camera]\nfps = "thirty"\n')
    with pytest.raises(ConfigError, match="camera.fps .*a whole number from 5 to 120"):
        load_config(env=home)


def test_true_is_not_a_number(home):
    write_config(home, "[camera]\nfps = true\n")
    with pytest.raises(ConfigError, match="camera.fps"):
        load_config(env=home)


def test_an_unknown_key_lists_the_allowed_keys(home):
    path = write_config(home, "[camera]\nfps = 30\nsauce = 1\n")
    with pytest.raises(ConfigError, match=rf"{path}:3: unknown key camera.sauce; allowed keys in "
                       r"\[camera\]: source, width, height, fps"):
        load_config(env=home)


def test_an_unknown_section_lists_the_sections(home):
    path = write_config(home, "[camera]\nfps = 30\n[cameraa]\nfps = 30\n")
    with pytest.raises(ConfigError, match=rf"{path}:3: unknown section \[cameraa\]; allowed sections: camera"):
        load_config(env=home)


def test_broken_toml_reports_the_line_from_tomllib(home):
    write_config(home, "[camera]\nfps = = 3\n")
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 2"):
        load_config(env=home)


def test_a_bad_environment_value_names_the_variable(home):
    with pytest.raises(ConfigError, match="env HINGECOACH_USER_UNITS: user.units = 'yards'.*'in', 'cm'"):
        load_config(env={**home, "HINGECOACH_USER_UNITS": "yards"})


def test_a_misspelt_environment_variable_is_not_silently_ignored(home):
    with pytest.raises(ConfigError, match="HINGECOACH_CAMERA_SORCE.*HINGECOACH_CAMERA_SOURCE"):
        load_config(env={**home, "HINGECOACH_CAMERA_SORCE": "camera:0"})


def test_other_hingecoach_variables_are_left_alone(home):
    env = {**home, "HINGECOACH_MODELS": "/m", "HINGECOACH_DATA_DIR": "/d", "HINGECOACH_USER_ID": "7"}
    assert load_config(env=env).origin("user.name") == "default"


def test_pose_workers_is_a_setting_shared_with_the_pose_pipeline(home):
    assert load_config(env={**home, "HINGECOACH_POSE_WORKERS": "2"}).get("pose.workers") == 2
    with pytest.raises(ConfigError, match="pose.workers = '-1'"):
        load_config(env={**home, "HINGECOACH_POSE_WORKERS": "-1"})


def test_booleans_from_the_environment_accept_the_usual_spellings(home):
    assert load_config(env={**home, "HINGECOACH_PRIVACY_RECORD_HISTORY": "off"}).get(
        "privacy.record_history") is False
    with pytest.raises(ConfigError, match="true or false"):
        load_config(env={**home, "HINGECOACH_PRIVACY_RECORD_HISTORY": "maybe"})


@pytest.mark.parametrize("source", ["picamera2", "camera", "camera:0", "camera:12", "synthetic",
                                    "synthetic:faults=knees_forward", "clips/a.mp4", "/tmp/t.jsonl",
                                    # what phones write: analyze and record took these, run did not
                                    "phone/IMG_0042.MOV", "clip.m4v", "Clip.Mp4", "T.JSONL"])
def test_camera_sources_the_coach_understands_are_accepted(home, source):
    assert load_config(env=home, overrides={"camera.source": source}).get("camera.source") == source


def test_an_unknown_camera_source_says_what_is_allowed(home):
    with pytest.raises(ConfigError, match="flag camera.source: .*'picamera2' or 'camera:N'"):
        load_config(env=home, overrides={"camera.source": "webcam"})
    with pytest.raises(ConfigError, match=r"\.m4v .*any case"):
        load_config(env=home, overrides={"camera.source": "notes.txt"})


def test_the_models_dir_follows_hingecoach_models_like_the_models_command(home, tmp_path):
    cfg = load_config(env=home)
    assert cfg.models_dir({}).name == "models"
    assert cfg.models_dir({"HINGECOACH_MODELS": str(tmp_path)}) == tmp_path
    mine = load_config(env=home, overrides={"paths.models_dir": str(tmp_path / "m")})
    assert mine.models_dir({"HINGECOACH_MODELS": "/elsewhere"}) == tmp_path / "m"


def test_set_flags_parse_and_reject_unknown_keys():
    assert parse_set_flags(["camera.fps=15", "user.name=Ann Lee"]) == {
        "camera.fps": "15", "user.name": "Ann Lee"}
    with pytest.raises(ConfigError, match="SECTION.KEY=VALUE"):
        parse_set_flags(["camera.fps"])
    with pytest.raises(ConfigError, match="unknown setting 'camera.fsp'"):
        parse_set_flags(["camera.fsp=3"])


def test_find_line_understands_tables_dotted_keys_and_inline_tables():
    text = 'user.units = "cm"\npose = { model = "full" }\n[camera]\n  "fps" = 3 # x\n'
    assert find_line(text, "user", "units") == 1
    assert find_line(text, "pose", "model") == 2
    assert find_line(text, "camera") == 3
    assert find_line(text, "camera", "fps") == 4
    assert find_line(text, "audio", "volume") is None


def test_a_dotted_key_error_points_at_its_line(home):
    path = write_config(home, '# hello\nuser.units = "km"\n')
    with pytest.raises(ConfigError, match=rf"{path}:2: user.units"):
        load_config(env=home)


def test_the_default_file_is_valid_toml_and_loads_as_the_defaults(home):
    text = default_file_text()
    tomllib.loads(text)
    write_config(home, text)
    cfg = load_config(env=home)
    for dotted in all_keys():
        section, key = dotted.split(".")
        assert cfg.get(dotted) == SCHEMA[section][key].default
        # commented out: an untouched file sets nothing, so what the coach remembers per user
        # (units) still counts (every key used to be set, and pinned users to inches)
        assert cfg.origin(dotted) == "default", dotted
    write_config(home, text.replace('# units = "in"', 'units = "cm"'))  # uncommenting sets it
    assert load_config(env=home).get("user.units") == "cm"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hingecoach", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_config_show_prints_the_effective_config_with_origins(home):
    import os

    env = {**os.environ, **home, "HINGECOACH_USER_UNITS": "cm"}
    env.pop("XDG_CONFIG_HOME", None)
    write_config(env, "[camera]\nfps = 15\n")
    done = run_cli("config", "show", "--set", "audio.volume=30", env=env)
    assert done.returncode == 0, done.stderr
    assert 'units = "cm"  # env HINGECOACH_USER_UNITS' in done.stdout
    assert "fps = 15  # " in done.stdout and "config.toml:2" in done.stdout
    assert "volume = 30  # flag audio.volume" in done.stdout
    shown = run_cli("config", "show", "--json", env=env)
    assert json.loads(shown.stdout)["values"]["user"]["units"] == "cm"


def test_config_show_names_the_units_the_coach_remembers_for_the_user(home, tmp_path):
    """user.units unset: `run` uses what this user used last, so `config show` says so
    instead of only "in  # default" (and reading it creates no database)."""
    import os

    from hingecoach.store.db import Store

    env = {**os.environ, **home, "HINGECOACH_DATA_DIR": str(tmp_path / "data")}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("HINGECOACH_USER_UNITS", None)
    assert 'units = "in"  # default\n' in run_cli("config", "show", env=env).stdout
    assert not (tmp_path / "data").exists()
    (tmp_path / "data").mkdir()
    Store(tmp_path / "data" / "hingecoach.db").user("sam", "cm")
    shown = run_cli("config", "show", "--set", "user.name=sam", env=env)
    assert 'units = "in"  # default; user "sam" last used "cm": `run` uses that unless it is set' in shown.stdout
    as_json = json.loads(run_cli("config", "show", "--json", "--set", "user.name=sam", env=env).stdout)
    assert as_json["remembered"] == {"user.units": "cm"}
    pinned = run_cli("config", "show", "--set", "user.name=sam", "--set", "user.units=in", env=env)
    assert 'units = "in"  # flag user.units\n' in pinned.stdout
    assert 'units = "in"  # default\n' in run_cli("config", "show", env=env).stdout  # another user


def test_config_show_with_a_bad_file_is_one_line_and_exit_2(home):
    import os

    env = {**os.environ, **home}
    env.pop("XDG_CONFIG_HOME", None)
    write_config(env, "[camera]\nfps = 1000\n")
    done = run_cli("config", "show", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("hingecoach config: error: ") and "camera.fps" in done.stderr
    assert "Traceback" not in done.stderr


def test_config_init_writes_the_defaults_once(home):
    import os

    env = {**os.environ, **home}
    env.pop("XDG_CONFIG_HOME", None)
    assert run_cli("config", "init", env=env).returncode == 0
    path = default_path(env)
    assert path.read_text() == default_file_text()
    path.write_text("[camera]\nfps = 10\n")
    assert run_cli("config", "init", env=env).returncode == 0
    assert path.read_text() == "[camera]\nfps = 10\n"


def test_config_show_says_which_data_and_models_folders_are_in_use(home, tmp_path):
    """$HINGECOACH_DATA_DIR comes before paths.data_dir in every command, but `config show`
    printed the file's data_dir as if it were used (review, session 16)."""
    import os

    env = {**os.environ, **home, "HINGECOACH_DATA_DIR": str(tmp_path / "B"),
           "HINGECOACH_MODELS": str(tmp_path / "m")}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("HINGECOACH_PATHS_MODELS_DIR", None)
    write_config(env, f'[paths]\ndata_dir = "{tmp_path / "A"}"\n')
    shown = run_cli("config", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert f'; in use: "{tmp_path / "B"}" (HINGECOACH_DATA_DIR is set)\n' in shown.stdout
    assert f'models_dir = ""  # default; in use: "{tmp_path / "m"}" (HINGECOACH_MODELS is set)\n' in shown.stdout
    in_use = json.loads(run_cli("config", "show", "--json", env=env).stdout)["in_use"]
    assert in_use == {"paths.data_dir": str(tmp_path / "B"), "paths.models_dir": str(tmp_path / "m")}
    del env["HINGECOACH_DATA_DIR"]
    assert f'data_dir = "{tmp_path / "A"}"  # ' in (out := run_cli("config", "show", env=env).stdout)
    assert "in use" not in out.split("data_dir")[1].splitlines()[0]
