"""A synthetic athlete: a kinematic skeleton driven by joint-angle curves, seen by a camera.

The body is a planar chain (DESIGN 3.3's angles are exactly the curves that drive it) with
Winter's segment proportions, given width so the left and right sides separate in depth.
A script of segments (idle, walk in, reps, nods, absent...) becomes keyframes of torso lean,
knee flexion, shin angle and head angle; those are eased between keyframes, posed, projected
through a camera (facing, yaw, frame size, placement, roll) and spoiled on purpose (pixel
jitter, visibility dips, dropped frames, timestamp jitter). Every rep carries its truth:
times and the faults it was scripted to show, with magnitudes well clear of the thresholds
in :mod:`hingecoach.motion.thresholds`.

Deterministic: the same :class:`Session` and seed give the same frames.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hingecoach.pose.landmarks import COUNT, FrameInfo, Pose

# Segment lengths as fractions of standing height (Winter, Biomechanics and Motor Control of
# Human Movement, table 4.1), and half-widths for the left/right separation.
ANKLE_H, SHIN, THIGH, TORSO, NECK = 0.039, 0.246, 0.245, 0.288, 0.115
UPPER_ARM, FOREARM, HAND = 0.186, 0.146, 0.06
HEEL_BACK, TOE_FWD = 0.05, 0.11
HALF_SHOULDER, HALF_HIP, HALF_HEAD = 0.129, 0.095, 0.05


@dataclass(frozen=True, slots=True)
class RepSpec:
    """One scripted hinge rep. Angles in degrees, times in seconds.

    ``lockout_lean`` is where the ascent ends: about 0 for a clean finish, negative for a
    lean back (hyperextension), 20-32 for a stop short of standing (incomplete lockout).
    ``after_short`` says what follows a short finish: ``next`` (the next rep starts from
    there) or ``rise`` (a slow return to standing).
    """

    depth: float = 65.0
    descent_s: float = 1.4
    hold_s: float = 0.2
    ascent_s: float = 1.2
    knee: float = 16.0
    shin: float = 4.0
    head: float = -5.0  # head angle at the bottom (DESIGN 3.3); neutral is about -25..+5
    lockout_lean: float = 0.0
    lockout_hold_s: float = 0.7
    after_short: str = "rise"
    faults: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the session.

    kind: ``idle`` (stand still), ``rep`` (see ``rep``), ``nod`` (a small torso nod that is
    not a rep, peak ``nod_lean``), ``absent`` (nobody in frame), ``walk_in`` (walk into the
    frame from the side), ``fidget`` (shift about while standing), ``hinge_hold`` (bend over
    and stay there: moving into position).
    Camera/condition overrides apply for this segment only: ``yaw`` (0 side-on, 90 facing the
    camera), ``scale`` (body height as a multiple of the session's), ``visibility`` (landmark
    confidence cap, e.g. 0.3 for a dark room), ``shift`` (horizontal offset, frame widths).
    """

    kind: str
    duration: float = 1.0
    rep: RepSpec | None = None
    nod_lean: float = 28.0
    yaw: float | None = None
    scale: float | None = None
    visibility: float | None = None
    shift: float | None = None


@dataclass(frozen=True, slots=True)
class Camera:
    """How the athlete is filmed."""

    width: int = 640
    height: int = 480
    fps: float = 30.0
    facing: int = 1  # +1 the athlete faces image-right, -1 image-left
    yaw: float = 0.0  # degrees away from side-on (0 = pure side view, 90 = facing camera)
    body_frac: float = 0.7  # standing height / frame height
    x_center: float = 0.5  # where the ankles stand, fraction of width
    roll_deg: float = 0.0  # camera roll


@dataclass(frozen=True, slots=True)
class Spoil:
    """What goes wrong in the picture."""

    jitter: float = 0.003  # landmark noise, sd as a fraction of body height in pixels
    dropout: float = 0.0  # probability that a frame has no pose
    burst: float = 0.0  # probability per frame that a burst of 3-10 dropped frames starts
    vis_dip: float = 0.0  # probability per frame that the knee/ankle visibility dips
    t_jitter: float = 0.0  # timestamp jitter, fraction of the frame period
    world: bool = True  # emit world landmarks


@dataclass(frozen=True, slots=True)
class Athlete:
    height_m: float = 1.72
    head_neutral: float = 18.0  # ear ahead of the torso line when standing (MediaPipe: 15-38)
    rest_lean: float = 2.0
    rest_knee: float = 4.0


