"""A second ear: command intents from Google's speech embedding (openWakeWord's ONNX export).

PocketSphinx decodes words with an acoustic model of US English read speech; on voices far
from that (the corpus ``holdout`` split: a child-like voice, a Lancashire accent, a klatt
voice) it lost about a quarter of the commands (README, "Voice"). This module classifies a whole utterance straight to an intent
instead, the way openWakeWord spots wake words:

1. ``speech_melspectrogram.onnx``: 16 kHz int16 audio -> 32-band log-mel frames (10 ms hop);
2. ``speech_embedding.onnx``: every 76 frames (0.775 s), stepping 8 frames (80 ms), -> a
   96-number embedding from a network Google trained on a large corpus of real speech
   (https://tfhub.dev/google/speech_embedding/1; the ONNX export ships in the
   openWakeWord 0.4.0 wheel, Apache-2.0; ``models/manifest.json``);
   (before that, :func:`utterance_features` frames the utterance the same way whoever cut
   it, :func:`frame_utterance`: a WAV file with silence around the command and the
   listener's tight cut of the same command come out alike, a quiet speaker and a loud
   one at the same level; then it mixes in the same
   deterministic noise floor PocketSphinx gets, 30 dB under the loud frames, so digital
   silence and a microphone's hiss look alike too);
3. :func:`utterance_vector`: the utterance's embeddings resampled to :data:`HEAD_STEPS`
   steps plus their mean and maximum (a fixed-length summary that keeps word order);
4. :class:`IntentHead`: a one-hidden-layer network (numpy) giving a probability for each
   intent and for "none". Trained by ``bench/voice_tune.py head`` on synthetic speech of
   the ``tune`` and ``train`` corpus splits only (voices disjoint from the test, holdout
   and fresh splits), with the coach's own cues and ordinary sentences as "none".

:class:`EmbeddingClassifier` puts the three together. How it is combined with the grammar
decoder is :class:`hingecoach.audio.recognisers.CheckedRecogniser`.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hingecoach.errors import ModelError

log = logging.getLogger(__name__)

MEL_MODEL = "speech_melspectrogram"
EMBEDDING_MODEL = "speech_embedding"
#: Embedding window (mel frames) and step, as the network was trained.
WINDOW_FRAMES = 76
STEP_FRAMES = 8
MEL_BANDS = 32
#: Time steps the utterance's embeddings are resampled to (see :func:`utterance_vector`).
HEAD_STEPS = 8
EMBEDDING_DIM = 96
HEAD_FILE = Path(__file__).with_name("data") / "intent_head.npz"
#: The second head: the same recipe trained on each clip both as a WAV file frames it and as
#: the listener cuts it (``bench/voice_tune.py head --framings mixed``). It is asked only where
#: the first head and the decoder name no command (:data:`~hingecoach.audio.recognisers.CHECK_RULE`).
SECOND_HEAD_FILE = Path(__file__).with_name("data") / "intent_head_second.npz"
#: The label of "not a command" in the head's classes.
NONE = "none"


def intent_label(name: str, slots: dict[str, str] | None = None) -> str:
    """The head's class label for an intent: ``stop``, ``start_drill/hinge``."""
    return name + (f"/{slots['drill']}" if slots and "drill" in slots else "")


