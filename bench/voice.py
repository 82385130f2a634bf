"""Voice benchmark: latency of commands and cues, and honest accuracy on held-out speech.

    .venv/bin/python bench/voice.py            # latency + holdout accuracy (a few minutes)
    .venv/bin/python bench/voice.py --quick    # latency only
    .venv/bin/python bench/voice.py --split fresh   # accuracy on the `fresh` split instead
    .venv/bin/python bench/voice.py --split other   # other synthesizers (flite, festival)

Figures (last line is one JSON object):

* ``intent_latency_ms`` - median time from the end of speech (last sample above the
  clean signal's noise floor) to the intent: the endpointer's hangover (audio time, the
  stream arrives in real time) plus the recogniser's compute time (wall clock).
* ``asr_rtf`` - recogniser compute time / utterance duration (mean).
* ``cue_latency_cached_ms`` / ``cue_latency_uncached_ms`` - ``Speaker.say`` to the first
  sample handed to the sink (median), for a warmed phrase and for a new one (pyttsx3
  render included). Device sinks add a 150 ms pre-roll after 2 s of idle (HDMI/USB wake
  up), not counted here.
* ``holdout_*`` - accuracy on the corpus ``holdout`` split (or ``--split fresh|other``): voices,
  speeds, noises and sentences used neither in tuning nor in tests, each clip decoded
  whole (as ``listen --wav`` does). ``holdout_live_*``: the same clips streamed through
  the app's :class:`~hingecoach.audio.listener.Listener` (endpointer, decoding while
  the user talks, running cepstral mean).

The recogniser is built as the app and ``listen`` build it: the coach's catalogue
(``decoy_phrases()``) competes in the grammar as decoys, and the speech embedding checks
every decode (:class:`~hingecoach.audio.recognisers.CheckedRecogniser`). ``--alone``:
PocketSphinx alone (what runs when the embedding models are missing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from hingecoach.audio.corpus import (
    CONDITIONS,
    SENTENCES,
    Condition,
    command_outcome,
    espeak_16k,
    other_synth_missing,
    render,
)
from hingecoach.audio.grammar import command_phrases
from hingecoach.audio.intents import parse_command
from hingecoach.audio.listener import Listener
from hingecoach.audio.mic import FakeMic
from hingecoach.audio.pcm import ASR_RATE, add_noise, coloured_noise, pad
from hingecoach.audio.recognisers import Recogniser, make_recogniser
from hingecoach.audio.sinks import MemorySink
from hingecoach.audio.speaker import PlaybackSpeaker
from hingecoach.audio.tts import Pyttsx3Tts
from hingecoach.coach.cues import decoy_phrases


def speech_end_s(clean: np.ndarray, lead_s: float) -> float:
    """Seconds from the clip start to the last sample of the clean speech above -40 dBFS-ish."""
    idx = np.nonzero(np.abs(clean.astype(np.int32)) > 300)[0]
    return lead_s + (idx[-1] + 1) / ASR_RATE if len(idx) else lead_s


def intent_latency(rec: Recogniser) -> dict:
    lat, rtf, right, n, live = [], [], 0, 0, 0
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
                    dur = max(1e-3, len(heard.utterance.samples) / ASR_RATE)
                    rtf.append((heard.stream_s + heard.compute_s) / dur)
                    live += heard.result.details.get("decode") == "live"
                    break
    return {
        "intent_latency_ms": round(1000 * statistics.median(lat), 1),
        "intent_latency_p90_ms": round(1000 * float(np.percentile(lat, 90)), 1),
        "asr_rtf": round(float(np.mean(rtf)), 4),
        "stream_commands_right": f"{right}/{len(command_phrases()) * len(conds)}",
        "stream_decoded_live": f"{live}/{n}",
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


SEEDS = {"test": 50_000, "holdout": 90_000, "fresh": 200_000, "other": 300_000}


def whole_clip(rec: Recogniser):  # noqa: ANN201
    """``listen --wav``'s path: the clip decoded whole; the intents it yields."""
    return lambda x: [rec.recognise(x).intent]


def live(rec: Recogniser):  # noqa: ANN201
    """The app's path: the clip streamed through a Listener in 20 ms blocks (one
    recogniser all along, so the running cepstral mean carries over from clip to
    clip, as in a session); the intents of every utterance the endpointer cut."""

    def run(x: np.ndarray) -> list:
        x = pad(x, ASR_RATE, 0.0, 0.4)  # room tone after the clip, so the hangover can pass
        return [h.result.intent for h in Listener(rec).listen(FakeMic(x))]

    return run


def accuracy(decode, split: str, label: str) -> dict:  # noqa: ANN001
    """Commands right / taken for another command, and sentences taken as a command.

    A command clip is right when some utterance gives the intended command and none
    gives another; a sentence is a false accept when any utterance gives a command.
    """
    right = total = wrong = 0
    base = SEEDS[split]
    for ci, cond in enumerate(CONDITIONS[split]):
        for k, phrase in enumerate(command_phrases()):
            ok, bad = command_outcome(phrase, decode(render(phrase, cond, seed=base + ci * 100 + k)))
            right += ok
            wrong += bad
            total += 1
    fa = n_sent = 0
    accepted = []
    for ci, cond in enumerate(CONDITIONS[split][::2]):
        for k, s in enumerate(SENTENCES[split]):
            got = [i for i in decode(render(s, cond, seed=base + 5_000 + ci * 100 + k)) if i is not None]
            n_sent += 1
            if got:
                fa += 1
                accepted.append(f"{s} -> {' / '.join(i.text for i in got)} ({cond.label})")
    for a in accepted:
        print(f"{label} false accept:", a)
    return {
        f"{label}_command_accuracy": round(right / total, 4),
        f"{label}_commands": total,
        f"{label}_wrong_intent": wrong,
        f"{label}_sentence_false_accept_rate": round(fa / n_sent, 4),
        f"{label}_sentences": n_sent,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="latency figures only")
    ap.add_argument("--split", choices=sorted(SEEDS), default="holdout", help="accuracy split (default holdout)")
    ap.add_argument("--alone", action="store_true", help="PocketSphinx alone, without the embedding check")
    ap.add_argument("--paths", choices=["both", "whole", "live"], default="both",
                    help="accuracy on whole clips, the live path, or both (default)")
    args = ap.parse_args()
    if args.split == "other" and (missing := other_synth_missing()):
        sys.exit(f"voice bench: the other split needs flite and festival: {missing}")
    rec = make_recogniser("pocketsphinx", decoys=decoy_phrases(), check=not args.alone)
    out: dict = {"recogniser": rec.name}
    out.update(intent_latency(rec))
    print("intent latency:", out, flush=True)
    out.update(cue_latency())
    print("cue latency:", out, flush=True)
    if not args.quick and args.paths != "live":
        out.update(accuracy(whole_clip(rec), args.split, args.split))
        print("whole clips:", out, flush=True)
    if not args.quick and args.paths != "whole":
        out.update(accuracy(live(rec), args.split, f"{args.split}_live"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