@dataclass
class Session:
    """A scripted session and how it is filmed."""

    segments: list[Segment]
    camera: Camera = field(default_factory=Camera)
    spoil: Spoil = field(default_factory=Spoil)
    athlete: Athlete = field(default_factory=Athlete)
    seed: int = 0

    @property
    def info(self) -> FrameInfo:
        return FrameInfo(self.camera.width, self.camera.height, self.camera.fps)


@dataclass(frozen=True, slots=True)
class TruthRep:
    start_s: float
    bottom_s: float
    end_s: float
    faults: tuple[str, ...]
    flags: tuple[str, ...]
    depth: float
    hip_travel_m: float

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "bottom_s": round(self.bottom_s, 3),
                "end_s": round(self.end_s, 3), "faults": list(self.faults),
                "flags": list(self.flags), "depth_deg": round(self.depth, 1),
                "hip_travel_m": round(self.hip_travel_m, 3)}


# --- keyframes ------------------------------------------------------------------------
# A keyframe: (t, lean, knee, shin, head_dev, x_offset_m, yaw|None, scale|None, vis|None, present)
@dataclass(slots=True)
class _Key:
    t: float
    lean: float
    knee: float
    shin: float
    head: float
    x: float = 0.0


def _ease(u: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * u)


class Script:
    """Keyframes and per-time conditions compiled from a session's segments."""

    def __init__(self, session: Session) -> None:
        self.session = session
        a = session.athlete
        self.keys: list[_Key] = []
        self.windows: list[tuple[float, float, Segment]] = []
        self.truth: list[TruthRep] = []
        t = 0.0
        rest = _Key(0.0, a.rest_lean, a.rest_knee, 1.0, 0.0)
        self.keys.append(rest)
        x = 0.0
        for seg in session.segments:
            t0 = t
            if seg.kind == "rep":
                t = self._rep(t, seg.rep or RepSpec(), x)
            elif seg.kind == "nod":
                d = seg.duration
                self._key(t + 0.45 * d, seg.nod_lean, a.rest_knee + 3, 2.0, 0.0, x)
                self._key(t + d, a.rest_lean, a.rest_knee, 1.0, 0.0, x)
                t += d
            elif seg.kind == "walk_in":
                # Walk in from off-frame towards the standing spot (x offset in metres).
                self._key(t, a.rest_lean + 3, a.rest_knee + 8, 4.0, 0.0, -2.5)
                self._key(t + seg.duration, a.rest_lean, a.rest_knee, 1.0, 0.0, 0.0)
                x = 0.0
                t += seg.duration
            elif seg.kind == "fidget":
                d = seg.duration
                self._key(t + d * 0.3, a.rest_lean + 6, a.rest_knee + 6, 3.0, 4.0, x + 0.05)
                self._key(t + d * 0.7, a.rest_lean - 2, a.rest_knee, 0.0, -3.0, x - 0.03)
                self._key(t + d, a.rest_lean, a.rest_knee, 1.0, 0.0, x)
                t += d
            elif seg.kind == "hinge_hold":
                self._key(t + 0.6, 70.0, 25.0, 6.0, 0.0, x)
                self._key(t + seg.duration, 70.0, 25.0, 6.0, 0.0, x)
                t += seg.duration
            else:  # idle / absent keep the pose
                last = self.keys[-1]
                self._key(t + seg.duration, last.lean, last.knee, last.shin, last.head, x)
                t += seg.duration
            self.windows.append((t0, t, seg))
        self.duration = t

    def _key(self, t: float, lean: float, knee: float, shin: float, head: float, x: float) -> None:
        self.keys.append(_Key(t, lean, knee, shin, head, x))

    def _rep(self, t: float, r: RepSpec, x: float) -> float:
        a = self.session.athlete
        start = self.keys[-1]
        t_start = t
        t_bottom = t + r.descent_s
        head = r.head - a.head_neutral  # r.head is the head angle at the bottom itself
        self._key(t_bottom, r.depth, r.knee, r.shin, head, x)
        self._key(t_bottom + r.hold_s, r.depth, r.knee, r.shin, head, x)
        t_end = t_bottom + r.hold_s + r.ascent_s
        short = r.lockout_lean > 15.0
        knee_end = a.rest_knee + (8.0 if short else 0.0)
        self._key(t_end, r.lockout_lean, knee_end, 1.0 if not short else 3.0, 0.0, x)
        t = t_end
        if r.lockout_lean < -5.0 or short:
            self._key(t + r.lockout_hold_s, r.lockout_lean, knee_end, 1.0, 0.0, x)
            t += r.lockout_hold_s
            if not short or r.after_short == "rise":
                back = 0.6 if not short else 1.6
                self._key(t + back, a.rest_lean, a.rest_knee, 1.0, 0.0, x)
                t += back
        travel = _hip_travel(a.height_m, r.knee, r.shin)
        self.truth.append(TruthRep(t_start, t_bottom, t_end, r.faults, r.flags,
                                   r.depth, travel))
        del start
        return t

    def angles_at(self, t: float) -> _Key:
        keys = self.keys
        lo, hi = 0, len(keys) - 1
        if t <= keys[0].t:
            return keys[0]
        if t >= keys[-1].t:
            return keys[-1]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if keys[mid].t <= t:
                lo = mid
            else:
                hi = mid
        k0, k1 = keys[lo], keys[hi]
        span = k1.t - k0.t
        u = _ease((t - k0.t) / span) if span > 0 else 1.0
        return _Key(t, k0.lean + (k1.lean - k0.lean) * u, k0.knee + (k1.knee - k0.knee) * u,
                    k0.shin + (k1.shin - k0.shin) * u, k0.head + (k1.head - k0.head) * u,
                    k0.x + (k1.x - k0.x) * u)

    def segment_at(self, t: float) -> Segment | None:
        for t0, t1, seg in self.windows:
            if t0 <= t < t1:
                return seg
        return self.windows[-1][2] if self.windows and t >= self.windows[-1][1] else None


