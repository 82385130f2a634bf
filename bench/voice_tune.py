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
``train`` splits ONLY. Per condition: every command twice (as the condition says, and again
in another noise at another level, speed-perturbed), the tune sentences, the tune cue-like phrases, 40 of the
``train`` sentences, 10 two- or three-word fragments of them (what a listener cuts out of a
sentence at a pause) and 60 of the coach's own cue phrasings (all but the commands are
"none"); rendered, embedded and fed to a one-hidden-layer network (scikit-learn, seeded);
writes src/hingecoach/audio/data/intent_head.npz. Whole clips only: utterance_features
frames a clip and the listener's cut of it alike, except in steady noise less than 25 dB
under the speech, where the clip keeps all its noise (README, session 10). About 22 minutes on 2 cores.
``head --framings mixed --out src/hingecoach/audio/data/intent_head_second.npz`` trains the
second head (each clip also as the listener's cut of it, where that frames differently; about
31 minutes), which CheckedRecogniser asks only where the first head and the decoder name no command.

    .venv/bin/python bench/voice_tune.py rule

``rule`` chooses CheckedRecogniser's CHECK_RULE and compares heads on the ``test`` split or the
larger ``select`` split (the only splits it may look at): every command and test sentence,
decoded whole and streamed through the app's Listener, once (``--cache F`` keeps that decoding
for the next run); then prints commands right / wrong and sentences accepted for each head
(``--head a.npz``, ``--head a.npz+b.npz`` for a mean of heads; repeatable) and (lead, veto)
pair. About 6 minutes on test, 13 on select; seconds from a cache.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from hingecoach.audio.corpus import (
    CONDITIONS,
    CUE_LIKE,
    SENTENCES,
    Condition,
    command_outcome,
    espeak_16k,
    render,
)
from hingecoach.audio.embedding import SECOND_HEAD_FILE
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.listener import Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, Audio, pad, resample
from hingecoach.audio.recognisers import CHECK_RULE, SPHINX_REJECTION, SphinxRecogniser
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
HEAD_SENTENCES_PER_CONDITION = 40
HEAD_FRAGMENTS_PER_CONDITION = 10
HEAD_SEED_BASE = {"tune": 0, "train": 600_000}
#: The second rendering of each command: another noise, at a random SNR in this range (dB),
#: and speed-perturbed (the audio resampled by one of these factors: pitch, formants and
#: tempo move together, as in Kaldi-style speed perturbation; 1.2 sounds child-like).
HEAD_AUG_NOISES = ("white", "pink", "brown", "chatter")
HEAD_AUG_SNR_DB = (6.0, 22.0)
HEAD_AUG_SPEEDS = (0.9, 1.0, 1.1, 1.2)
#: ``head --framings``: "whole" gives the head each clip as a WAV file frames it (the packaged
#: head); "mixed" also as the listener's cut of it, where that frames differently (the second head,
#: ``intent_head_second.npz``: session 11's M).
HEAD_FRAMINGS = ("whole", "mixed")
#: Words that make a fragment a possible command: such fragments are not used as "none".
COMMAND_WORDS = frozenset([
    "stop", "pause", "continue", "resume", "help", "repeat", "louder", "quieter", "easier", "harder", "next",
    "level", "previous", "many", "hold", "start", "begin", "drill", "hinge", "wall", "end", "session", "again", "say",
])
_EMBEDDER = None


def sentence_fragments(sentences: list[str]) -> list[str]:
    """The first and last two and three words of each sentence, where that is not the whole
    sentence and holds no command word: what the listener cuts out at a pause or in noise."""
    out: list[str] = []
    for s in sentences:
        words = s.replace(",", "").split()
        for k in (2, 3):
            if len(words) > k + 1:
                for frag in (words[:k], words[-k:]):
                    text = " ".join(frag)
                    if not COMMAND_WORDS & set(frag) and parse_command(text) is None and text not in out:
                        out.append(text)
    return out


