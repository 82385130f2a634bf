"""Speech recognisers bound to the command grammar, behind one small interface.

* :class:`VoskRecogniser` - the design's choice: Kaldi via Vosk with the phrase list as
  grammar plus ``[unk]`` for "none of these", word confidences for rejection. Needs a
  model folder in ``models/`` (``models/vosk-model-small-en-us-0.15``, fetched on the Pi).
* :class:`SphinxRecogniser` - PocketSphinx 5 with a JSGF grammar. Its wheel ships an
  en-us model, so it is the embedded default whenever no Vosk model is installed. A
  grammar decoder alone accepts anything (it always picks the closest command), so a
  second, free phone-loop decode ("allphone") of the same audio is the yardstick: the
  phones heard are compared with the phones of the command the grammar chose, and the
  utterance is rejected when they disagree too much or the lengths do not fit
  (:func:`sphinx_accept`, thresholds in :data:`SPHINX_REJECTION`, fitted on the
  ``tune`` split of :mod:`hingecoach.audio.corpus` only).
* :class:`ScriptedRecogniser` - the fake: returns queued texts (for listener tests).

All take one utterance at a time: 16 kHz mono int16 samples (the endpointer in
:mod:`hingecoach.audio.listener` cuts the stream into utterances).
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hingecoach.audio.grammar import EXTRA_PRONUNCIATIONS, grammar_words, jsgf, vosk_grammar
from hingecoach.audio.intents import Intent, parse_command
from hingecoach.audio.pcm import ASR_RATE
from hingecoach.errors import DeviceError, ModelError

log = logging.getLogger(__name__)

#: Where models live, relative to the working directory (overridable with HINGECOACH_MODELS).
DEFAULT_MODELS_DIR = "models"


@dataclass(frozen=True)
class Recognition:
    """What a recogniser made of one utterance.

    Attributes:
        text: the words the grammar decoder chose ("" when it found none).
        intent: the accepted command, or None (not a command, or rejected).
        confidence: 0..1 acceptance score (1 = certainly the command in ``text``).
        engine: ``pocketsphinx`` | ``vosk`` | ``scripted``.
        details: engine-specific evidence (phones heard, distances, word confidences).
    """

    text: str
    intent: Intent | None
    confidence: float
    engine: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``listen --json`` object."""
        return {
            "intent": self.intent.name if self.intent else None,
            "slots": dict(self.intent.slots) if self.intent else {},
            "text": self.text,
            "confidence": round(float(self.confidence), 3),
        }


class Recogniser(Protocol):
    """One utterance in, one :class:`Recognition` out."""

    name: str

    def recognise(self, samples: np.ndarray) -> Recognition:
        """Decode 16 kHz mono int16 samples holding (at most) one utterance."""
        ...


# --------------------------------------------------------------------------- PocketSphinx

#: Rejection thresholds for :class:`SphinxRecogniser` (see :func:`sphinx_accept`).
#: Fitted on the corpus ``tune`` split only (bench/voice_tune.py); units noted per key.
SPHINX_REJECTION: dict[str, float] = {
    # phone edit distance between the free phone loop and the chosen command's
    # pronunciation, divided by the command's phone count (0 = identical).
    "max_phone_error": 0.75,
    # phones heard by the free loop per phone of the command (utterance much longer
    # than the command = the person said something else around it).
    "max_length_ratio": 1.6,
    "min_length_ratio": 0.45,
    # confidence = 1 - phone_error / max_phone_error, floored at 0.
}

#: Amplitude (int16 units, standard deviation) of the deterministic dither added before
#: decoding: PocketSphinx mis-decodes stretches of exact digital silence (WAV files).
DITHER_STD = 3.0

_NON_SPEECH_PHONES = {"SIL", "<s>", "</s>", "<sil>"}


