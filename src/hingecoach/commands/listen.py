"""``hingecoach listen``: recognise voice commands from a WAV file or the microphone."""

from __future__ import annotations

import argparse
import json
import sys

from hingecoach.config import add_config_arguments
from hingecoach.errors import InputError

#: The longest WAV ``listen --wav`` takes: one command is a few seconds, and a long file's
#: decode grows to gigabytes (2 min of silence: 2.3 GB, 87 s; review, session 11).
MAX_WAV_S = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "listen",
        help="recognise voice commands (from --wav FILE, or live from the microphone)",
        description=(
            "Recognise one of the coach's voice commands. With --wav FILE the whole file is "
            "one utterance; without it, listen live until Ctrl-C (one line per utterance)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--wav", metavar="FILE", help="a WAV file holding one spoken command")
    p.add_argument("--json", action="store_true", help="print JSON objects instead of text")
    p.add_argument(
        "--recogniser", default=None,
        help="auto (Vosk when a model is in models/, else PocketSphinx), vosk, vosk:PATH, pocketsphinx "
             "(default: voice.engine from the config, auto unless set)",
    )
    p.add_argument("--models", default=None, help="models folder (default: models/ or $HINGECOACH_MODELS)")
    p.add_argument("--device", default=None,
                   help="microphone: PortAudio device index or name (default: audio.input from the config)")
    p.add_argument("--verbose", action="store_true", help="also print the rejection evidence")
    add_config_arguments(p)
    p.set_defaults(func=run)


def _emit(result, as_json: bool, verbose: bool) -> None:  # noqa: ANN001
    obj = result.to_json()
    if verbose:
        obj["details"] = result.details
    if as_json:
        print(json.dumps(obj), flush=True)
    else:
        intent = obj["intent"] or "(no command)"
        slots = "".join(f" {k}={v}" for k, v in obj["slots"].items())
        print(f"{intent}{slots}  heard={obj['text']!r} confidence={obj['confidence']}", flush=True)
        if verbose:
            print(f"  evidence: {json.dumps(result.details)}", flush=True)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from hingecoach.audio.listener import has_speech
    from hingecoach.audio.pcm import read_wav, to_asr
    from hingecoach.audio.recognisers import check_recogniser_spec
    from hingecoach.config import config_from_args

    cfg = config_from_args(args)
    engine = (args.recogniser if args.recogniser is not None else str(cfg.get("voice.engine"))).strip()
    if engine.lower() in ("none", "off"):
        where = "--recogniser none" if args.recogniser is not None else "voice.engine is none in the config"
        raise InputError(f"voice input is off ({where}): pass --recogniser auto, or set voice.engine to auto "
                         "(`hingecoach config show` says where it is set)")
    engine = check_recogniser_spec(engine)  # a misspelling, before any file or device is opened
    if args.wav:  # a bad file: its error alone
        audio = read_wav(args.wav)
        if audio.duration_s > MAX_WAV_S:
            raise InputError(f"{args.wav}: {audio.duration_s:.0f} s long: `listen --wav` hears one spoken "
                             f"command (at most {MAX_WAV_S:g} s): cut out the part with it, e.g. "
                             f"`sox IN cut.wav trim 12.5 5` for the 5 s from 12.5 s")
        samples = to_asr(audio)
        result = _recogniser(engine, args).recognise(samples)
        if result.intent is None and not has_speech(samples):
            # the grammar decoder always names some path ("four" for silence): nothing was heard
            result = replace(result, text="", details={**result.details, "reason": "no speech"})
        _emit(result, args.json, args.verbose)
        return 0

    from hingecoach.app import sound_device
    from hingecoach.audio.listener import Listener
    from hingecoach.audio.mic import DeviceMic

    # --device, else the microphone the app uses (audio.input in the config); the microphone
    # is settled before the recogniser's slow start-up
    named = str(args.device if args.device is not None else cfg.get("audio.input")).strip()
    if named.lower() in ("none", "off"):
        where = "--device none" if args.device is not None else "audio.input is none in the config"
        raise InputError(f"voice input is off ({where}): pass --device default (or a device name or "
                         "index), or set audio.input to default (`hingecoach config show` says where it is set)")
    mic = DeviceMic(sound_device(named))
    try:
        recogniser = _recogniser(engine, args)
        print(f"listening with {recogniser.name} (Ctrl-C to stop)...", file=sys.stderr, flush=True)
        for heard in Listener(recogniser).listen(mic):
            _emit(heard.result, args.json, args.verbose)
    finally:
        mic.close()
    return 0


def _recogniser(engine: str, args: argparse.Namespace):  # noqa: ANN202
    """The same grammar the app listens with: the coach's own phrases compete as decoys."""
    from hingecoach.audio.recognisers import make_recogniser
    from hingecoach.coach.cues import decoy_phrases

    return make_recogniser(engine, args.models, decoys=decoy_phrases())
