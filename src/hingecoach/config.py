"""The one configuration file, its environment and flag overrides, validated.

Where the values come from, lowest precedence first:

1. the defaults in :data:`SCHEMA`;
2. ``$XDG_CONFIG_HOME/hingecoach/config.toml`` (``~/.config/hingecoach/config.toml`` when
   ``XDG_CONFIG_HOME`` is unset), or the file named by ``HINGECOACH_CONFIG`` / ``--config``;
3. environment variables ``HINGECOACH_<SECTION>_<KEY>`` (``HINGECOACH_CAMERA_SOURCE=camera:0``);
4. command-line flags (``--set camera.source=camera:0``, or a command's own flag such as
   ``run --source``).

Every value is checked against :data:`SCHEMA`. A bad value raises :class:`ConfigError` whose
message names the key, where it came from (file and line, the variable, or the flag) and the
allowed values. ``tomllib`` reports no line numbers for valid TOML with bad values, so
:func:`find_line` scans the text for the key's line.

Usage::

    cfg = load_config(overrides={"camera.source": args.source} if args.source else None)
    cfg.get("camera.source")        # "picamera2"
    cfg.section("audio")            # {"input": "default", ...}
    cfg.origin("camera.source")     # "default" | "/home/pi/.config/.../config.toml:3" | ...
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hingecoach.errors import ConfigError

ENV_PREFIX = "HINGECOACH_"


@dataclass(frozen=True)
class Key:
    """One setting: its type, default, allowed values and what it means.

    Attributes:
        kind: ``"str"``, ``"int"``, ``"float"`` or ``"bool"``.
        default: the value when nobody sets it.
        help: one line for ``config show`` and the README.
        choices: the only values allowed (strings), or empty for any.
        pattern: a regular expression a string must match (``choices`` checked first).
        pattern_help: how to describe ``pattern`` in an error.
        low, high: inclusive bounds for numbers.
    """

    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_help: str = ""
    low: float | None = None
    high: float | None = None

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("int", "float"):
            noun = "a whole number" if self.kind == "int" else "a number"
            return f"{noun} from {_num(self.low)} to {_num(self.high)}"
        parts = [", ".join(repr(c) for c in self.choices)] if self.choices else []
        if self.pattern_help:
            parts.append(self.pattern_help)
        return " or ".join(parts) if parts else "any text"


def _num(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


#: File names that say "video" (``camera.source`` accepts them in any case, as ``analyze`` and
#: ``record`` do; ``record`` refuses to write a trace under one).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".h264", ".mpg", ".mpeg", ".ts",
                  ".m2ts", ".mts", ".wmv", ".3gp", ".flv", ".ogv")


SCHEMA: dict[str, dict[str, Key]] = {
    "camera": {
        "source": Key(
            "str", "picamera2",
            "where frames come from",
            choices=("picamera2",),
            pattern=r"^(camera(:\d+)?|synthetic(:\S*)?|(?i:.+\.(" + "|".join(
                x.lstrip(".") for x in (*VIDEO_SUFFIXES, ".jsonl")) + r")))$",
            pattern_help="'camera:N' (an OpenCV device such as a USB webcam), "
            "'synthetic[:OPTIONS]' (the synthetic athlete) or a path to a video "
            f"({' '.join(VIDEO_SUFFIXES)}, any case) or trace (.jsonl)",
        ),
        "width": Key("int", 640, "capture width in pixels", low=160, high=1920),
        "height": Key("int", 480, "capture height in pixels", low=120, high=1080),
        "fps": Key("int", 30, "capture frames per second", low=5, high=120),
    },
    "pose": {
        "model": Key("str", "full", "pose landmarker size: full works everywhere (built from "
                     "the mediapipe wheel); lite is faster on the Pi once fetched",
                     choices=("full", "lite")),
        "workers": Key("int", 0, "pose landmarkers run side by side; 0 = automatic "
                       "(min(2, cores); same as HINGECOACH_POSE_WORKERS)", low=0, high=8),
    },
    "voice": {
        "engine": Key("str", "auto", "speech recogniser: auto picks Vosk when its model is "
                      "installed, else PocketSphinx", choices=("auto", "vosk", "pocketsphinx", "none")),
        "tts": Key("str", "pyttsx3", "speech synthesiser", choices=("pyttsx3", "espeak-ng", "none")),
    },
    "audio": {
        "input": Key("str", "default", "microphone: 'default', 'none', or a sounddevice name or index"),
        "output": Key("str", "default", "speaker: 'default', 'none', or a sounddevice name or index"),
        "volume": Key("int", 80, "speech volume in percent", low=0, high=100),
    },
    "user": {
        "name": Key("str", "default", "whose progress is saved",
                    pattern=r"^(?=.*[^ ])[\w .'-]{1,40}$",
                    pattern_help="1 to 40 letters, digits, spaces, . ' - (not only spaces)"),
        "units": Key("str", "in", "wall-drill distances in inches or centimetres", choices=("in", "cm")),
    },
    "paths": {
        "data_dir": Key("str", "", "where the database lives; empty = $XDG_DATA_HOME/hingecoach"),
        "models_dir": Key("str", "", "where models live; empty = $HINGECOACH_MODELS or "
                          "models/ in the checkout"),
    },
    "privacy": {
        "save_frames": Key("bool", False, "write camera frames to disk (never unless you ask)"),
        "record_history": Key("bool", True, "save sessions, sets and reps to the database"),
    },
}  # fmt: skip


def config_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME`` or ``~/.config`` (XDG Base Directory spec)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    return Path(base) if base else Path(env.get("HOME") or Path.home()) / ".config"


def data_home(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or ""
    return Path(base) if base else Path(env.get("HOME") or Path.home()) / ".local" / "share"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file we read: ``$HINGECOACH_CONFIG`` or ``<config home>/hingecoach/config.toml``."""
    env = os.environ if env is None else env
    named = env.get(ENV_PREFIX + "CONFIG")
    return Path(named) if named else config_home(env) / "hingecoach" / "config.toml"