def _head_condition(job: tuple[str, int, str]) -> list[tuple[np.ndarray, str]]:
    """Render and embed one condition's items: [(utterance vector, label)]."""
    import random

    from hingecoach.audio.embedding import (
        NONE,
        SpeechEmbedder,
        intent_label,
        model_paths,
    )

    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = SpeechEmbedder(*model_paths())
    split, ci, framings = job
    cond = CONDITIONS[split][ci]
    base = HEAD_SEED_BASE[split] + ci * 1000
    items = []
    for k, p in enumerate(command_phrases()):
        c = parse_command(p)
        items.append((p, intent_label(c.name, dict(c.slots)), base + k))
    commands = list(items)
    for k, s in enumerate(SENTENCES["tune"] + CUE_LIKE):
        items.append((s, NONE, base + 100 + k))
    rnd = random.Random(base)
    cues = rnd.sample(decoy_phrases(), HEAD_CUES_PER_CONDITION)
    items += [(c, NONE, base + 300 + k) for k, c in enumerate(cues)]
    talk = rnd.sample(SENTENCES["train"], HEAD_SENTENCES_PER_CONDITION)
    talk += rnd.sample(sentence_fragments(SENTENCES["train"]), HEAD_FRAGMENTS_PER_CONDITION)
    items += [(t, NONE, base + 500 + k) for k, t in enumerate(talk)]
    out = [v for t, lab, seed in items for v in _framed(render(t, cond, seed=seed), lab, framings)]
    # every command again: another noise, another level, speed-perturbed (room and speaker)
    for k, (p, label, _) in enumerate(commands):
        aug = Condition(cond.voice, cond.wpm, rnd.choice(HEAD_AUG_NOISES), round(rnd.uniform(*HEAD_AUG_SNR_DB), 1), cond.pitch)
        gain = 10.0 ** (rnd.uniform(-12.0, 6.0) / 20.0)
        x = render(p, aug, seed=base + 700 + k, synth=_speed_perturbed(rnd.choice(HEAD_AUG_SPEEDS)))
        x = np.clip(np.round(x * gain), -32768, 32767).astype(np.int16)
        out += _framed(x, label, framings)
    return out


def speech_span(x: np.ndarray) -> np.ndarray:
    """The part of a clip the app's endpointer cuts out of it (the start of the first
    utterance it hears, pre-roll included, to the end of the last, hangover included),
    fed as the microphone would be with a second of silence after; all of it when it hears none."""
    from hingecoach.audio.listener import Endpointer

    ep, first, last = Endpointer(), None, 0
    for t, block in FakeMic(pad(x, ASR_RATE, 0.0, 1.0)).blocks():
        u = ep.push(t, block)
        if u is not None:
            end = int(round(u.t_detected * ASR_RATE))
            first = end - len(u.samples) if first is None else first
            last = end
    return x if first is None else x[max(0, first) : min(len(x), last)]


def _framed(x: np.ndarray, label: str, framings: str) -> list[tuple[np.ndarray, str]]:
    """The clip's features as a WAV file gives them to the head, and with ``mixed``, when the
    framing differs by more than one 20 ms block, as the listener's cut of it does (in steady
    noise the file keeps all its noise, the cut only its pre-roll and hangover)."""
    from hingecoach.audio.embedding import frame_utterance, utterance_features

    out = [(utterance_features(_EMBEDDER, x), label)]
    if framings == "mixed":
        cut = speech_span(x)
        if abs(len(frame_utterance(cut)) - len(frame_utterance(x))) > 320:
            out.append((utterance_features(_EMBEDDER, cut), label))
    return out


def _speed_perturbed(factor: float):  # noqa: ANN202
    """espeak-ng speech played ``factor`` times faster (resampled back to 16 kHz)."""

    def synth(text: str, cond: Condition) -> np.ndarray:
        x = espeak_16k(text, cond)
        return x if factor == 1.0 else resample(Audio(x, round(ASR_RATE * factor)), ASR_RATE).samples

    return synth


