"""Fit the PocketSphinx rejection model on the corpus ``tune`` split ONLY.

    .venv/bin/python bench/voice_tune.py collect --part 0 --of 2 > /tmp/tune0.json
    .venv/bin/python bench/voice_tune.py collect --part 1 --of 2 > /tmp/tune1.json
    .venv/bin/python bench/voice_tune.py fit /tmp/tune0.json /tmp/tune1.json

``collect`` speaks every command, the tune sentences and the tune cue-like phrases in
the tune conditions (hingecoach.audio.corpus) and records the recogniser's evidence
with rejection switched off. ``fit`` trains a logistic regression (numpy, L2) separating
correct command decodes from grammar matches on non-commands, picks the threshold that
keeps false accepts on tune sentences at or below ``--max-fa`` and prints the
SPHINX_REJECTION dict to paste into recognisers.py. Last line: a JSON summary.

    .venv/bin/pip install -e ".[train]"    # scikit-learn, for this step only
    .venv/bin/python bench/voice_tune.py head --jobs 2

``head`` trains the embedding intent head (hingecoach.audio.embedding) on the ``tune`` and
``train`` splits ONLY: every command, the tune sentences, the tune cue-like phrases and 60
of the coach's own cue phrasings per condition (the rest are "none"), rendered, embedded
and fed to a one-hidden-layer network (scikit-learn, seeded); writes
src/hingecoach/audio/data/intent_head.npz. Whole clips only: utterance_features frames a
clip and the listener's cut of it alike. About 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hingecoach.audio.corpus import CONDITIONS, CUE_LIKE, SENTENCES, render
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.listener import Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, pad
from hingecoach.audio.recognisers import SPHINX_REJECTION, SphinxRecogniser
from hingecoach.coach.cues import decoy_phrases

FEATURES = [k for k in SPHINX_REJECTION if k not in ("bias", "threshold")]


def live_results(rec: SphinxRecogniser, x: np.ndarray) -> list:
    """The app's path: the clip through a Listener (endpointer, streamed decoding)."""
    x = pad(x, ASR_RATE, 0.0, 0.4)  # room tone after the clip, so the hangover can pass
    return [h.result for h in Listener(rec).listen(FakeMic(x))]


def collect(part: int, of: int, live: bool = False) -> list[dict]:
    # the app's configuration: the coach's catalogue competes in the grammar as decoys
    rec = SphinxRecogniser(reject=False, decoys=decoy_phrases())
    items = [(p, "cmd") for p in command_phrases()]
    items += [(s, "sent") for s in SENTENCES["tune"]] + [(c, "cue") for c in CUE_LIKE]
    rows = []
    for ci, cond in list(enumerate(CONDITIONS["tune"]))[part::of]:
        for k, (text, kind) in enumerate(items):
            x = render(text, cond, seed=ci * 1000 + k)
            results = live_results(rec, x) if live else [rec.recognise(x)]
            want = parse_command(text)
            for r in results or [None]:
                got = r.intent if r is not None else None
                rows.append({
                    "text": text, "kind": kind, "cond": cond.label, "clip": f"{ci}/{k}",
                    "heard": r.text if r is not None else None,
                    "candidate": got is not None,
                    "correct": bool(want and got and (want.name, want.slots) == (got.name, got.slots)),
                    "features": {f: r.details[f] for f in FEATURES} if got is not None else None,
                })
        print(f"{cond.label} done", file=sys.stderr, flush=True)
    return rows


def fit(rows: list[dict], max_fa: float, l2: float = 0.01) -> dict:
    pos = [r for r in rows if r["kind"] == "cmd" and r["correct"]]
    neg = [r for r in rows if r["kind"] != "cmd" and r["candidate"]]
    x = np.array([[r["features"][f] for f in FEATURES] for r in pos + neg])
    y = np.array([1.0] * len(pos) + [0.0] * len(neg))
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(5000):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = p - y
        w -= 0.2 * (z.T @ g / len(y) + l2 * w)
        b -= 0.2 * g.mean()
    w_raw = w / sd
    b_raw = b - float(w_raw @ mu)
    scores_pos = (x[: len(pos)] @ w_raw) + b_raw
    scores_neg = (x[len(pos) :] @ w_raw) + b_raw
    # counts are per clip (a clip streamed through the listener may give several rows;
    # rows from older collections without "clip" count one each)
    def clip(r: dict) -> tuple:
        return (r["cond"], r.get("clip", id(r)))

    def clips(kind: str) -> int:
        return len({clip(r) for r in rows if r["kind"] == kind})

    def accepted_clips(group: list[dict], scores: np.ndarray, th: float) -> int:
        return len({clip(r) for r, sc in zip(group, scores, strict=True) if sc >= th})

    n_cmd, n_sent, n_cue = clips("cmd"), clips("sent"), clips("cue")
    sent = [r for r in neg if r["kind"] == "sent"]
    cue = [r for r in neg if r["kind"] == "cue"]
    sent_mask = np.array([r["kind"] == "sent" for r in neg], dtype=bool)
    best = None
    for th in np.arange(-6.0, 6.0, 0.05):
        fa_sent = accepted_clips(sent, scores_neg[sent_mask], th) / max(1, n_sent)
        if fa_sent <= max_fa:
            best = th
            break
    th = float(best if best is not None else 6.0)
    model = {"bias": round(b_raw, 4), **{f: round(float(v), 4) for f, v in zip(FEATURES, w_raw, strict=True)}, "threshold": round(th, 2)}
    return {
        "model": model,
        "tune_command_accuracy": round(accepted_clips(pos, scores_pos, th) / n_cmd, 4),
        "tune_grammar_accuracy": round(len({clip(r) for r in pos}) / n_cmd, 4),
        "tune_sentence_false_accepts": round(accepted_clips(sent, scores_neg[sent_mask], th) / max(1, n_sent), 4),
        "tune_cue_false_accepts": round(accepted_clips(cue, scores_neg[~sent_mask], th) / max(1, n_cue), 4),
        "n": {"commands": n_cmd, "sentences": n_sent, "cues": n_cue},
    }