@dataclass(frozen=True)
class Config:
    """The effective configuration: every key of :data:`SCHEMA`, validated.

    Attributes:
        values: ``{"camera": {"source": ...}, ...}``, every section and key present.
        origins: ``{"camera.source": "default" | "<file>:<line>" | "env HINGECOACH_..." |
            "flag camera.source"}``.
        path: the file that was read, or ``None`` when there was none.
    """

    values: dict[str, dict[str, Any]]
    origins: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def get(self, dotted: str) -> Any:
        """The value of ``"section.key"``."""
        section, key = _split(dotted)
        return self.values[section][key]

    def section(self, name: str) -> dict[str, Any]:
        """A copy of one section's values."""
        return dict(self.values[name])

    def origin(self, dotted: str) -> str:
        """Where ``"section.key"`` got its value."""
        return self.origins.get(dotted, "default")

    def data_dir(self, env: Mapping[str, str] | None = None) -> Path:
        """The data directory, resolved in the order of :func:`hingecoach.store.paths.data_dir`
        ($HINGECOACH_DATA_DIR, then paths.data_dir, then the XDG default)."""
        env = os.environ if env is None else env
        value = env.get("HINGECOACH_DATA_DIR") or self.get("paths.data_dir")
        return Path(value or data_home(env) / "hingecoach").expanduser()

    def models_dir(self, env: Mapping[str, str] | None = None) -> Path:
        """The models directory, with the empty default resolved as ``hingecoach models``
        does: ``$HINGECOACH_MODELS``, else ``models/`` in the checkout."""
        env = os.environ if env is None else env
        value = self.get("paths.models_dir") or env.get("HINGECOACH_MODELS")
        return Path(value).expanduser() if value else Path(__file__).resolve().parents[2] / "models"

    def to_toml(self, with_origins: bool = True, notes: Mapping[str, str] | None = None) -> str:
        """Render as TOML, each value annotated with where it came from (and ``notes``, by
        ``section.key``, after that)."""
        lines: list[str] = []
        for section, keys in SCHEMA.items():
            lines.append(f"[{section}]")
            for key in keys:
                value = _toml_value(self.values[section][key])
                extra = (notes or {}).get(f"{section}.{key}")
                note = f"  # {self.origin(f'{section}.{key}')}{f'; {extra}' if extra else ''}" if with_origins else ""
                lines.append(f"{key} = {value}{note}")
            lines.append("")
        return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _split(dotted: str) -> tuple[str, str]:
    section, _, key = dotted.partition(".")
    if section not in SCHEMA or key not in SCHEMA[section]:
        raise ConfigError(f"unknown setting {dotted!r}: known settings are {', '.join(all_keys())}")
    return section, key


def all_keys() -> list[str]:
    """Every ``section.key`` name, in schema order."""
    return [f"{s}.{k}" for s, keys in SCHEMA.items() for k in keys]


def defaults() -> dict[str, dict[str, Any]]:
    """A fresh ``{section: {key: default}}``."""
    return {s: {k: spec.default for k, spec in keys.items()} for s, keys in SCHEMA.items()}


# --- finding lines ---------------------------------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_.-]+))\s*=""")


