"""pi/install.sh for real, against stand-in system tools: the second run changes nothing.

apt-get, dpkg-query, sudo, usermod, systemctl and python3 (for `-m venv`) are replaced by
small scripts on PATH that record each call and keep their state in a temp dir; the venv's
python and hingecoach are stand-ins too. `install` (coreutils) really writes the unit into a
temp unit directory.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "pi" / "install.sh"

SHIMS = {
    "sudo": '''#!/bin/bash
while [ "${1:-}" = "-u" ] || [ "${1:-}" = "-H" ]; do [ "$1" = "-u" ] && shift; shift; done
exec "$@"''',
    "apt-get": '''#!/bin/bash
echo "apt-get $*" >> "$STATE/log"
if [ "$1" = "install" ]; then for p in "$@"; do case "$p" in -*|install) ;; *) echo "$p" >> "$STATE/installed";; esac; done; fi''',
    "dpkg-query": '''#!/bin/bash
pkg="${!#}"
grep -qx "$pkg" "$STATE/installed" 2>/dev/null && { printf 'install ok installed'; exit 0; }
exit 1''',
    "usermod": '''#!/bin/bash
echo "usermod $*" >> "$STATE/log"; echo "$2" >> "$STATE/groups"''',
    "id": '''#!/bin/bash
if [ "${1:-}" = "-nG" ]; then echo "$(/usr/bin/id -nG "$2") $(tr '\\n' ' ' < "$STATE/groups" 2>/dev/null)"
else exec /usr/bin/id "$@"; fi''',
    "systemctl": '''#!/bin/bash
echo "systemctl $*" >> "$STATE/log"''',
    "python3": '''#!/bin/bash
echo "python3 $*" >> "$STATE/log"
if [ "$1 $2" = "-m venv" ]; then
  dir="${!#}"; mkdir -p "$dir/bin"
  printf 'home = /usr/bin\\ninclude-system-site-packages = true\\n' > "$dir/pyvenv.cfg"
  printf '#!/bin/bash\\necho "venv-python $*" >> "$STATE/log"\\n' > "$dir/bin/python"
  printf '#!/bin/bash\\necho "hingecoach $*" >> "$STATE/log"\\n[ "$1 $2" = "config init" ] && mkdir -p "$(dirname "$4")" && echo "# defaults" > "$4"\\nexit 0\\n' > "$dir/bin/hingecoach"
  chmod +x "$dir/bin/python" "$dir/bin/hingecoach"
fi''',
}


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, str]:
    shims = tmp_path / "shims"
    shims.mkdir()
    for name, body in SHIMS.items():
        path = shims / name
        path.write_text(body + "\n")
        path.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (tmp_path / "model").write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    (tmp_path / "units").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        "PATH": f"{shims}:{os.environ['PATH']}",
        "STATE": str(state),
        "HOME": str(home),
        "HINGECOACH_HOME": str(home),
        "HINGECOACH_OS_RELEASE": str(tmp_path / "os-release"),
        "HINGECOACH_ARCH": "aarch64",
        "HINGECOACH_DPKG_ARCH": "arm64",
        "HINGECOACH_DT_MODEL": str(tmp_path / "model"),
        "HINGECOACH_UNIT_DIR": str(tmp_path / "units"),
        "HINGECOACH_VENV": str(tmp_path / "venv"),
    }


def run_install(env: dict[str, str]) -> list[str]:
    log = Path(env["STATE"]) / "log"
    log.write_text("")
    done = subprocess.run(["bash", str(SCRIPT), "--user", getpass.getuser()], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return log.read_text().splitlines()


def test_a_second_run_changes_nothing(sandbox, tmp_path):
    first = run_install(sandbox)
    joined = "\n".join(first)
    for expected in ("apt-get update", "apt-get install -y --no-install-recommends python3-venv",
                     "python3 -m venv --system-site-packages", "venv-python -m pip install",
                     "hingecoach config init", "hingecoach models fetch",
                     "systemctl daemon-reload", "systemctl enable hingecoach.service",
                     "systemctl restart hingecoach.service", "hingecoach doctor"):
        assert expected in joined, joined
    unit = tmp_path / "units" / "hingecoach.service"
    assert "ExecStart=" + str(tmp_path / "venv" / "bin" / "hingecoach") + " run" in unit.read_text()
    config = Path(sandbox["HOME"]) / ".config/hingecoach/config.toml"
    assert config.exists()

    second = run_install(sandbox)
    changed = [c for c in second if c.startswith(("apt-get", "usermod", "python3 -m venv",
                                                  "hingecoach config init", "systemctl daemon-reload"))]
    assert changed == []
    assert "systemctl enable hingecoach.service" in second  # harmless and idempotent
    assert config.read_text() == "# defaults\n"               # the user's file is never touched
