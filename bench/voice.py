"""Voice benchmark: latency of commands and cues, and honest accuracy on held-out speech.

    .venv/bin/python bench/voice.py            # latency + holdout accuracy (a few minutes)
    .venv/bin/python bench/voice.py --quick    # latency only
    .venv/bin/python bench/voice.py --split fresh   # accuracy on the `fresh` split instead

Figures (last line is one JSON object):

* ``intent_latency_ms`` - median time from the end of speech (last sample above the
  clean signal's noise floor) to the intent: the endpointer's hangover (audio time, the
  stream arrives in real time) plus the recogniser's compute time (wall clock).
* ``asr_rtf`` - recogniser compute time / utterance duration (mean).
* ``cue_latency_cached_ms`` / ``cue_latency_uncached_ms`` - ``Speaker.say`` to the first
  sample handed to the sink (median), for a warmed phrase and for a new one (pyttsx3
  render included). Device sinks add a 150 ms pre-roll after 2 s of idle (HDMI/USB wake
  up), not counted here.
* ``holdout_*`` - accuracy on the corpus ``holdout`` split (or ``--split fresh``): voices,
  speeds, noises and sentences used neither in tuning nor in tests.

The recogniser is built as the app and ``listen`` build it: the coach's catalogue
(``decoy_phrases()``) competes in the grammar as decoys.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from hingecoach.audio.corpus import CONDITIONS, SENTENCES, Condition, espeak_16k, render
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.listener import Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, add_noise, coloured_noise, pad
from hingecoach.audio.recognisers import SphinxRecogniser
from hingecoach.audio.sinks import MemorySink
from hingecoach.audio.speaker import PlaybackSpeaker
from hingecoach.audio.tts import Pyttsx3Tts
from hingecoach.coach.cues import decoy_phrases


def speech_end_s(clean: np.ndarray, lead_s: float) -> float:
    """Seconds from the clip start to the last sample of the clean speech above -40 dBFS-ish."""
    idx = np.nonzero(np.abs(clean.astype(np.int32)) > 300)[0]
    return lead_s + (idx[-1] + 1) / ASR_RATE if len(idx) else lead_s


def intent_latency(rec: SphinxRecogniser) -> dict:
    lat, rtf, right, n = [], [], 0, 0
    conds = [Condition("en-us", 165), Condition("en-us", 165, "pink", 15.0)]
    for ci, cond in enumerate(conds):
        for k, phrase in enumerate(command_phrases()):
            clean = espeak_16k(phrase, cond)
            lead = 0.5
            x = pad(clean, ASR_RATE, lead, 0.9)
            rng = np.random.default_rng(ci * 100 + k)
            if cond.noise != "clean":  # continuous background noise, as in a room
                x = add_noise(x, cond.snr_db, coloured_noise(len(x), cond.noise, rng))
            x = np.clip(x + rng.normal(0, 20, len(x)).round(), -32768, 32767).astype(np.int16)  # mic hiss
            t_end = speech_end_s(clean, lead)
            listener = Listener(rec)
            for t, block in FakeMic(x).blocks():
                heard = listener.feed(t, block)
                if heard is not None:
                    n += 1
                    want = parse_command(phrase)
                    got = heard.result.intent
                    right += bool(got and (got.name, got.slots) == (want.name, want.slots))
                    lat.append((heard.utterance.t_detected - t_end) + heard.compute_s)
                    rtf.append(heard.compute_s / max(1e-3, len(heard.utterance.samples) / ASR_RATE))
                    break
    return {
        "intent_latency_ms": round(1000 * statistics.median(lat), 1),
        "intent_latency_p90_ms": round(1000 * float(np.percentile(lat, 90)), 1),
        "asr_rtf": round(float(np.mean(rtf)), 4),
        "stream_commands_right": f"{right}/{len(command_phrases()) * len(conds)}",
    }


def cue_latency() -> dict:
    sink = MemorySink(clock=time.perf_counter)
    phrases = ["push your hips back", "soft knees", "tuck your chin", "nice rep", "finish tall"]
    spk = PlaybackSpeaker(sink, tts=Pyttsx3Tts(), clock=time.perf_counter, warm=phrases)
    try:
        spk.wait_until_warm()
        cached, uncached = [], []
        for i in range(3):
            for p in phrases:
                spk.say(p)
                spk.wait_idle()
                cached.append(spk.first_sample_latency_s[-1])
            spk.say(f"new phrase number {i} for the bench")
            spk.wait_idle()
            uncached.append(spk.first_sample_latency_s[-1])
        for p in ["keep your back flat", "stand side on", "step closer to the wall"]:
            spk.say(p)
            spk.wait_idle()
            uncached.append(spk.first_sample_latency_s[-1])
    finally:
        spk.close()
    return {
        "cue_latency_cached_ms": round(1000 * statistics.median(cached), 2),
        "cue_latency_uncached_ms": round(1000 * statistics.median(uncached), 1),
    }


SEEDS = {"holdout": 90_000, "fresh": 200_000}


def holdout(rec: SphinxRecogniser, split: str = "holdout") -> dict:
    right = total = wrong = 0
    base = SEEDS[split]
    for ci, cond in enumerate(CONDITIONS[split]):
        for k, phrase in enumerate(command_phrases()):
            r = rec.recognise(render(phrase, cond, seed=base + ci * 100 + k))
            want = parse_command(phrase)
            ok = r.intent is not None and (r.intent.name, r.intent.slots) == (want.name, want.slots)
            right += ok
            wrong += r.intent is not None and not ok
            total += 1
    fa = n_sent = 0
    accepted = []
    for ci, cond in enumerate(CONDITIONS[split][::2]):
        for k, s in enumerate(SENTENCES[split]):
            r = rec.recognise(render(s, cond, seed=base + 5_000 + ci * 100 + k))
            n_sent += 1
            if r.intent is not None:
                fa += 1
                accepted.append(f"{s} -> {r.text} ({cond.label})")
    for a in accepted:
        print(f"{split} false accept:", a)
    return {
        f"{split}_command_accuracy": round(right / total, 4),
        f"{split}_commands": total,
        f"{split}_wrong_intent": wrong,
        f"{split}_sentence_false_accept_rate": round(fa / n_sent, 4),
        f"{split}_sentences": n_sent,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="latency figures only")
    ap.add_argument("--split", choices=sorted(SEEDS), default="holdout", help="accuracy split (default holdout)")
    args = ap.parse_args()
    rec = SphinxRecogniser(decoys=decoy_phrases())
    out: dict = {"recogniser": rec.name}
    out.update(intent_latency(rec))
    print("intent latency:", out, flush=True)
    out.update(cue_latency())
    print("cue latency:", out, flush=True)
    if not args.quick:
        out.update(holdout(rec, args.split))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