class SpeechEmbedder:
    """Audio to a sequence of speech embeddings (two ONNX networks on onnxruntime)."""

    def __init__(self, mel_path: str | Path, embedding_path: str | Path) -> None:
        try:
            import onnxruntime as ort
        except (ImportError, OSError) as exc:  # pragma: no cover - a broken install
            raise ModelError("onnxruntime is not installed: `pip install onnxruntime`") from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # the frame loop owns the other core
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.enable_cpu_mem_arena = False  # the arena kept ~30 MB for a 2 s utterance
        try:
            self._mel = ort.InferenceSession(str(mel_path), opts, providers=["CPUExecutionProvider"])
            self._emb = ort.InferenceSession(str(embedding_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load the speech embedding models ({exc}): run "
                             f"`hingecoach models fetch {MEL_MODEL} {EMBEDDING_MODEL}`") from exc

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """16 kHz mono int16 samples -> (steps, 96) float32 embeddings (at least one step)."""
        x = np.asarray(samples, dtype=np.int16).astype(np.float32)[None]
        if x.shape[1] < 400:  # shorter than one mel frame
            x = np.pad(x, ((0, 0), (0, 400 - x.shape[1])))
        spec = np.squeeze(self._mel.run(None, {"input": x})[0], axis=(0, 1)) / 10.0 + 2.0
        if spec.shape[0] < WINDOW_FRAMES:
            fill = np.full((WINDOW_FRAMES - spec.shape[0], MEL_BANDS), spec.min(), np.float32)
            spec = np.concatenate([spec, fill])
        starts = range(0, spec.shape[0] - WINDOW_FRAMES + 1, STEP_FRAMES)
        wins = np.stack([spec[i : i + WINDOW_FRAMES] for i in starts])[..., None].astype(np.float32)
        return self._emb.run(None, {"input_1": wins})[0].reshape(len(wins), EMBEDDING_DIM)


def utterance_vector(emb: np.ndarray) -> np.ndarray:
    """A fixed-length summary of one utterance's embeddings: :data:`HEAD_STEPS` evenly spaced
    steps (linear interpolation, so word order survives), then the mean and the maximum."""
    t = len(emb)
    pos = np.linspace(0.0, t - 1.0, HEAD_STEPS)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo)[:, None]
    steps = emb[lo] * (1.0 - w) + emb[hi] * w
    return np.concatenate([steps.ravel(), emb.mean(0), emb.max(0)]).astype(np.float32)


#: :func:`frame_utterance`: frames within this many dB of the loud ones are speech; the
#: speech keeps this much margin and gets this much silence either side.
FRAME_SPEECH_DB = 25.0
FRAME_MARGIN_S = 0.15
FRAME_PAD_S = 0.15


#: ... and the reference level is at least this far under the loudest frame (a long file
#: with a short command in it: the 95th percentile is then the silence around it).
FRAME_REF_UNDER_MAX_DB = 20.0
#: ... and the speech is scaled so that reference level is this (dB re one int16 step,
#: 10 ms frame RMS; about -14 dBFS, where espeak-ng's clips sit): a user two metres from the
#: microphone and one leaning over it give the head the same input.
FRAME_LEVEL_DB = 76.0


def frame_utterance(samples: np.ndarray, rate: int = 16000) -> np.ndarray:
    """Cut ``samples`` to its speech (10 ms frames within :data:`FRAME_SPEECH_DB` of the 95th
    percentile frame level, or of :data:`FRAME_REF_UNDER_MAX_DB` under the loudest frame if
    that is higher, first to last, plus :data:`FRAME_MARGIN_S`), scale it so the reference
    level is :data:`FRAME_LEVEL_DB`, then add :data:`FRAME_PAD_S` of digital silence either
    side. In steady noise less than :data:`FRAME_SPEECH_DB` under the speech nothing is cut,
    so a WAV file keeps all the noise around its command while the listener's cut of it
    holds only its pre-roll and hangover (README, "Tried and not shipped (session 10)")."""
    from hingecoach.audio.pcm import frame_rms

    x = np.asarray(samples, dtype=np.int16)
    hop = rate // 100
    if len(x) >= hop:
        db = 20.0 * np.log10(frame_rms(x, hop) + 1e-9)
        ref = max(float(np.percentile(db, 95)), float(db.max()) - FRAME_REF_UNDER_MAX_DB)
        loud = np.nonzero(db >= ref - FRAME_SPEECH_DB)[0]
        margin = int(FRAME_MARGIN_S * rate)
        x = x[max(0, loud[0] * hop - margin) : min(len(x), (loud[-1] + 1) * hop + margin)]
        if ref > 20.0:  # not digital silence
            gain = 10.0 ** ((FRAME_LEVEL_DB - ref) / 20.0)
            x = np.clip(np.round(x * gain), -32768, 32767).astype(np.int16)
    pad = np.zeros(int(FRAME_PAD_S * rate), np.int16)
    return np.concatenate([pad, x, pad])