def _edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two phone lists."""
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[-1]


def sphinx_accept(
    heard_phones: list[str], command_phones: list[str], thresholds: dict[str, float] | None = None
) -> tuple[bool, float, dict[str, float]]:
    """Decide whether the grammar's choice is really what was said.

    Args:
        heard_phones: phones from the free phone-loop decode (silences removed).
        command_phones: the pronunciation of the command the grammar chose.
        thresholds: override :data:`SPHINX_REJECTION`.
    Returns:
        (accepted, confidence 0..1, evidence dict).
    """
    th = {**SPHINX_REJECTION, **(thresholds or {})}
    n_cmd = max(1, len(command_phones))
    err = _edit_distance(heard_phones, command_phones) / n_cmd
    ratio = len(heard_phones) / n_cmd
    ok = (
        err <= th["max_phone_error"]
        and th["min_length_ratio"] <= ratio <= th["max_length_ratio"]
    )
    conf = max(0.0, 1.0 - err / max(1e-6, th["max_phone_error"])) if ok else 0.0
    conf = 0.5 + 0.5 * conf if ok else min(0.49, 0.5 * max(0.0, 1.0 - err))
    return ok, conf, {"phone_error": round(err, 3), "length_ratio": round(ratio, 3)}


class SphinxRecogniser:
    """PocketSphinx grammar decoder + free phone-loop yardstick for rejection.

    Args:
        model_dir: an acoustic model folder; default: the one in the pocketsphinx wheel.
        thresholds: override :data:`SPHINX_REJECTION` (tuning only).
    """

    name = "pocketsphinx"

    def __init__(
        self, model_dir: str | Path | None = None, thresholds: dict[str, float] | None = None
    ) -> None:
        try:
            import pocketsphinx as ps
        except ImportError as exc:
            raise ModelError(
                f"PocketSphinx is not installed ({exc}): run ./script/setup or `pip install pocketsphinx`"
            ) from None
        base = Path(ps.get_model_path())
        hmm = Path(model_dir) if model_dir else base / "en-us" / "en-us"
        dict_path = base / "en-us" / "cmudict-en-us.dict"
        phone_lm = base / "en-us" / "en-us-phone.lm.bin"
        for p in (hmm, dict_path, phone_lm):
            if not p.exists():
                raise ModelError(f"PocketSphinx model file {p} is missing: reinstall pocketsphinx")
        self.thresholds = {**SPHINX_REJECTION, **(thresholds or {})}
        common = {"hmm": str(hmm), "dict": str(dict_path), "loglevel": "FATAL"}
        self._grammar = ps.Decoder(lm=None, **common)
        for word, pron in EXTRA_PRONUNCIATIONS.items():
            if self._grammar.lookup_word(word) is None:
                self._grammar.add_word(word, pron, True)
        self._grammar.add_jsgf_string("commands", jsgf())
        self._grammar.activate_search("commands")
        self._phones = ps.Decoder(lm=None, allphone=str(phone_lm), **common)
        self._lexicon = {w: (self._grammar.lookup_word(w) or "").split() for w in grammar_words()}
        missing = [w for w, p in self._lexicon.items() if not p]
        if missing:
            raise ModelError(f"no pronunciation for grammar words {missing}: add them to EXTRA_PRONUNCIATIONS")
        self.model = str(hmm)

    @staticmethod
    def _dither(samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.int16)
        rng = np.random.default_rng(len(x))  # deterministic per utterance length
        noise = rng.normal(0.0, DITHER_STD, len(x))
        return np.clip(x + np.round(noise), -32768, 32767).astype(np.int16)

    def _decode(self, decoder: Any, pcm: bytes) -> tuple[str, list[str]]:  # noqa: ANN401
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hyp = decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        try:
            units = [s.word for s in decoder.seg()]
        except (RuntimeError, TypeError):
            units = []
        return text, units

    def recognise(self, samples: np.ndarray) -> Recognition:
        pcm = self._dither(samples).tobytes()
        text, _ = self._decode(self._grammar, pcm)
        candidate = parse_command(text) if text else None
        if candidate is None:
            return Recognition(text, None, 0.0, self.name, {"reason": "no grammar path"})
        _, units = self._decode(self._phones, pcm)
        heard = [u for u in units if u not in _NON_SPEECH_PHONES and not u.startswith("+")]
        expected = [p for w in text.split() for p in self._lexicon.get(w, [])]
        ok, conf, evidence = sphinx_accept(heard, expected, self.thresholds)
        details = {"heard_phones": " ".join(heard), "command_phones": " ".join(expected), **evidence}
        if not ok:
            return Recognition(text, None, conf, self.name, {**details, "reason": "rejected"})
        intent = Intent(candidate.name, candidate.slots, text, conf)
        return Recognition(text, intent, conf, self.name, details)


# --------------------------------------------------------------------------- Vosk

#: Vosk rejects when any word is ``[unk]`` or the lowest word confidence is below this.
VOSK_MIN_WORD_CONF = 0.6


def find_vosk_model(models_dir: str | Path | None = None) -> Path | None:
    """The first Vosk model folder in ``models_dir`` (one holding ``am/final.mdl`` or
    ``conf/model.conf``), preferring English names; None if there is none."""
    d = Path(models_dir or os.environ.get("HINGECOACH_MODELS", DEFAULT_MODELS_DIR))
    if not d.is_dir():
        return None
    found = [
        p for p in sorted(d.iterdir())
        if p.is_dir() and ((p / "am" / "final.mdl").is_file() or (p / "conf" / "model.conf").is_file())
    ]
    found.sort(key=lambda p: (0 if "en" in p.name.lower() else 1, p.name))
    return found[0] if found else None


class VoskRecogniser:
    """Vosk (Kaldi) with the command grammar and ``[unk]``.

    Args:
        model_path: a Vosk model folder (e.g. ``models/vosk-model-small-en-us-0.15``).
        min_word_conf: reject below this word confidence (0..1).
    """

    name = "vosk"

    def __init__(self, model_path: str | Path, min_word_conf: float = VOSK_MIN_WORD_CONF) -> None:
        p = Path(model_path)
        if not p.is_dir():
            raise ModelError(f"Vosk model folder {p} not found: unpack a model into models/")
        try:
            import vosk
        except ImportError as exc:
            raise ModelError(f"Vosk is not installed ({exc}): `pip install vosk`") from None
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(p))
        except Exception as exc:  # vosk raises a bare Exception on a bad folder
            raise ModelError(f"Vosk could not load {p} ({exc}): re-download the model") from None
        self._vosk = vosk
        self.model = str(p)
        self.min_word_conf = min_word_conf
        self._rec = self._new_recogniser()

    def _new_recogniser(self) -> Any:  # noqa: ANN401
        rec = self._vosk.KaldiRecognizer(self._model, float(ASR_RATE), vosk_grammar())
        rec.SetWords(True)
        return rec

    def recognise(self, samples: np.ndarray) -> Recognition:
        rec = self._rec
        rec.Reset()
        rec.AcceptWaveform(np.asarray(samples, dtype=np.int16).tobytes())
        result = json.loads(rec.FinalResult())
        return self.interpret(result)

    def interpret(self, result: dict[str, Any]) -> Recognition:
        """Turn Vosk's FinalResult JSON into a Recognition (pure; unit-tested)."""
        text = " ".join(str(result.get("text", "")).split())
        words = result.get("result") or []
        confs = [float(w.get("conf", 0.0)) for w in words]
        min_conf = min(confs) if confs else 0.0
        details = {"word_confidences": confs}
        if not text or "[unk]" in text.split():
            return Recognition(text, None, 0.0, self.name, {**details, "reason": "out of grammar"})
        candidate = parse_command(text)
        if candidate is None or min_conf < self.min_word_conf:
            return Recognition(text, None, min_conf, self.name, {**details, "reason": "rejected"})
        return Recognition(text, Intent(candidate.name, candidate.slots, text, min_conf), min_conf, self.name, details)


