"""The spoken setup loop: what is wrong with the picture, and calibration once it is right.

``framing_problem`` names the single most important problem in one frame (or None);
:class:`SetupLoop` debounces those per frame answers and decides when to say which
instruction, repeating the same one ever more sparingly until it is fixed.
:class:`Calibrator` then collects ~2 s of standing tall and still (DESIGN 3.5) and
produces the baseline. Pure: driven by frame timestamps only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hingecoach.coach.settings import DEFAULT, CoachSettings
from hingecoach.motion.types import Features
from hingecoach.pose import landmarks as L
from hingecoach.pose.landmarks import Pose

PROBLEMS: tuple[str, ...] = (
    "not_in_frame", "too_dark", "facing", "too_close", "feet_cut", "head_cut", "too_far",
)  # fmt: skip
"""Setup problems, most fundamental first: each one is only judged once the ones before it
are fine (no point asking for more light from an empty room)."""


def framing_problem(f: Features, s: CoachSettings = DEFAULT) -> str | None:
    """The most fundamental thing wrong with this frame for coaching, or None if all is well.

    Size and head checks are judged only while the athlete stands roughly upright.
    """
    fr = f.framing
    if fr is None:
        return "not_in_frame"
    if fr.quality < s.min_quality or not f.present:
        return "too_dark"
    if fr.view == "front":
        return "facing"
    x0, y0, x1, y1 = fr.bbox
    m = s.edge_margin
    a = f.smooth
    if a is not None and abs(a.torso_lean) > s.calibrate_max_lean_deg:
        # Bent over: the body is shorter in the picture and the head lower, so size and
        # head checks would misfire; only the feet are still judged.
        return "feet_cut" if not fr.feet_visible else None
    if fr.height_frac > s.max_height_frac or (y0 <= m and y1 >= 1.0 - m):
        return "too_close"
    if not fr.feet_visible or y1 >= 1.0 - m:
        return "feet_cut"
    if not fr.head_visible or y0 <= m:
        return "head_cut"
    if fr.height_frac < s.min_height_frac:
        return "too_far"
    return None


@dataclass
class SetupLoop:
    """Debounce framing problems and decide when to speak about them.

    ``update`` returns the problem id to talk about *now* (or None), and sets ``ok_since``
    once the picture has been fine long enough.
    """

    settings: CoachSettings = DEFAULT
    current: str | None = "not_in_frame"
    since: float | None = None
    said_at: dict[str, float] = field(default_factory=dict)
    said_count: dict[str, int] = field(default_factory=dict)
    mentioned_any: bool = False

    def reset(self, t: float) -> None:
        self.current, self.since = "not_in_frame", t
        self.said_at.clear()
        self.said_count.clear()
        self.mentioned_any = False

    def update(self, f: Features) -> tuple[str | None, bool]:
        """Feed one frame; returns (problem due a mention now or None, picture is ready).

        Call :meth:`said` when the mention was actually spoken (the scheduler may drop it).
        """
        s = self.settings
        t = f.t
        problem = framing_problem(f, s)
        if problem != self.current or self.since is None:
            self.current, self.since = problem, t
        held = t - self.since
        if problem is None:
            return None, held >= s.setup_ok_hold_s
        if held < s.setup_debounce_s:
            return None, False
        n = self.said_count.get(problem, 0)
        gap = s.setup_repeat_s * (s.setup_repeat_growth ** max(0, n - 1))
        last = self.said_at.get(problem)
        if last is None or t - last >= gap:
            return problem, False
        return None, False

    def said(self, problem: str, t: float) -> None:
        """The instruction about ``problem`` was actually spoken at ``t``."""
        self.said_at[problem] = t
        self.said_count[problem] = self.said_count.get(problem, 0) + 1
        self.mentioned_any = True


@dataclass(frozen=True, slots=True)
class Calibration:
    """The standing baseline taken before the first set (DESIGN 3.5).

    Attributes:
        t: when calibration finished, seconds.
        torso_lean_deg, hip_flexion_deg, knee_flexion_deg, shin_angle_deg, head_angle_deg:
            mean standing angles (DESIGN 3.3 definitions).
        height_frac: standing body height as a share of the image height.
        segments: mean image lengths (normalised to the image height) of the side chain:
            ``shin`` ankle-knee, ``thigh`` knee-hip, ``torso`` hip-shoulder, or empty when
            no landmarks were given.
        camera_tilt_deg: how far the standing ankle->shoulder line leans from the image
            vertical (camera roll plus posture; positive = towards image-right).
        view: the view the athlete stood in (``side-left``/``side-right``).
    """

    t: float
    torso_lean_deg: float
    hip_flexion_deg: float
    knee_flexion_deg: float
    shin_angle_deg: float
    head_angle_deg: float
    height_frac: float
    segments: dict[str, float]
    camera_tilt_deg: float
    view: str

    def to_json(self) -> dict[str, object]:
        r = round
        return {
            "t": r(self.t, 3), "torso_lean_deg": r(self.torso_lean_deg, 1),
            "hip_flexion_deg": r(self.hip_flexion_deg, 1),
            "knee_flexion_deg": r(self.knee_flexion_deg, 1),
            "shin_angle_deg": r(self.shin_angle_deg, 1),
            "head_angle_deg": r(self.head_angle_deg, 1), "height_frac": r(self.height_frac, 3),
            "segments": {k: r(v, 4) for k, v in self.segments.items()},
            "camera_tilt_deg": r(self.camera_tilt_deg, 1), "view": self.view,
        }


def _mean(xs: list[float]) -> float:
    ys = [x for x in xs if not math.isnan(x)]
    return sum(ys) / len(ys) if ys else 0.0


@dataclass
class Calibrator:
    """Collect frames of standing tall and still; restart whenever the athlete moves."""

    settings: CoachSettings = DEFAULT
    aspect: float = 1.0
    """Image width / height, to measure segments in height units."""
    began: float | None = None
    frames: list[Features] = field(default_factory=list)
    poses: list[Pose] = field(default_factory=list)

    def reset(self) -> None:
        self.began = None
        self.frames.clear()
        self.poses.clear()

    def update(self, f: Features, pose: Pose | None = None) -> tuple[str, Calibration | None]:
        """Feed a frame: returns ("collecting" | "moving" | "done", calibration when done)."""
        s = self.settings
        a = f.smooth
        if a is None or not f.present:
            self.reset()
            return "moving", None
        if self.began is None:
            self.began = f.t
        self.frames.append(f)
        if pose is not None and pose.landmarks is not None and f.side:
            self.poses.append(pose)
        leans = [x.smooth.torso_lean for x in self.frames if x.smooth]
        if max(leans) - min(leans) > s.calibrate_max_range_deg or abs(a.torso_lean) > s.calibrate_max_lean_deg:
            self.reset()
            return "moving", None
        if f.t - self.began < s.calibrate_s:
            return "collecting", None
        cal = self._result(f)
        self.reset()
        return "done", cal

    def _result(self, last: Features) -> Calibration:
        sm = [x.smooth for x in self.frames if x.smooth is not None]
        fr = [x.framing for x in self.frames if x.framing is not None]
        segments: dict[str, float] = {}
        tilt: list[float] = []
        side = last.side or "left"
        ch = L.SIDE_CHAIN[side]
        seg_acc: dict[str, list[float]] = {"shin": [], "thigh": [], "torso": []}
        for p in self.poses:
            lm = p.landmarks
            assert lm is not None
            pts = [(lm[i][0] * self.aspect, lm[i][1]) for i in ch]
            _, sh, hip, kn, an = pts[:5]
            seg_acc["shin"].append(math.dist(an, kn))
            seg_acc["thigh"].append(math.dist(kn, hip))
            seg_acc["torso"].append(math.dist(hip, sh))
            tilt.append(math.degrees(math.atan2(sh[0] - an[0], an[1] - sh[1])))
        if self.poses:
            segments = {k: _mean(v) for k, v in seg_acc.items()}
        return Calibration(
            t=last.t,
            torso_lean_deg=_mean([a.torso_lean for a in sm]),
            hip_flexion_deg=_mean([a.hip_flexion for a in sm]),
            knee_flexion_deg=_mean([a.knee_flexion for a in sm]),
            shin_angle_deg=_mean([a.shin_angle for a in sm]),
            head_angle_deg=_mean([a.head_angle for a in sm]),
            height_frac=_mean([x.height_frac for x in fr]),
            segments=segments,
            camera_tilt_deg=_mean(tilt),
            view=(fr[-1].view if fr else "unknown"),
        )
