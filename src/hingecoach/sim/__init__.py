"""The synthetic athlete: labelled pose traces for tests, benchmarks and the demo.

``render(session) -> (FrameInfo, Iterator[Pose], truth reps)``; sessions from
:mod:`hingecoach.sim.sessions` (``random_session(seed)``, ``demo_session()``...).
"""

from hingecoach.sim.athlete import (
    Athlete,
    Camera,
    RepSpec,
    Segment,
    Session,
    Spoil,
    TruthRep,
    render,
)
from hingecoach.sim.sessions import demo_session, long_session, random_session

__all__ = ["Athlete", "Camera", "RepSpec", "Segment", "Session", "Spoil", "TruthRep", "render",
           "demo_session", "long_session", "random_session"]
