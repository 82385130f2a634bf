"""Where Hinge Coach keeps its data: the XDG data directory, overridable.

Order (every command uses this one function): an explicit ``--data-dir`` flag, then
``$HINGECOACH_DATA_DIR``, then ``paths.data_dir`` from the config (its file, or
``$HINGECOACH_PATHS_DATA_DIR``), then ``$XDG_DATA_HOME/hingecoach``, then
``~/.local/share/hingecoach`` (XDG Base Directory specification default).
"""

from __future__ import annotations

import os
from pathlib import Path

DB_NAME = "hingecoach.db"


def data_dir(flag: str | os.PathLike[str] | None = None,
             env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The data directory to use (not created here)."""
    env = os.environ if env is None else env
    if flag:
        return Path(flag).expanduser()
    if env.get("HINGECOACH_DATA_DIR"):
        return Path(env["HINGECOACH_DATA_DIR"]).expanduser()
    from hingecoach.config import load_config  # lazy: config imports nothing from here

    configured = load_config(env=env).get("paths.data_dir")
    if configured:
        return Path(str(configured)).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):  # the spec says relative values are to be ignored
        return Path(xdg) / "hingecoach"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "share" / "hingecoach"


def db_path(flag: str | os.PathLike[str] | None = None,
            env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The SQLite database file inside :func:`data_dir`."""
    return data_dir(flag, env) / DB_NAME
