"""Fakes that fail on cue, for the resilience tests: real classes you drive, with a timeline.

In the manner of gpiozero's MockFactory: a test plugs and unplugs devices and fills disks,
then asserts on what the code under test did and on the recorded timeline.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

from hingecoach.pose.landmarks import COUNT, LEFT_ANKLE, LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER, Pose


class FakeClock:
    """A monotonic clock a test advances by hand."""

    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


@dataclass
class FakeDevice:
    """A camera or microphone socket: plug it in or pull it out, or make it fail after N reads.

    ``open()`` raises ``OSError(ENODEV)`` while unplugged; each opened stream yields items
    ``"<name>#<n>"`` and raises ``OSError(EIO)`` once ``fail_after`` reads have happened on
    it (then the device counts as unplugged until :meth:`plug` is called), or when the
    device was unplugged while open. ``end_after`` ends the stream cleanly (a video file).
    """

    name: str = "frame"
    clock: FakeClock = field(default_factory=FakeClock)
    plugged: bool = True
    fail_after: int | None = None
    end_after: int | None = None
    timeline: list[tuple[float, str]] = field(default_factory=list)
    served: int = 0

    def plug(self) -> None:
        self.plugged = True
        self.timeline.append((self.clock(), "plugged"))

    def unplug(self) -> None:
        self.plugged = False
        self.timeline.append((self.clock(), "unplugged"))

    def open(self) -> FakeStream:
        if not self.plugged:
            self.timeline.append((self.clock(), "open failed"))
            raise OSError(errno.ENODEV, "No such device")
        self.timeline.append((self.clock(), "opened"))
        return FakeStream(self)


class FakeStream:
    """One opened stream of a :class:`FakeDevice`."""

    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self.reads = 0
        self.closed = False

    def read(self) -> str:
        dev = self.device
        if dev.end_after is not None and dev.served >= dev.end_after:
            raise EOFError("end of file")
        if not dev.plugged or (dev.fail_after is not None and self.reads >= dev.fail_after):
            dev.plugged = False
            dev.fail_after = None
            dev.timeline.append((dev.clock(), "read failed"))
            raise OSError(errno.EIO, "Input/output error")
        self.reads += 1
        dev.served += 1
        return f"{dev.name}#{dev.served}"

    def close(self) -> None:
        self.closed = True
        self.device.timeline.append((self.device.clock(), "closed"))
        raise RuntimeError("closing a broken device fails too")


class FakeStore:
    """A store whose disk fills up on cue: writes raise ``OSError(ENOSPC)`` once full."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = capacity
        self.reps: list[Any] = []
        self.calls: list[str] = []
        self.level = 3

    def add_rep(self, rep: Any) -> int:
        self.calls.append("add_rep")
        if self.capacity is not None and len(self.reps) >= self.capacity:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.reps.append(rep)
        return len(self.reps)

    def load_level(self) -> int:
        self.calls.append("load_level")
        return self.level

    def buggy(self) -> None:
        raise ValueError("a real bug, not a full disk")

    def close(self) -> None:
        self.calls.append("close")


def standing_pose(t: float, hip_x: float = 0.5, scale: float = 0.5, lean_deg: float = 0.0,
                  visibility: float = 0.99) -> Pose:
    """A side-view stick figure: hips at ``(hip_x, 0.55)``, leg + torso length ``scale``.

    ``lean_deg`` tilts the torso forward about the hip (a hinge), which must not change the
    chain length the follower uses.
    """
    import math

    lms = [(0.0, 0.0, 0.0, 0.0)] * COUNT
    hip_y = 0.55
    torso = scale * 0.4
    thigh = shin = scale * 0.3
    lean = math.radians(lean_deg)
    shoulder = (hip_x + torso * math.sin(lean), hip_y - torso * math.cos(lean))
    knee = (hip_x, hip_y + thigh)
    ankle = (hip_x, hip_y + thigh + shin)
    for idx, (x, y) in ((LEFT_SHOULDER, shoulder), (LEFT_HIP, (hip_x, hip_y)),
                        (LEFT_KNEE, knee), (LEFT_ANKLE, ankle)):
        lms[idx] = (x, y, 0.0, visibility)
    return Pose(t, tuple(lms))