def _hip_travel(height: float, knee: float, shin: float) -> float:
    """Hip distance behind the ankle for given knee flexion and shin angle, metres."""
    s = math.radians(shin)
    phi = math.radians(knee - shin)
    return -(SHIN * height * math.sin(s) - THIGH * height * math.sin(phi))


# --- the body ---------------------------------------------------------------------------
def body_points(height: float, lean: float, knee: float, shin: float, head: float,
                head_neutral: float) -> dict[str, tuple[float, float]]:
    """Sagittal joint positions in metres: x forward, y up, origin under the ankle."""
    r = math.radians
    H = height
    s, phi, th = r(shin), r(knee - shin), r(lean)
    A = (0.0, ANKLE_H * H)
    K = (A[0] + SHIN * H * math.sin(s), A[1] + SHIN * H * math.cos(s))
    P = (K[0] - THIGH * H * math.sin(phi), K[1] + THIGH * H * math.cos(phi))
    S = (P[0] + TORSO * H * math.sin(th), P[1] + TORSO * H * math.cos(th))
    al = r(lean + head_neutral + head)
    E = (S[0] + NECK * H * math.sin(al), S[1] + NECK * H * math.cos(al))
    fwd = (math.cos(al), -math.sin(al))  # the face's forward direction
    up = (math.sin(al), math.cos(al))
    N = (E[0] + 0.09 * H * fwd[0] - 0.01 * H * up[0], E[1] + 0.09 * H * fwd[1] - 0.01 * H * up[1])
    EYE = (E[0] + 0.065 * H * fwd[0] + 0.02 * H * up[0], E[1] + 0.065 * H * fwd[1] + 0.02 * H * up[1])
    MOUTH = (E[0] + 0.075 * H * fwd[0] - 0.045 * H * up[0],
             E[1] + 0.075 * H * fwd[1] - 0.045 * H * up[1])
    EL = (S[0], S[1] - UPPER_ARM * H)  # arms hang
    WR = (S[0], EL[1] - FOREARM * H)
    HA = (S[0], WR[1] - HAND * H)
    HEEL = (-HEEL_BACK * H, 0.0)
    TOE = (TOE_FWD * H, 0.0)
    return {"A": A, "K": K, "P": P, "S": S, "E": E, "N": N, "EYE": EYE, "MOUTH": MOUTH,
            "EL": EL, "WR": WR, "HA": HA, "HEEL": HEEL, "TOE": TOE}


# landmark index -> (body point, lateral half-width sign * width key)
_LAT = {"S": HALF_SHOULDER, "P": HALF_HIP, "E": HALF_HEAD, "EYE": 0.03, "MOUTH": 0.025,
        "EL": HALF_SHOULDER + 0.01, "WR": HALF_SHOULDER, "HA": HALF_SHOULDER,
        "K": HALF_HIP, "A": HALF_HIP, "HEEL": HALF_HIP, "TOE": HALF_HIP + 0.01, "N": 0.0}