def find_line(text: str, section: str, key: str | None = None) -> int | None:
    """The 1-based line of ``[section]`` (``key=None``) or of ``key = ...`` inside it.

    Understands ``[section]`` tables, dotted keys at the top level (``camera.fps = 30``) and
    inline tables (``camera = {fps = 30}``, reported at the ``camera`` line). Returns ``None``
    when the text does not mention it (e.g. a value from a multi-line construct we skip).
    """
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        table = _TABLE.match(line)
        if table:
            current = table.group(1)
            if key is None and current == section:
                return number
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        name = next(g for g in assign.groups() if g is not None).strip()
        full = f"{current}.{name}" if current else name
        if key is None:
            if full == section or full.startswith(section + "."):
                return number
        elif full == f"{section}.{key}" or (current is None and name == section):
            return number
    return None


# --- validation ------------------------------------------------------------------------------


def coerce(dotted: str, raw: Any, where: str, from_text: bool = False) -> Any:
    """Check one value against its :class:`Key`; convert strings from env/flags first.

    Args:
        dotted: ``"section.key"``.
        raw: the value (a TOML value, or a string from the environment or a flag).
        where: where it came from, for the error (``"config.toml:7"``, ``"env HINGECOACH_X"``).
        from_text: ``raw`` is text to be parsed into the key's kind.

    Raises:
        ConfigError: naming the key, ``where`` and the allowed values.
    """
    section, key = _split(dotted)
    spec = SCHEMA[section][key]

    def bad(why: str = "") -> ConfigError:
        why = f" ({why})" if why else ""
        return ConfigError(f"{where}: {dotted} = {raw!r} is not allowed{why}; "
                           f"allowed: {spec.allowed()}")

    value = raw
    if from_text and isinstance(raw, str):
        text = raw.strip()
        if spec.kind == "bool":
            lowered = text.lower()
            if lowered in ("true", "1", "yes", "on"):
                value = True
            elif lowered in ("false", "0", "no", "off"):
                value = False
            else:
                raise bad()
        elif spec.kind == "int":
            try:
                value = int(text)
            except ValueError:
                raise bad() from None
        elif spec.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise bad() from None

    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise bad("not true/false")
        return value
    if spec.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("not a number")
        if spec.kind == "int" and not isinstance(value, int):
            raise bad("not a whole number")
        if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
            raise bad("out of range")
        return float(value) if spec.kind == "float" else value
    if not isinstance(value, str):
        raise bad("not text")
    if spec.choices or spec.pattern:
        if value in spec.choices:
            return value
        if spec.pattern and re.match(spec.pattern, value):
            return value
        raise bad()
    return value


def parse_text(text: str, name: str = "config.toml") -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Parse and validate a config file's text.

    Returns ``(values, origins)`` for the keys the file sets (not the defaults).

    Raises:
        ConfigError: bad TOML (with tomllib's line and column), an unknown section or key
            (with the known ones), or a bad value (with its line and the allowed values).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}; fix the line it names, or move the "
                          f"file away to use the defaults") from None
    values: dict[str, dict[str, Any]] = {}
    origins: dict[str, str] = {}
    for section, body in data.items():
        if section not in SCHEMA:
            line = find_line(text, section)
            raise ConfigError(f"{_at(name, line)}: unknown section [{section}]; "
                              f"allowed sections: {', '.join(SCHEMA)}")
        if not isinstance(body, dict):
            line = find_line(text, section)
            raise ConfigError(f"{_at(name, line)}: {section} must be a table ([{section}]) "
                              f"with keys {', '.join(SCHEMA[section])}")
        for key, raw in body.items():
            line = find_line(text, section, key)
            where = _at(name, line)
            if key not in SCHEMA[section]:
                raise ConfigError(f"{where}: unknown key {section}.{key}; allowed keys in "
                                  f"[{section}]: {', '.join(SCHEMA[section])}")
            values.setdefault(section, {})[key] = coerce(f"{section}.{key}", raw, where)
            origins[f"{section}.{key}"] = where
    return values, origins


def _at(name: str, line: int | None) -> str:
    return f"{name}:{line}" if line is not None else name


