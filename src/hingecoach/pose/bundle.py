"""Build the Pose Landmarker ``.task`` bundle offline from the models inside the mediapipe wheel.

The mediapipe 0.10.14-0.10.21 wheels ship the BlazePose *full* model as two bare TFLite
files (``modules/pose_detection/pose_detection.tflite`` and
``modules/pose_landmark/pose_landmark_full.tflite``) for the legacy solution. The Tasks API
``PoseLandmarker`` wants a ``.task`` bundle: a zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``, each carrying TFLite metadata that says how to
normalise the input image. Zipping the bare files fails ("requires specifying
NormalizationOptions metadata"), so we add the metadata with mediapipe's own
``MetadataWriter`` (measured in /work/shared/STACK.md):

- detector: image input normalised with mean 127.5, std 127.5 (pixels to [-1, 1]);
- landmark model: mean 0, std 255 (pixels to [0, 1]);
- one feature output per output tensor.

The zip is written deterministically (fixed timestamps, stored entries, fixed order), so
the bundle built from a given wheel always has the same sha256 and the manifest in
``models/manifest.json`` can pin it.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hingecoach.errors import ModelError

DETECTOR_IN_WHEEL = "modules/pose_detection/pose_detection.tflite"
LANDMARKS_FULL_IN_WHEEL = "modules/pose_landmark/pose_landmark_full.tflite"

# (mean, std) for each model's image input, per channel, see the module docstring.
_DETECTOR_NORM = (127.5, 127.5)
_LANDMARKS_NORM = (0.0, 255.0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _mediapipe_dir() -> Path:
    try:
        import mediapipe
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(
            "mediapipe is not installed, so the pose model cannot be built: "
            "run ./script/setup (or pip install 'hingecoach[pose]')"
        ) from exc
    return Path(mediapipe.__file__).parent


def wheel_model_path(relative: str) -> Path:
    """Path of a model file shipped inside the installed mediapipe wheel."""
    path = _mediapipe_dir() / relative
    if not path.is_file():
        raise ModelError(
            f"the installed mediapipe has no {relative}: install mediapipe==0.10.18 "
            "(./script/setup) and run `hingecoach models fetch`"
        )
    return path


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    buf = bytearray(model)
    writer = metadata_writer.MetadataWriter.create(buf)
    writer.add_general_info(name, "BlazePose model from the mediapipe wheel (Apache-2.0)")
    writer.add_image_input(norm_mean=[mean] * 3, norm_std=[std] * 3)
    for out in writer_utils.get_output_tensor_names(buf):
        writer.add_feature_output(name=out)
    tflite, _json = writer.populate()
    return bytes(tflite)


def build_full_bundle() -> bytes:
    """The bytes of ``pose_landmarker_full.task`` built from the installed mediapipe wheel."""
    detector = wheel_model_path(DETECTOR_IN_WHEEL).read_bytes()
    landmarks = wheel_model_path(LANDMARKS_FULL_IN_WHEEL).read_bytes()
    entries = (
        ("pose_detector.tflite", _with_metadata(detector, "pose_detector", *_DETECTOR_NORM)),
        (
            "pose_landmarks_detector.tflite",
            _with_metadata(landmarks, "pose_landmarks_detector", *_LANDMARKS_NORM),
        ),
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


BUILDERS = {"pose_landmarker_full": build_full_bundle}
"""Models that ``hingecoach models fetch`` can build offline (url scheme ``mediapipe-wheel:``)."""