HEAD_SPLITS = ("tune", "train")
HEAD_CUES_PER_CONDITION = 60
HEAD_SEED_BASE = {"tune": 0, "train": 600_000}
_EMBEDDER = None


def _head_condition(job: tuple[str, int]) -> list[tuple[np.ndarray, str]]:
    """Render and embed one condition's items: [(utterance vector, label)]."""
    import random

    from hingecoach.audio.embedding import (
        EMBEDDING_MODEL,
        MEL_MODEL,
        NONE,
        SpeechEmbedder,
        intent_label,
        utterance_features,
    )
    from hingecoach.pose import models

    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = SpeechEmbedder(models.require(MEL_MODEL), models.require(EMBEDDING_MODEL))
    split, ci = job
    cond = CONDITIONS[split][ci]
    base = HEAD_SEED_BASE[split] + ci * 1000
    items = []
    for k, p in enumerate(command_phrases()):
        c = parse_command(p)
        items.append((p, intent_label(c.name, dict(c.slots)), base + k))
    for k, s in enumerate(SENTENCES["tune"] + CUE_LIKE):
        items.append((s, NONE, base + 100 + k))
    cues = random.Random(base).sample(decoy_phrases(), HEAD_CUES_PER_CONDITION)
    items += [(c, NONE, base + 300 + k) for k, c in enumerate(cues)]
    return [(utterance_features(_EMBEDDER, render(t, cond, seed=seed)), lab) for t, lab, seed in items]


def head(jobs: int, out: Path, hidden: int = 256, alpha: float = 1e-2) -> dict:
    import multiprocessing

    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from hingecoach.audio.embedding import IntentHead

    work = [(s, i) for s in HEAD_SPLITS for i in range(len(CONDITIONS[s]))]
    with multiprocessing.Pool(jobs) as pool:
        parts = pool.map(_head_condition, work, chunksize=1)
    x = np.stack([v for part in parts for v, _ in part])
    y = np.array([lab for part in parts for _, lab in part])
    sc = StandardScaler().fit(x)
    net = MLPClassifier((hidden,), alpha=alpha, max_iter=400, random_state=0).fit(sc.transform(x), y)
    n_cond = {s: len(CONDITIONS[s]) for s in HEAD_SPLITS}
    info = (f"bench/voice_tune.py head: {len(y)} utterances ({n_cond}), hidden {hidden}, "
            f"alpha {alpha}, sklearn MLPClassifier seed 0")
    f32 = np.float32
    IntentHead(
        sc.mean_.astype(f32), sc.scale_.astype(f32), net.coefs_[0].astype(f32), net.intercepts_[0].astype(f32),
        net.coefs_[1].astype(f32), net.intercepts_[1].astype(f32), tuple(str(c) for c in net.classes_), info,
    ).save(out)
    return {"utterances": len(y), "conditions": n_cond, "train_accuracy": round(float(net.score(sc.transform(x), y)), 4),
            "classes": list(net.classes_), "out": str(out)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--part", type=int, default=0)
    c.add_argument("--of", type=int, default=1)
    c.add_argument("--live", action="store_true", help="stream each clip through the app's Listener")
    f = sub.add_parser("fit")
    f.add_argument("files", nargs="+")
    f.add_argument("--max-fa", type=float, default=0.02, help="false accepts allowed on tune sentences")
    h = sub.add_parser("head", help="train the embedding intent head")
    h.add_argument("--jobs", type=int, default=2)
    h.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "src/hingecoach/audio/data/intent_head.npz")
    args = ap.parse_args()
    if args.cmd == "head":
        print(json.dumps(head(args.jobs, args.out)))
        return
    if args.cmd == "collect":
        json.dump(collect(args.part, args.of, args.live), sys.stdout)
        return
    rows = [r for p in args.files for r in json.loads(Path(p).read_text())]
    out = fit(rows, args.max_fa)
    print("SPHINX_REJECTION =", json.dumps(out["model"], indent=4))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
