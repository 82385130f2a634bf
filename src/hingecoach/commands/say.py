"""``hingecoach say "text"``: speak a line (or write it to a WAV file)."""

from __future__ import annotations

import argparse
import sys


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
    p.add_argument("--speaker", default="auto", help="auto|device|none|wav:DIR (ignored with --wav)")
    p.add_argument("--tts", default="auto", help="auto|pyttsx3|espeak|piper")
    p.add_argument("--volume", type=float, default=0.8, help="0..1 of full scale")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from hingecoach.audio.pcm import Audio, write_wav
    from hingecoach.audio.speaker import make_speaker
    from hingecoach.audio.tts import make_tts
    from hingecoach.errors import InputError

    if not args.text.strip():
        raise InputError("nothing to say: pass some text, e.g. `hingecoach say \"hips back\"`")
    if args.wav:
        tts = make_tts(args.tts)
        audio = tts.render(args.text)
        vol = min(1.0, max(0.0, args.volume))
        audio = Audio(np.round(audio.samples.astype(np.float32) * vol).astype(np.int16), audio.rate)
        path = write_wav(args.wav, audio)
        print(f"wrote {path} ({audio.duration_s:.2f} s, {audio.rate} Hz, {tts.name})", file=sys.stderr)
        return 0
    speaker = make_speaker(args.speaker, tts=lambda: make_tts(args.tts))
    try:
        speaker.volume = args.volume
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