def env_overrides(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """``{"camera.source": (value, "env HINGECOACH_CAMERA_SOURCE")}`` from the environment.

    Unknown ``HINGECOACH_*`` names are ignored (other parts of the project have their own,
    e.g. ``HINGECOACH_MODELS``), except near-misses of a setting (``HINGECOACH_CAMERA_SORCE``):
    those raise, so a typo is not silently ignored.
    """
    found: dict[str, tuple[str, str]] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        rest = name[len(ENV_PREFIX):].lower()
        for section, keys in SCHEMA.items():
            if rest.startswith(section + "_"):
                key = rest[len(section) + 1:]
                if key not in keys and not difflib.get_close_matches(key, keys, n=1, cutoff=0.75):
                    continue
                if key not in keys:
                    allowed = ", ".join(f"{ENV_PREFIX}{section.upper()}_{k.upper()}" for k in keys)
                    raise ConfigError(f"env {name}: unknown setting {section}.{key}; allowed "
                                      f"variables: {allowed}")
                found[f"{section}.{key}"] = (value, f"env {name}")
                break
    return found


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    read_text: Callable[[Path], str] | None = None,
) -> Config:
    """The effective configuration: defaults < file < environment < ``overrides``.

    Args:
        path: the config file; ``None`` = :func:`default_path`. A file named explicitly must
            exist; the default one may be missing (the defaults then apply).
        env: the environment (``os.environ`` when ``None``).
        overrides: ``{"section.key": value}`` from flags; strings are parsed like env values.
        read_text: reads the file (tests inject failures).

    Raises:
        ConfigError: any invalid value, naming the key, its origin and the allowed values.
    """
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    file = Path(path) if path is not None else default_path(env)
    values = defaults()
    origins: dict[str, str] = {}
    used: Path | None = None
    reader = read_text or (lambda p: p.read_text(encoding="utf-8"))
    try:
        text = reader(file)
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file {file} not found: create it (hingecoach config init "
                              f"--config {file}) or drop --config / HINGECOACH_CONFIG") from None
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} unreadable ({exc}): fix its permissions or "
                          f"encoding (UTF-8)") from None
    if text is not None:
        used = file
        got, where = parse_text(text, str(file))
        for section, keys in got.items():
            values[section].update(keys)
        origins.update(where)
    for dotted, (raw, where) in env_overrides(env).items():
        section, key = _split(dotted)
        values[section][key] = coerce(dotted, raw, where, from_text=True)
        origins[dotted] = where
    for dotted, raw in (overrides or {}).items():
        if raw is None:
            continue
        section, key = _split(dotted)
        where = f"flag {dotted}"
        values[section][key] = coerce(dotted, raw, where, from_text=isinstance(raw, str))
        origins[dotted] = where
    return Config(values=values, origins=origins, path=used)


def parse_set_flags(items: Iterable[str]) -> dict[str, str]:
    """``["camera.fps=15", ...]`` from repeated ``--set`` flags into ``{"camera.fps": "15"}``."""
    out: dict[str, str] = {}
    for item in items:
        dotted, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. --set camera.fps=15")
        _split(dotted.strip())
        out[dotted.strip()] = value
    return out


def add_config_arguments(parser: Any) -> None:
    """Add ``--config PATH`` and repeatable ``--set SECTION.KEY=VALUE`` to an argparse parser."""
    parser.add_argument("--config", metavar="PATH", default=None,
                        help="config file (default: $XDG_CONFIG_HOME/hingecoach/config.toml)")
    parser.add_argument("--set", metavar="SECTION.KEY=VALUE", action="append", default=[],
                        dest="set_values", help="override one setting, e.g. --set camera.fps=15")


def config_from_args(args: Any, extra: Mapping[str, Any] | None = None) -> Config:
    """Load the config for a command that used :func:`add_config_arguments`.

    ``extra`` maps settings to a command's own flags (``{"camera.source": args.source}``);
    ``None`` values are skipped, and they win over ``--set``.
    """
    overrides: dict[str, Any] = parse_set_flags(getattr(args, "set_values", []) or [])
    overrides.update({k: v for k, v in (extra or {}).items() if v is not None})
    return load_config(getattr(args, "config", None), overrides=overrides)


def default_file_text() -> str:
    """A config file with every key commented out at its default (``hingecoach config init``).

    Commented, not set: a key set in the file counts as chosen, and beats what the coach
    remembers per user (``user.units`` pinned every user to inches: review, session 12)."""
    lines = ["# Hinge Coach configuration. Every key is optional and shown here commented out,",
             "# at its default: remove the '#' in front of a key to set it.",
             "# Environment HINGECOACH_<SECTION>_<KEY> and --set SECTION.KEY=VALUE override it.",
             ""]
    for section, keys in SCHEMA.items():
        lines.append(f"[{section}]")
        for key, spec in keys.items():
            lines.append(f"# {spec.help}; allowed: {spec.allowed()}")
            lines.append(f"# {key} = {_toml_value(spec.default)}")
        lines.append("")
    return "\n".join(lines)