# --------------------------------------------------------------------------- fake


class ScriptedRecogniser:
    """The fake: each call pops the next scripted text and parses it as a command.

    Records every utterance length (samples) it was given, for tests.
    """

    name = "scripted"

    def __init__(self, texts: list[str] | None = None) -> None:
        self.texts: deque[str] = deque(texts or [])
        self.heard: list[int] = []

    def recognise(self, samples: np.ndarray) -> Recognition:
        self.heard.append(len(samples))
        text = self.texts.popleft() if self.texts else ""
        intent = parse_command(text)
        return Recognition(text, intent, 1.0 if intent else 0.0, self.name)


# --------------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class RecogniserChoice:
    """Which engine ``auto`` picks and why (for logs and ``doctor``)."""

    engine: str
    model: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "model": self.model, "reason": self.reason}


def describe_recogniser(models_dir: str | Path | None = None) -> RecogniserChoice:
    """What ``make_recogniser("auto")`` would use, without loading anything heavy."""
    d = Path(models_dir or os.environ.get("HINGECOACH_MODELS", DEFAULT_MODELS_DIR))
    vosk_model = find_vosk_model(d)
    if vosk_model is not None:
        try:
            import importlib.util

            has_vosk = importlib.util.find_spec("vosk") is not None
        except ValueError:
            has_vosk = False
        if has_vosk:
            return RecogniserChoice("vosk", str(vosk_model), f"Vosk model found in {d}/")
        return RecogniserChoice(
            "pocketsphinx", None,
            f"Vosk model {vosk_model} present but the vosk package is missing: `pip install vosk`",
        )
    return RecogniserChoice(
        "pocketsphinx", "en-us (bundled with the pocketsphinx wheel)",
        f"no Vosk model in {d}/ (expected e.g. {d}/vosk-model-small-en-us-0.15): "
        "using the embedded PocketSphinx fallback",
    )


def make_recogniser(spec: str = "auto", models_dir: str | Path | None = None) -> Recogniser:
    """Build a recogniser: ``auto`` | ``vosk`` | ``pocketsphinx`` | ``vosk:PATH``.

    ``auto`` uses Vosk when a model is installed, else PocketSphinx, and logs which
    and why (a WARNING the first time it falls back).
    """
    spec = spec.strip()
    if spec.startswith("vosk:"):
        return VoskRecogniser(spec[len("vosk:"):])
    if spec == "vosk":
        model = find_vosk_model(models_dir)
        if model is None:
            raise ModelError(
                f"no Vosk model in {models_dir or DEFAULT_MODELS_DIR}/: fetch one "
                "(vosk-model-small-en-us-0.15) or use --recogniser pocketsphinx"
            )
        return VoskRecogniser(model)
    if spec in ("pocketsphinx", "sphinx"):
        return SphinxRecogniser()
    if spec != "auto":
        raise DeviceError(f"unknown recogniser {spec!r}: use auto, vosk, vosk:PATH or pocketsphinx")
    choice = describe_recogniser(models_dir)
    if choice.engine == "vosk" and choice.model:
        try:
            rec = VoskRecogniser(choice.model)
            log.info("recogniser: Vosk (%s)", choice.model)
            return rec
        except ModelError as exc:
            log.warning("recogniser: %s; falling back to PocketSphinx", exc)
            return SphinxRecogniser()
    log.warning("recogniser: %s", choice.reason)
    return SphinxRecogniser()