def head(jobs: int, out: Path, hidden: int = 256, alpha: float = 1e-2, framings: str = "whole") -> dict:
    import multiprocessing

    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from hingecoach.audio.embedding import IntentHead

    work = [(s, i, framings) for s in HEAD_SPLITS for i in range(len(CONDITIONS[s]))]
    with multiprocessing.Pool(jobs) as pool:
        parts = pool.map(_head_condition, work, chunksize=1)
    x = np.stack([v for part in parts for v, _ in part])
    y = np.array([lab for part in parts for _, lab in part])
    sc = StandardScaler().fit(x)
    net = MLPClassifier((hidden,), alpha=alpha, max_iter=400, random_state=0).fit(sc.transform(x), y)
    n_cond = {s: len(CONDITIONS[s]) for s in HEAD_SPLITS}
    info = (f"bench/voice_tune.py head --framings {framings}: {len(y)} utterances ({n_cond}), hidden {hidden}, "
            f"alpha {alpha}, sklearn MLPClassifier seed 0")
    f32 = np.float32
    IntentHead(
        sc.mean_.astype(f32), sc.scale_.astype(f32), net.coefs_[0].astype(f32), net.intercepts_[0].astype(f32),
        net.coefs_[1].astype(f32), net.intercepts_[1].astype(f32), tuple(str(c) for c in net.classes_), info,
    ).save(out)
    return {"utterances": len(y), "conditions": n_cond, "train_accuracy": round(float(net.score(sc.transform(x), y)), 4),
            "classes": list(net.classes_), "out": str(out)}


class _Recorded:
    """A classifier that hands back a verdict already computed (for re-deciding with another rule)."""

    def __init__(self, verdict) -> None:  # noqa: ANN001
        self.verdict = verdict

    def classify(self, samples: np.ndarray):  # noqa: ANN201, ARG002
        return self.verdict


#: Seeds of the clips :func:`decode_split` speaks (commands, sentences), per split.
RULE_SEEDS = {"test": (50_000, 60_000), "select": (70_000, 80_000)}


def decode_split(split: str) -> list[tuple]:
    """Speak a split's commands and the test sentences (whole: conditions [::2] + [1::4]; live:
    [::2], as tests/test_voice_recognition.py and test_voice_streaming.py do for ``test``),
    decode each whole and streamed through the app's Listener (a decoder per path: the live
    path's running cepstral mean carries over), and keep each utterance's decoder result with
    the head's input vector, so any head can then be scored without decoding again:
    [(path, kind, text, condition label, [(Recognition, vector)])]."""
    from hingecoach.audio.embedding import SpeechEmbedder, model_paths, utterance_features
    from hingecoach.audio.recognisers import CheckedRecogniser

    embedder = SpeechEmbedder(*model_paths())

    class Logged(CheckedRecogniser):
        """Records each utterance's decoder result and head input (both paths end in combine)."""

        def combine(self, r, samples):  # noqa: ANN001, ANN202
            self.log.append((r, utterance_features(embedder, samples)))
            return r

    def make() -> Logged:
        rec = Logged(SphinxRecogniser(decoys=decoy_phrases()), None)
        rec.log = []
        return rec

    conds = CONDITIONS[split]
    cmd_seed, sent_seed = RULE_SEEDS[split]
    clips = [("cmd", p, cmd_seed + ci * 100 + k, cond) for ci, cond in enumerate(conds) for k, p in enumerate(command_phrases())]
    whole_sent = conds[::2] + conds[1::4]
    clips += [("sent", t, sent_seed + ci * 100 + k, cond) for ci, cond in enumerate(whole_sent) for k, t in enumerate(SENTENCES["test"])]
    live_sent = {c.label for c in conds[::2]}
    logs = []
    whole, live = make(), make()
    for kind, text, seed, cond in clips:
        x = render(text, cond, seed=seed)
        whole.log = []
        whole.recognise(x)
        logs.append(("whole", kind, text, cond.label, whole.log))
        if kind == "cmd" or cond.label in live_sent:
            live.log = []
            live_results(live, x)
            logs.append(("live", kind, text, cond.label, live.log))
    return logs


class MeanHead:
    """Several intent heads as one: the mean of their probabilities."""

    def __init__(self, heads: list) -> None:
        self.heads = heads
        self.classes = heads[0].classes
        if any(h.classes != self.classes for h in heads):
            raise SystemExit("those heads do not have the same classes")

    def probabilities(self, vec: np.ndarray) -> np.ndarray:
        return np.mean([h.probabilities(vec) for h in self.heads], axis=0)


def load_head(spec: str | None):  # noqa: ANN201
    """``a.npz`` or ``a.npz+b.npz`` (their mean); None = the packaged head."""
    from hingecoach.audio.embedding import IntentHead

    if spec is None:
        return IntentHead.load()
    parts = [IntentHead.load(p) for p in spec.split("+")]
    return parts[0] if len(parts) == 1 else MeanHead(parts)