_MAP: tuple[tuple[str, int], ...] = (
    ("N", 0), ("EYE", -1), ("EYE", -1), ("EYE", -1), ("EYE", 1), ("EYE", 1), ("EYE", 1),
    ("E", -1), ("E", 1), ("MOUTH", -1), ("MOUTH", 1), ("S", -1), ("S", 1), ("EL", -1), ("EL", 1),
    ("WR", -1), ("WR", 1), ("HA", -1), ("HA", 1), ("HA", -1), ("HA", 1), ("HA", -1), ("HA", 1),
    ("P", -1), ("P", 1), ("K", -1), ("K", 1), ("A", -1), ("A", 1), ("HEEL", -1), ("HEEL", 1),
    ("TOE", -1), ("TOE", 1),
)  # -1 = left side, +1 = right side (0 = midline)
assert len(_MAP) == COUNT


def render(session: Session) -> tuple[FrameInfo, Iterator[Pose], list[TruthRep]]:
    """Compile and film a session: (frame info, poses, truth reps)."""
    script = Script(session)
    return session.info, _frames(session, script), list(script.truth)


def _frames(session: Session, script: Script) -> Iterator[Pose]:
    cam, sp, ath = session.camera, session.spoil, session.athlete
    rng = random.Random(session.seed * 7919 + 17)
    W, Hh = cam.width, cam.height
    n = int(script.duration * cam.fps)
    burst_left = 0
    roll = math.radians(cam.roll_deg)
    cr, sr = math.cos(roll), math.sin(roll)
    for i in range(n + 1):
        t = i / cam.fps
        if sp.t_jitter and i > 0:
            t += rng.uniform(-sp.t_jitter, sp.t_jitter) / cam.fps
        seg = script.segment_at(t)
        k = script.angles_at(t)
        drop = False
        if burst_left > 0:
            burst_left -= 1
            drop = True
        elif sp.burst and rng.random() < sp.burst:
            burst_left = rng.randint(2, 9)
            drop = True
        elif sp.dropout and rng.random() < sp.dropout:
            drop = True
        if (seg is not None and seg.kind == "absent") or drop:
            yield Pose(t=round(t, 6), landmarks=None, world=None)
            continue
        yaw = math.radians(seg.yaw if seg and seg.yaw is not None else cam.yaw)
        scale = seg.scale if seg and seg.scale is not None else 1.0
        vis_cap = seg.visibility if seg and seg.visibility is not None else 1.0
        shift = seg.shift if seg and seg.shift is not None else 0.0
        pts = body_points(ath.height_m, k.lean, k.knee, k.shin, k.head, ath.head_neutral)
        ppm = cam.body_frac * scale * Hh / ath.height_m  # pixels per metre
        floor_y = Hh * (0.5 + cam.body_frac * scale * 0.5) + 0.02 * Hh
        x0 = cam.x_center * W + shift * W
        f = cam.facing
        near = 1 if f > 0 else -1  # facing image-right shows the right side (+1) to the camera
        cyaw, syaw = math.cos(yaw), math.sin(yaw)
        jit = sp.jitter * cam.body_frac * scale * Hh
        lms = []
        world = []
        hip = pts["P"]
        for name, lat_sign in _MAP:
            px, py = pts[name]
            px += k.x
            lat = _LAT[name] * ath.height_m * lat_sign
            # lateral axis points away from the camera for the far side; rotate by yaw
            depth_lat = -lat * near  # the near side is nearer the camera (smaller z)
            ix = px * cyaw + depth_lat * syaw  # image-plane forward component
            iz = -px * syaw + depth_lat * cyaw  # depth (towards +z = away from camera)
            u = x0 + f * ix * ppm
            v = floor_y - py * ppm
            # roll about the frame centre
            du, dv = u - W / 2, v - Hh / 2
            u, v = W / 2 + cr * du - sr * dv, Hh / 2 + sr * du + cr * dv
            u += rng.gauss(0.0, jit)
            v += rng.gauss(0.0, jit)
            far = lat_sign != 0 and lat_sign != near
            if far and abs(yaw) < math.radians(45):
                vis = rng.uniform(0.45, 0.85)
            else:
                vis = rng.uniform(0.9, 0.995)
            vis = min(vis, vis_cap)
            lms.append((u / W, v / Hh, iz / ath.height_m * 0.5, vis))
            wx = f * (ix - (hip[0] + k.x) * cyaw)
            world.append((wx + rng.gauss(0, 0.01), -(py - hip[1]) + rng.gauss(0, 0.01),
                          iz + rng.gauss(0, 0.01)))
        if sp.vis_dip and rng.random() < sp.vis_dip:
            for j in (25, 26, 27, 28):
                x_, y_, z_, _v = lms[j]
                lms[j] = (x_, y_, z_, rng.uniform(0.1, 0.4))
        yield Pose(t=round(t, 6), landmarks=tuple(lms), world=tuple(world) if sp.world else None)
