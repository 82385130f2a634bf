"""Shared helpers for the history / report / export tests: run the CLI in-process, build
progress databases from real coached sessions, and look at HTML in headless Chromium."""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hingecoach.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "clips"


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(*argv: str) -> Result:
    """Run ``hingecoach ARGV`` in this process, capturing stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Result(code, out.getvalue(), err.getvalue())


def demo_sessions(data: Path, n: int = 1) -> None:
    """Run the coached demo ``n`` times into the progress database in ``data``."""
    for _ in range(n):
        r = cli("demo", "--data-dir", str(data), "--speaker", "none")
        assert r.code == 0, r.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(db_file: Path, sql: str, *args: object) -> int:
    db = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        return int(db.execute(sql, args).fetchone()[0])
    finally:
        db.close()


# --- headless Chromium ---------------------------------------------------------------------
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--disable-extensions", "--mute-audio",
)  # fmt: skip
PHONE = (390, 844)
"""CSS pixels of a common phone screen (iPhone 12-15)."""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is missing: run ./script/setup (Debian package chromium)"
    return path


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def screenshot(html: Path, png: Path, size: tuple[int, int] = PHONE) -> Path:
    """A screenshot of ``html`` in a ``size`` (CSS px) window, written to ``png``."""
    r = _run_chromium([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
                       html.resolve().as_uri()], png.parent / f"profile-{png.stem}")
    assert png.exists(), f"chromium wrote no screenshot: {r.stderr[-2000:]}"
    return png


PROBE = """<script>
window.addEventListener('load', function () {
  // --dump-dom keeps a desktop-sized window: lay the page out at the phone's width.
  document.documentElement.style.width = '%dpx';
  var widest = 0;
  Array.prototype.forEach.call(document.body.querySelectorAll('*'), function (e) {
    if (!e.closest('.scroll')) { widest = Math.max(widest, e.getBoundingClientRect().right); }
  });
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {plot: i.dataset.plot, complete: i.complete, w: i.naturalWidth,
            h: i.naturalHeight, shown_w: i.getBoundingClientRect().width};
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({images: imgs, layout_w: %d, widest: widest,
    font_px: parseFloat(getComputedStyle(document.body).fontSize)});
  document.body.appendChild(out);
});
</script>"""


def probe(html: Path, work: Path, size: tuple[int, int] = PHONE) -> dict:
    """Load a copy of ``html`` with a probe script in Chromium and return what it saw:
    each image's decoded and shown size, the widest element outside the scrollable tables
    when laid out ``size[0]`` CSS px wide, and the body font size."""
    import json
    import re

    copy = work / f"probe-{html.name}"
    script = PROBE % (size[0], size[0])
    copy.write_text(html.read_text(encoding="utf-8").replace("</body>", script + "</body>"),
                    encoding="utf-8")
    r = _run_chromium(["--dump-dom", "--virtual-time-budget=10000",
                       f"--window-size={size[0]},{size[1]}", copy.resolve().as_uri()],
                      work / "profile-probe")
    m = re.search(r'<pre id="probe">(.*?)</pre>', r.stdout, re.S)
    assert m, f"the probe did not run: {r.stderr[-2000:]}"
    import html as html_mod

    return json.loads(html_mod.unescape(m.group(1)))


# --- fixtures (import them into a test module to use them) ---------------------------------
@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose database holds two coached demo sessions (the second starts
    at the wall distance the first one earned). Treat as read-only: copy it to change it."""
    d = tmp_path_factory.mktemp("demo-data")
    demo_sessions(d, 2)
    return d


def copy_data(src: Path, dst: Path) -> Path:
    """A private copy of a data directory (the database only)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "hingecoach.db", dst / "hingecoach.db")
    return dst


def one_line_error(r: Result, command: str) -> str:
    """Assert ``r`` is a clean failure: exit 2 and exactly one stderr line, no traceback."""
    assert r.code == 2, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith(f"hingecoach {command}: error: "), r.err
    assert "Traceback" not in r.err
    return lines[0]
