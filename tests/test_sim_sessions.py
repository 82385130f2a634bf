"""Independent random sessions, through `hingecoach simulate` and `hingecoach analyze --json`.

The seeds here were never used to tune thresholds (tuning used seeds 0-299 in-process).
"""

from __future__ import annotations

import orjson
import pytest

SEEDS = list(range(5000, 5024))


@pytest.mark.parametrize("seed", SEEDS)
def test_analyze_counts_reps_and_faults_exactly_on_an_unseen_session(tmp_path, cli, seed):
    trace, truth_path = tmp_path / "s.jsonl", tmp_path / "truth.json"
    made = cli("simulate", "--seed", str(seed), "--out", str(trace), "--truth", str(truth_path))
    assert made.returncode == 0, made.stderr
    res = cli("analyze", str(trace), "--json")
    assert res.returncode == 0, res.stderr
    out = orjson.loads(res.stdout)
    truth = orjson.loads(truth_path.read_bytes())
    assert set(out) == {"input", "frames", "pose_frames", "fps", "view", "reps", "summary"}
    assert out["view"] == ("side-right" if truth["facing"] == 1 else "side-left")
    assert out["summary"]["reps"] == len(truth["reps"])
    for got, want in zip(out["reps"], truth["reps"], strict=True):
        assert got["faults"] == want["faults"]
        assert got["flags"] == want["flags"]
        assert abs(got["bottom_s"] - want["bottom_s"]) < 0.8
    expected = {}
    for want in truth["reps"]:
        for f in want["faults"]:
            expected[f] = expected.get(f, 0) + 1
    assert out["summary"]["faults"] == expected


def test_analyze_on_a_trace_never_imports_mediapipe_or_opencv(tmp_path, cli):
    import subprocess
    import sys

    trace = tmp_path / "s.jsonl"
    assert cli("simulate", "--seed", "1", "--out", str(trace)).returncode == 0
    code = (f"import sys; from hingecoach.cli import main; rc = main(['analyze', {str(trace)!r}, '--json']); "
            "bad = [m for m in ('mediapipe', 'cv2', 'matplotlib', 'pocketsphinx', 'vosk') "
            "if m in sys.modules]; print(bad, file=sys.stderr); sys.exit(rc or (3 if bad else 0))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "[]"


def test_the_table_output_lists_every_rep(tmp_path, cli):
    trace = tmp_path / "s.jsonl"
    assert cli("simulate", "--seed", "2", "--reps", "3", "--out", str(trace)).returncode == 0
    res = cli("analyze", str(trace))
    assert res.returncode == 0
    assert "3 reps" in res.stdout
    assert res.stdout.count("\n  1  ") + res.stdout.count("\n  2  ") == 2