def utterance_features(embedder: Any, samples: np.ndarray) -> np.ndarray:  # noqa: ANN401
    """What the head sees of one utterance (training and run time alike)."""
    from hingecoach.audio.recognisers import DITHER_STD, NOISE_FLOOR_DB, add_noise_floor

    x = add_noise_floor(frame_utterance(samples), NOISE_FLOOR_DB, DITHER_STD)
    return utterance_vector(embedder.embed(x))


@dataclass(frozen=True)
class IntentHead:
    """Standardise, one ReLU layer, softmax over :attr:`classes`."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    classes: tuple[str, ...]
    info: str = ""

    @classmethod
    def load(cls, path: str | Path = HEAD_FILE) -> IntentHead:
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(
                    z["mean"], z["scale"], z["w1"], z["b1"], z["w2"], z["b2"],
                    tuple(str(c) for c in z["classes"]), str(z["info"]) if "info" in z else "",
                )
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(f"cannot read the intent head {path} ({exc}): reinstall hingecoach") from exc

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path, mean=self.mean, scale=self.scale, w1=self.w1, b1=self.b1, w2=self.w2, b2=self.b2,
            classes=np.array(self.classes), info=np.array(self.info),
        )

    def probabilities(self, vec: np.ndarray) -> np.ndarray:
        h = np.maximum(0.0, ((vec - self.mean) / self.scale) @ self.w1 + self.b1)
        z = h @ self.w2 + self.b2
        z = np.exp(z - z.max())
        return z / z.sum()


@dataclass(frozen=True)
class Verdict:
    """The classifier's opinion of one utterance."""

    label: str  # an :func:`intent_label` or :data:`NONE`
    probability: float
    probabilities: dict[str, float]
    second: Verdict | None = None  # the second head's, when the classifier has one

    def prob(self, label: str) -> float:
        return self.probabilities.get(label, 0.0)


def head_verdict(head: IntentHead, vec: np.ndarray, second: Verdict | None = None) -> Verdict:
    """``head``'s opinion of one utterance vector."""
    p = head.probabilities(vec)
    i = int(np.argmax(p))
    return Verdict(head.classes[i], float(p[i]), {c: float(v) for c, v in zip(head.classes, p, strict=True)}, second)


class EmbeddingClassifier:
    """Utterance audio -> :class:`Verdict` (with the second head's inside, when there is one:
    the embedding is computed once for both)."""

    def __init__(self, embedder: Any, head: IntentHead, second: IntentHead | None = None) -> None:  # noqa: ANN401
        self.embedder = embedder
        self.head = head
        self.second = second

    def classify(self, samples: np.ndarray) -> Verdict:
        vec = utterance_features(self.embedder, samples)
        return head_verdict(self.head, vec, head_verdict(self.second, vec) if self.second is not None else None)


def model_paths(models_dir: str | Path | None = None) -> tuple[Path, Path]:
    """The two verified model files: from ``models_dir`` when it holds them, else from the
    models directory (``$HINGECOACH_MODELS`` or the repository's ``models/``).
    ModelError naming the fetch command when missing or corrupt."""
    from hingecoach.pose import models as mm

    dirs = [Path(models_dir)] if models_dir is not None else []
    dirs.append(mm.models_dir())

    def verified(d: Path) -> tuple[Path, Path]:
        try:
            return mm.require(MEL_MODEL, d), mm.require(EMBEDDING_MODEL, d)
        except ModelError as exc:
            where = "" if d == mm.models_dir() else f" --dir {d}"
            fix = f"run `hingecoach models fetch{where} {MEL_MODEL} {EMBEDDING_MODEL}`"
            raise ModelError(f"{str(exc).split(': run')[0]}: {fix}") from None

    for d in dirs[:-1]:
        if (d / f"{MEL_MODEL}.onnx").is_file() and (d / f"{EMBEDDING_MODEL}.onnx").is_file():
            return verified(d)
    return verified(dirs[-1])


def load_classifier(models_dir: str | Path | None = None) -> EmbeddingClassifier:
    """The classifier from the verified model files and the two packaged heads."""
    mel, emb = model_paths(models_dir)
    return EmbeddingClassifier(SpeechEmbedder(mel, emb), IntentHead.load(), IntentHead.load(SECOND_HEAD_FILE))
