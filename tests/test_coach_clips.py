"""Coaching real footage: `hingecoach run` on the labelled dev clips, through MediaPipe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from hingecoach.store.db import Store


def coach_clip(clip: Path, tmp: Path) -> tuple[list[dict], list[dict]]:
    out = tmp / "cues.jsonl"
    done = run_cli("run", "--source", str(clip), "--commands", "0.2:start hinge drill",
                   "--no-voice", "--speaker", "none", "--quiet", "--transcript", str(out),
                   "--data-dir", str(tmp / "data"), timeout=600)
    assert done.returncode == 0, done.stderr
    with Store(tmp / "data" / "hingecoach.db") as st:
        reps = st.reps()
    return [json.loads(line) for line in out.read_text().splitlines()], reps


@pytest.mark.slow
def test_a_knee_dominant_lifter_hears_the_knees_correction_by_the_third_rep(
        clips_dir: Path, tmp_path: Path) -> None:
    cues, reps = coach_clip(clips_dir / "dev" / "kb_deadlift_side_knee_dominant.mp4", tmp_path)
    fixes = [c for c in cues if c["kind"] == "correction"]
    assert len(reps) == 10  # MANIFEST: 10 reps, every one a squat pattern
    assert fixes and fixes[0]["fault"] == "knees_forward"
    assert fixes[0]["t"] <= reps[2]["end_s"] + 1.0
    assert cues[-1]["kind"] == "summary"


@pytest.mark.slow
def test_a_clean_kettlebell_deadlift_gets_no_correction(clips_dir: Path, tmp_path: Path) -> None:
    cues, reps = coach_clip(clips_dir / "dev" / "kb_deadlift_side_clean.mp4", tmp_path)
    assert len(reps) == 10  # MANIFEST: 10 reps, labelled correct
    assert [c for c in cues if c["kind"] == "correction"] == []
    assert sum(c["kind"] in ("count", "correction", "praise", "progression") for c in cues) <= 10
