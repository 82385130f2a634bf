"""MediaPipe Pose's 33 landmarks: names, indices and the pose record of one frame.

Coordinates follow MediaPipe: ``x``, ``y`` normalised to [0, 1] of the image width and
height (y down), ``z`` a relative depth (smaller = nearer the camera), ``visibility`` in
[0, 1]. World landmarks are in metres, origin between the hips, y down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

NAMES: Final[tuple[str, ...]] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
COUNT: Final[int] = 33
INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(NAMES)}

NOSE: Final = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT, RIGHT_FOOT = 31, 32

# The chain the side-view kinematics use, per side: ear, shoulder, hip, knee, ankle, heel, toe.
SIDE_CHAIN: Final[dict[str, tuple[int, ...]]] = {
    "left": (LEFT_EAR, LEFT_SHOULDER, LEFT_HIP, LEFT_KNEE, LEFT_ANKLE, LEFT_HEEL, LEFT_FOOT),
    "right": (RIGHT_EAR, RIGHT_SHOULDER, RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE, RIGHT_HEEL, RIGHT_FOOT),
}

Landmark = Sequence[float]
"""One image landmark: x, y (normalised, y down), z (relative depth), visibility."""
WorldLandmark = Sequence[float]
"""One world landmark in metres: x, y (down), z."""


class Pose(NamedTuple):
    """One frame of the pose stream.

    Attributes:
        t: frame timestamp in seconds (monotonic for live sources, the file's own for video).
        landmarks: 33 image landmarks, or ``None`` when no person was found.
        world: 33 world landmarks in metres, or ``None`` when the estimator gives none.
    """

    t: float
    landmarks: Sequence[Landmark] | None
    world: Sequence[WorldLandmark] | None = None


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """What every pose stream starts with (the trace header of DESIGN 3.1).

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        fps: nominal frames per second of the source.
        landmark_model: the landmark layout; always ``mediapipe-pose-33``.
    """

    width: int
    height: int
    fps: float
    landmark_model: str = "mediapipe-pose-33"
