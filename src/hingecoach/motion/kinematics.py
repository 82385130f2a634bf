"""Side-view kinematics: pick the side facing the camera, measure DESIGN 3.3's angles, smooth.

Pure and deterministic: one :class:`Kinematics` object per athlete is fed poses in time
order. Image landmarks are converted to pixels (x * width, y * height) before any angle is
taken, so portrait and landscape frames give the same angles. Nothing here depends on where
the person stands in the frame.

Angle conventions (DESIGN 3.3), with ``f`` = +1 when the athlete faces image-right and -1
when facing image-left, image y pointing down:

- torso lean = atan2(f * (shoulder.x - hip.x), hip.y - shoulder.y)
- shin angle = atan2(f * (knee.x - ankle.x), ankle.y - knee.y)
- head angle = atan2(f * (ear.x - shoulder.x), shoulder.y - ear.y) - torso lean
- hip flexion = 180 - angle(shoulder, hip, knee); knee flexion = 180 - angle(hip, knee, ankle)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hingecoach.motion.thresholds import DEFAULT, Thresholds, elapsed_s
from hingecoach.motion.types import Angles, Features, Framing
from hingecoach.pose import landmarks as L
from hingecoach.pose.landmarks import FrameInfo, Pose

_DEG = 180.0 / math.pi
_atan2 = math.atan2
_acos = math.acos
_sqrt = math.sqrt

# Winter's anthropometric segment lengths as fractions of standing height: ankle->knee 0.246,
# knee->hip 0.245, hip->shoulder 0.288 (D. A. Winter, Biomechanics and Motor Control of Human
# Movement, table 4.1). Used only when no world landmarks give a metric scale.
_LEG_TORSO_FRACTION = 0.246 + 0.245 + 0.288

LEG_LENGTH_BAND = (0.7, 1.35)
"""A shin or thigh shorter or longer than this share of its usual length is implausible."""
LEG_REJECTS_RESET = 20
"""After this many implausible frames in a row, the usual lengths are measured afresh."""

FRAMING_PERIOD_S = 0.1
"""How often (frame time) the framing facts are recomputed."""

_HEAD_POINTS = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR, 2, 5)
_FOOT_POINTS = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT, L.RIGHT_FOOT)


def joint_angle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    """The angle ABC in degrees (0..180) between rays b->a and b->c."""
    ux, uy = a[0] - b[0], a[1] - b[1]
    vx, vy = c[0] - b[0], c[1] - b[1]
    nu = _sqrt(ux * ux + uy * uy)
    nv = _sqrt(vx * vx + vy * vy)
    if nu == 0.0 or nv == 0.0:
        return math.nan
    cos = (ux * vx + uy * vy) / (nu * nv)
    cos = 1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos
    return _acos(cos) * _DEG


def lean_from_vertical(base: tuple[float, float], tip: tuple[float, float], facing: int) -> float:
    """Angle of base->tip from straight up, degrees, positive towards where the athlete faces."""
    return _atan2(facing * (tip[0] - base[0]), base[1] - tip[1]) * _DEG


SIDE_RATIO_MAX = 0.28
"""Side-on when the shoulders (or hips) appear less than this share of the torso length apart.
Dev clips: side-on medians 0.06-0.16 (90th percentile <= 0.24); filmed 30-45 deg off the
front, 0.38-0.59."""
FRONT_RATIO_MIN = 0.33
"""Per frame, front/oblique above this; in between the frame is 'unknown'."""


def shoulder_ratio(lms: Sequence[L.Landmark], width: int, height: int) -> float:
    """How far apart left and right appear, as a share of the torso length (0 = side-on).

    Side-on, the left and right shoulders overlap in the picture; facing the camera (or at
    30-45 deg to it) they are roughly half a torso length or more apart. Hips count too
    (scaled by 1.3: hips are narrower than shoulders).
    """
    ls, rs = lms[L.LEFT_SHOULDER], lms[L.RIGHT_SHOULDER]
    lh, rh = lms[L.LEFT_HIP], lms[L.RIGHT_HIP]
    sx = abs(ls[0] - rs[0]) * width
    hx = abs(lh[0] - rh[0]) * width
    mx_s, my_s = (ls[0] + rs[0]) * 0.5 * width, (ls[1] + rs[1]) * 0.5 * height
    mx_h, my_h = (lh[0] + rh[0]) * 0.5 * width, (lh[1] + rh[1]) * 0.5 * height
    torso = math.hypot(mx_s - mx_h, my_s - my_h)
    if torso <= 1e-6:
        return math.inf
    return max(sx, hx * 1.3) / torso


def classify_view(lms: Sequence[L.Landmark], width: int, height: int) -> str:
    """A per-frame view estimate: ``side``, ``front`` or ``unknown`` (see shoulder_ratio)."""
    return view_of_ratio(shoulder_ratio(lms, width, height))


def view_of_ratio(ratio: float) -> str:
    """``side`` / ``front`` / ``unknown`` for a :func:`shoulder_ratio` value."""
    if ratio < SIDE_RATIO_MAX:
        return "side"
    if ratio > FRONT_RATIO_MIN:
        return "front"
    return "unknown"


class _Smoother:
    """One Euro filters (Casiez, Roussel and Vogel, CHI 2012) over a few signals at once.

    The algorithm of the authors' reference implementation (the ``OneEuroFilter`` package),
    written out inline for all signals of a frame: per frame it costs a third of calling
    one reference filter object per signal, which matters at 30-60 frames a second on a Pi.
    ``tests/test_motion_kinematics.py`` checks it against the reference package, value for
    value. NaN inputs pass through and leave that signal's filter untouched (its next
    frame-rate estimate spans the gap, as the reference filter's would).
    """

    def __init__(self, fps: float, th: Thresholds, n: int) -> None:
        self._fps = float(fps)
        self._min_cutoff = th.one_euro_min_cutoff_hz
        self._beta = th.one_euro_beta
        self._d_cutoff = th.one_euro_d_cutoff_hz
        self._n = n
        self.reset()
        self._last: list[float] = []

    def reset(self) -> None:
        n = self._n
        self._x: list[float | None] = [None] * n  # last filtered value per signal
        self._dx: list[float | None] = [None] * n  # last filtered derivative per signal
        self._t: list[float | None] = [None] * n  # last timestamp per signal
        self._freq: list[float] = [self._fps] * n
        self._t0: float | None = None
        self._last_t: float | None = None

    def __call__(self, t: float, values: Sequence[float]) -> list[float]:
        if self._t0 is None:
            self._t0 = t
        if self._last_t is not None and t <= self._last_t:
            return self._last  # duplicate timestamp: nothing new to say
        self._last_t = t
        # The reference filter treats a 0.0 timestamp as "none given": times start at 1 s.
        ts = t - self._t0 + 1.0
        two_pi = 2.0 * math.pi
        out = []
        for i, v in enumerate(values):
            if v != v:  # NaN
                out.append(v)
                continue
            last_t = self._t[i]
            if last_t is not None and ts > last_t:
                self._freq[i] = 1.0 / (ts - last_t)
            self._t[i] = ts
            freq = self._freq[i]
            prev = self._x[i]
            dx = 0.0 if prev is None else (v - prev) * freq
            a_d = 1.0 / (1.0 + freq / (two_pi * self._d_cutoff))
            edx = dx if self._dx[i] is None else a_d * dx + (1.0 - a_d) * self._dx[i]
            self._dx[i] = edx
            cutoff = self._min_cutoff + self._beta * abs(edx)
            a = 1.0 / (1.0 + freq / (two_pi * cutoff))
            x = v if prev is None else a * v + (1.0 - a) * prev
            self._x[i] = x
            out.append(x)
        self._last = out
        return out


class Kinematics:
    """Per-athlete kinematics with sticky side/facing choices and smoothing.

    Args:
        info: the stream's frame size and fps.
        thresholds: visibility gates and filter settings.
    """

    def __init__(self, info: FrameInfo, thresholds: Thresholds = DEFAULT) -> None:
        self.info = info
        self.th = thresholds
        self._w = float(info.width)
        self._h = float(info.height)
        self._side: str | None = None
        self._facing_score = 0.0
        self._smooth = _Smoother(info.fps, thresholds, 6)
        self._last_present_t: float | None = None
        self._height_px = 0.0  # running estimate of standing body height in pixels
        self._last_framing: Framing | None = None
        self._leg_ref: tuple[float, float] | None = None  # shin, thigh length in pixels
        self._leg_rejects = 0
        self._framing_t = -math.inf

    # -- helpers --------------------------------------------------------------------
    def _px(self, p: L.Landmark) -> tuple[float, float]:
        return (p[0] * self._w, p[1] * self._h)

    def _chain_quality(self, lms: Sequence[L.Landmark], side: str) -> float:
        ch = L.SIDE_CHAIN[side]
        return (lms[ch[1]][3] + lms[ch[2]][3] + lms[ch[3]][3] + lms[ch[4]][3]) * 0.25

    def _choose_side(self, lms: Sequence[L.Landmark]) -> tuple[str | None, float]:
        ql = self._chain_quality(lms, "left")
        qr = self._chain_quality(lms, "right")
        # Stick with the current side unless the other one is clearly more visible.
        if self._side == "left" and ql >= qr - 0.15:
            side, q = "left", ql
        elif self._side == "right" and qr >= ql - 0.15:
            side, q = "right", qr
        else:
            side, q = ("left", ql) if ql >= qr else ("right", qr)
        if q < self.th.min_chain_quality:
            # Maybe the chosen side is hidden but the other is fine.
            other = "right" if side == "left" else "left"
            qo = qr if other == "right" else ql
            if qo >= self.th.min_chain_quality:
                side, q = other, qo
            else:
                return None, max(ql, qr)
        self._side = side
        return side, q

    def _update_facing(self, lms: Sequence[L.Landmark], side: str) -> int:
        """Accumulate evidence of which way the athlete faces; returns +1 / -1 / 0."""
        ch = L.SIDE_CHAIN[side]
        vis = self.th.min_visibility
        ev = 0.0
        heel, toe = lms[ch[5]], lms[ch[6]]
        if heel[3] >= vis and toe[3] >= vis:
            dx = (toe[0] - heel[0]) * self._w
            ev += max(-1.0, min(1.0, dx / (0.03 * self._h + 1e-9)))
        nose, ear = lms[L.NOSE], lms[ch[0]]
        sh, hip = lms[ch[1]], lms[ch[2]]
        upright = abs(sh[0] - hip[0]) * self._w < 0.5 * abs(sh[1] - hip[1]) * self._h
        if upright and nose[3] >= vis and ear[3] >= vis:
            # The face points forward only while the torso is upright: a dropped head at the
            # bottom of a hinge can put the nose behind the ear.
            dx = (nose[0] - ear[0]) * self._w
            ev += 0.5 * max(-1.0, min(1.0, dx / (0.02 * self._h + 1e-9)))
        # Exponential memory: a few frames of contrary evidence do not flip it.
        self._facing_score = max(-20.0, min(20.0, 0.97 * self._facing_score + ev))
        if self._facing_score > 0.3:
            return 1
        if self._facing_score < -0.3:
            return -1
        return 0

    def _framing(self, lms: Sequence[L.Landmark], quality: float) -> Framing:
        vis = self.th.min_visibility
        x0 = y0 = math.inf
        x1 = y1 = -math.inf
        for p in lms:
            if p[3] >= vis:
                x, y = p[0], p[1]
                if x < x0:
                    x0 = x
                if x > x1:
                    x1 = x
                if y < y0:
                    y0 = y
                if y > y1:
                    y1 = y
        bbox = (x0, y0, x1, y1) if x0 != math.inf else (0.0, 0.0, 0.0, 0.0)
        head = feet = False
        top, bottom = math.inf, -math.inf
        for i in _HEAD_POINTS:
            p = lms[i]
            top = min(top, p[1])
            if p[3] >= vis and 0.0 <= p[0] <= 1.0 and 0.0 <= p[1] <= 1.0:
                head = True
        for i in _FOOT_POINTS:
            p = lms[i]
            bottom = max(bottom, p[1])
            if p[3] >= vis and 0.0 <= p[0] <= 1.0 and 0.0 <= p[1] <= 1.0:
                feet = True
        ratio = shoulder_ratio(lms, self.info.width, self.info.height)
        view = view_of_ratio(ratio)
        if view == "side" and self._side:
            view = f"side-{self._side}"
        return Framing(bbox=bbox, head_visible=head, feet_visible=feet,
                       height_frac=bottom - top, quality=quality, view=view,
                       side_ratio=ratio)

    # -- main entry -----------------------------------------------------------------
    def update(self, pose: Pose) -> Features:
        """Measure one frame. Frames must come in time order."""
        t = pose.t
        lms = pose.landmarks
        if lms is None:
            self._maybe_reset(t)
            self._last_framing = None
            return Features(t=t, present=False)
        side, quality = self._choose_side(lms)
        # Framing feeds the setup checks and the view verdict: 10 Hz is plenty, so it is
        # refreshed at most every FRAMING_PERIOD_S of frame time (deterministic at any fps).
        framing = self._last_framing
        if framing is None or t - self._framing_t >= FRAMING_PERIOD_S or t < self._framing_t:
            framing = self._last_framing = self._framing(lms, quality)
            self._framing_t = t
        if side is None:
            self._maybe_reset(t)
            return Features(t=t, present=False, framing=framing)
        facing = self._update_facing(lms, side)
        f = facing or 1
        ch = L.SIDE_CHAIN[side]
        ear_l, sh_l, hip_l, kn_l, an_l = (lms[i] for i in ch[:5])
        sh, hip, kn, an = self._px(sh_l), self._px(hip_l), self._px(kn_l), self._px(an_l)

        lean = lean_from_vertical(hip, sh, f)
        if self._legs_plausible(math.dist(an, kn), math.dist(kn, hip)):
            shin = lean_from_vertical(an, kn, f)
            hip_flex = 180.0 - joint_angle(sh, hip, kn)
            knee_flex = 180.0 - joint_angle(hip, kn, an)
        else:  # the knee landmark is lost (e.g. hidden behind a plate): no leg angles
            shin = hip_flex = knee_flex = math.nan
        if ear_l[3] >= self.th.min_visibility:
            head = lean_from_vertical(sh, self._px(ear_l), f) - lean
            head = (head + 180.0) % 360.0 - 180.0
        else:
            head = math.nan

        travel = self._hip_travel(pose, side, f, hip, kn, an, sh)
        raw = Angles(lean, hip_flex, knee_flex, shin, head, travel)

        self._maybe_reset(t)
        self._last_present_t = t
        sm = self._smooth(t, (lean, hip_flex, knee_flex, shin, head,
                              math.nan if travel is None else travel))
        smooth = Angles(sm[0], sm[1], sm[2], sm[3], sm[4], None if travel is None else sm[5])
        return Features(t=t, present=True, side=side, facing=facing, raw=raw, smooth=smooth,
                        framing=framing)

    def _legs_plausible(self, shin_px: float, thigh_px: float) -> bool:
        """Side-on, shin and thigh keep their length in the picture; a knee landmark that
        jumps (occluded, mistaken) changes them. Compare with slowly tracked references."""
        ref = self._leg_ref
        if ref is None or self._leg_rejects > LEG_REJECTS_RESET:
            self._leg_ref = (shin_px, thigh_px)
            self._leg_rejects = 0
            return True
        lo, hi = LEG_LENGTH_BAND
        ok = lo * ref[0] <= shin_px <= hi * ref[0] and lo * ref[1] <= thigh_px <= hi * ref[1]
        if ok:
            self._leg_ref = (ref[0] + 0.05 * (shin_px - ref[0]), ref[1] + 0.05 * (thigh_px - ref[1]))
            self._leg_rejects = 0
        else:
            self._leg_rejects += 1
        return ok

    def _hip_travel(self, pose: Pose, side: str, f: int, hip: tuple[float, float],
                    kn: tuple[float, float], an: tuple[float, float],
                    sh: tuple[float, float]) -> float | None:
        """Horizontal distance of the hip behind the ankle, metres."""
        if pose.world is not None:
            ch = L.SIDE_CHAIN[side]
            w_hip, w_an = pose.world[ch[2]], pose.world[ch[4]]
            return f * (w_an[0] - w_hip[0])
        seg = (math.dist(an, kn) + math.dist(kn, hip) + math.dist(hip, sh)) / _LEG_TORSO_FRACTION
        # Segment lengths only shrink when foreshortened: track a slowly decaying maximum.
        self._height_px = max(seg, self._height_px * 0.999)
        if self._height_px <= 0:
            return None
        metres_per_px = self.th.body_height_m / self._height_px
        return f * (an[0] - hip[0]) * metres_per_px

    def _maybe_reset(self, t: float) -> None:
        if self._last_present_t is not None and elapsed_s(t, self._last_present_t) > self.th.max_gap_s:
            self._smooth.reset()
            self._last_present_t = None