def score_rule(logs: list[tuple], head, lead: float, veto: float, second=None, second_p: float = 1.01) -> dict:  # noqa: ANN001
    """Commands right / taken for another and sentences accepted, per path, as
    CheckedRecogniser.combine decides with ``head`` (and the ``second`` head) and
    ``{"lead": lead, "veto": veto, "second": second_p}``."""
    from types import SimpleNamespace

    from hingecoach.audio.embedding import head_verdict
    from hingecoach.audio.recognisers import CheckedRecogniser

    decoder = SimpleNamespace(name="pocketsphinx")
    rule = {"lead": lead, "veto": veto, "second": second_p}
    row: dict = {}
    for path in ("whole", "live"):
        n = right = wrong = ns = fa = 0
        for pth, kind, text, _, log in logs:
            if pth != path:
                continue
            got = []
            for r, vec in log:
                v = head_verdict(head, vec, head_verdict(second, vec) if second is not None else None)
                got.append(CheckedRecogniser(decoder, _Recorded(v), rule).combine(r, np.zeros(1, np.int16)).intent)
            if kind == "cmd":
                ok, bad = command_outcome(text, got)
                n += 1
                right += ok
                wrong += bad
            else:
                ns += 1
                fa += any(g is not None for g in got)
        row[path] = {"right": right, "commands": n, "wrong": wrong, "sentences_accepted": fa, "sentences": ns}
    return row


def rule_grid(heads: list[str | None], leads: list[float], vetoes: list[float], split: str = "test",
              cache: Path | None = None, second: str | None = None, second_ps: tuple[float, ...] = (1.01,)) -> list[dict]:
    """Decode ``split`` once (or read ``cache``, written on the first run), then score every
    head x (lead, veto, second head's threshold) with CheckedRecogniser.combine itself."""
    import pickle

    if cache is not None and cache.exists():
        logs = pickle.loads(cache.read_bytes())
    else:
        logs = decode_split(split)
        if cache is not None:
            cache.write_bytes(pickle.dumps(logs))
    out = []
    second_head = load_head(second) if second is not None else None
    for spec in heads:
        head = load_head(spec)
        for lead, veto, sp in [(a, b, c) for a in leads for b in vetoes for c in second_ps]:
            row = {"split": split, "head": spec or "packaged", "lead": lead, "veto": veto, "second": second, "second_p": sp,
                   **score_rule(logs, head, lead, veto, second_head, sp)}
            print(f"{split} {row['head']} lead {lead} veto {veto} second {second} >= {sp}: " + " | ".join(
                f"{p} {row[p]['right']}/{row[p]['commands']} wrong {row[p]['wrong']} "
                f"sent {row[p]['sentences_accepted']}/{row[p]['sentences']}" for p in ("whole", "live")),
                file=sys.stderr, flush=True)
            out.append(row)
    return out


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
    h.add_argument("--framings", choices=HEAD_FRAMINGS, default="whole",
                   help="mixed: also each clip as the listener cuts it (the second head, --out .../intent_head_second.npz)")
    r = sub.add_parser("rule", help="score heads and CHECK_RULE choices on the test (or select) split")
    r.add_argument("--split", choices=sorted(RULE_SEEDS), default="test")
    r.add_argument("--head", action="append", default=None,
                   help="an intent head file, or a.npz+b.npz for their mean; repeat to compare (default: the packaged one)")
    r.add_argument("--cache", type=Path, default=None, help="keep the split's decoding here and reuse it next time")
    r.add_argument("--second", default=str(SECOND_HEAD_FILE), help="the second head (default: the packaged one); none: no second head")
    r.add_argument("--second-p", type=float, nargs="+", default=[CHECK_RULE["second"]],
                   help="the second head's command stands where nothing else does when it gives it at least this")
    r.add_argument("--lead", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9, 0.95])
    r.add_argument("--veto", type=float, nargs="+", default=[0.0, 0.01, 0.05, 0.2])
    args = ap.parse_args()
    if args.cmd == "rule":
        second = None if args.second.lower() == "none" else args.second
        print(json.dumps(rule_grid(args.head or [None], args.lead, args.veto, args.split, args.cache, second, tuple(args.second_p))))
        return
    if args.cmd == "head":
        print(json.dumps(head(args.jobs, args.out, framings=args.framings)))
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
