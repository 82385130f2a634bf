"""``hingecoach say "text"``: speak a line (or write it to a WAV file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hingecoach.config import add_config_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "say",
        help="speak a line through the coach's voice (or --wav out.wav)",
        description=(
            "Speak TEXT with the coach's text-to-speech. With --wav, write the audio to a WAV "
            "file instead. With no sound device, says so and writes to out/speech/."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("text", help="what to say")
    p.add_argument("--wav", metavar="FILE", help="write the speech to this WAV file instead of playing it")
    p.add_argument("--speaker", default="auto",
                   help="auto|device|none|wav:DIR (ignored with --wav); device and auto play on audio.output "
                        "from the config")
    p.add_argument("--tts", default=None,
                   help="auto|pyttsx3|espeak|piper|silent (the config's voice.tts spellings espeak-ng and none "
                        "work too; default: voice.tts from the config when set there, else auto)")
    p.add_argument("--volume", type=float, default=None, metavar="PERCENT",
                   help="0-100, as the config's audio.volume (default: audio.volume, 80 unless set)")
    add_config_arguments(p)
    p.set_defaults(func=run)


#: The longest text ``say`` takes (about two minutes of speech; espeak-ng timed out on
#: 25,000 characters and crashed the process on 100,000: review, session 11).
MAX_SAY_CHARS = 2000


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from hingecoach.app import is_off, sound_device
    from hingecoach.audio.pcm import Audio, write_wav
    from hingecoach.audio.speaker import make_speaker
    from hingecoach.audio.tts import make_tts
    from hingecoach.config import config_from_args
    from hingecoach.errors import InputError

    if not any(ch.isalnum() for ch in args.text):
        raise InputError(f"nothing to say in {args.text!r}: pass some words, e.g. `hingecoach say \"hips back\"`")
    if len(args.text) > MAX_SAY_CHARS:
        raise InputError(f"the text is {len(args.text)} characters long: `say` speaks at most {MAX_SAY_CHARS} "
                         f"at a time (espeak-ng crashes on very long input): split it")
    if args.volume is not None and 0.0 < args.volume <= 1.0:  # the old 0..1 spelling (before session 12);
        # the speaker plays nothing under 5% anyway
        guess = f"--volume {args.volume * 100:g}" if args.volume * 100 > 1 else "e.g. --volume 80"
        raise InputError(f"--volume {args.volume:g}: the volume is a percent, as audio.volume in the config: "
                         f"did you mean {guess}?")
    if args.volume is not None and not 0.0 <= args.volume <= 100.0:
        raise InputError(f"--volume {args.volume:g} is out of range: give a percent from 0 to 100, "
                         f"e.g. --volume 80")
    cfg = config_from_args(args)
    volume = (args.volume if args.volume is not None else float(cfg.get("audio.volume"))) / 100.0
    tts_spec = args.tts or (str(cfg.get("voice.tts")) if cfg.origin("voice.tts") != "default" else "auto")
    if args.wav:
        out = Path(args.wav)
        if out.suffix.lower() in (".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma"):
            raise InputError(f"--wav {out}: say writes WAV audio only: name a .wav file, e.g. --wav "
                             f"{out.with_suffix('.wav')} (convert it after with sox)")
        if out.is_dir():
            raise InputError(f"{out}: is a folder: name a WAV file in it, e.g. --wav {out / 'say.wav'}")
        tts = make_tts(tts_spec)
        audio = tts.render(args.text)
        audio = Audio(np.round(audio.samples.astype(np.float32) * volume).astype(np.int16), audio.rate)
        try:
            path = write_wav(out, audio)
        except OSError as exc:
            raise InputError(f"{out}: cannot write the WAV file ({exc.strerror or exc}): "
                             f"choose a writable path") from None
        print(f"wrote {path} ({audio.duration_s:.2f} s, {audio.rate} Hz, {tts.name})", file=sys.stderr)
        return 0
    output = cfg.get("audio.output")
    if args.speaker.strip() == "auto" and is_off(output):
        raise InputError("there is no speaker to say it on (audio.output is none in the config): pass --wav FILE, "
                         "--speaker device, or set audio.output to default (`hingecoach config show` says where)")
    speaker = make_speaker(args.speaker, tts=lambda: make_tts(tts_spec), device=sound_device(output))
    try:
        speaker.volume = volume
        speaker.say(args.text)
        speaker.wait_idle(60)
        files = getattr(speaker.sink, "files", None)
        if files:
            print(f"wrote {files[-1]}", file=sys.stderr)
        for err in speaker.errors:
            print(f"hingecoach say: warning: {err}", file=sys.stderr)
    finally:
        speaker.close()
    return 0
