"""A scripted 20-second session through the resilience wrappers, run as a real process.

It is also the reference for wiring the wrappers into the app loop. Per frame:
camera -> (pose estimator) -> follower -> (motion, coach) ; microphone -> (recogniser);
store writes through the guard; events drained and spoken; watchdog fed.

Script (fake monotonic clock, 30 fps): the microphone dies at 2 s; the camera fails at 5 s
and is plugged back at 7 s; the disk fills at the 4th saved rep (a rep every 2 s); the wall
clock jumps back an hour at 10 s; a bigger passer-by walks through from 12 s to 14 s. Then
it waits for SIGTERM, stops cleanly and says goodbye.

Usage: python pi_session.py OUT.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hingecoach.follow import Follower, body_of  # noqa: E402
from hingecoach.resilience import (  # noqa: E402
    EventQueue,
    RecordingGuard,
    ResilientCamera,
    ResilientMicrophone,
)
from hingecoach.service import Service  # noqa: E402
from pi_fakes import FakeClock, FakeDevice, FakeStore, standing_pose  # noqa: E402

FPS = 30


def main(out: str) -> int:
    clock = FakeClock(1000.0)
    wall = {"t": 1_800_000_000.0}
    time.time = lambda: wall["t"]  # a wall clock we can make jump
    start = clock()

    events = EventQueue()
    cam_dev = FakeDevice("frame", clock, fail_after=5 * FPS)
    mic_dev = FakeDevice("chunk", clock, fail_after=2 * FPS)
    camera = ResilientCamera(cam_dev.open, clock=clock, on_event=events.put)
    mic = ResilientMicrophone(mic_dev.open, clock=clock, on_event=events.put)
    store = RecordingGuard(FakeStore(capacity=3), clock=clock, on_event=events.put,
                           passthrough={"load_level", "close"})
    follower = Follower()
    svc = Service.from_env()

    said: list[dict] = []
    chosen = {"user": 0, "nobody": 0, "stranger": 0, "paused": 0}
    paused = False
    voice = True
    with svc.handle_signals():
        svc.ready("coaching")
        for i in range(20 * FPS):
            t = clock() - start
            if abs(t - 7.0) < 1e-9:
                cam_dev.plug()
            if abs(t - 10.0) < 1e-9:
                wall["t"] -= 3600.0
            frame = camera.read()
            chunk = mic.read() if voice else None
            for ev in events.drain():
                said.append({"t": round(ev.t - start, 3), "kind": ev.kind, "say": ev.notice})
                if ev.kind == "camera_lost":
                    paused = True            # the coach pauses the set
                elif ev.kind == "camera_back":
                    paused = False           # and resumes it
                elif ev.kind == "microphone_lost":
                    voice = False            # coaching goes on without voice commands
            del chunk
            if frame is None:
                chosen["paused"] += 1
            else:
                user = standing_pose(t, hip_x=0.45, scale=0.5, lean_deg=40.0 * (i % 60 < 30))
                people = [user]
                if 12.0 <= t < 14.0:
                    people.insert(0, standing_pose(t, hip_x=(t - 12.0) * 0.45, scale=0.8))
                pose = follower.choose(people)
                body = body_of(pose)
                if body is None:
                    chosen["nobody"] += 1
                elif abs(body.length - 0.5) < 0.01:
                    chosen["user"] += 1
                else:
                    chosen["stranger"] += 1
                if i % (2 * FPS) == 0 and i > 0:
                    store.add_rep({"t": t})
            svc.tick(clock())
            clock.advance(1.0 / FPS)

        print("waiting", flush=True)
        while not svc.stop_requested:
            svc.tick(time.monotonic())
            time.sleep(0.01)
        svc.stopping()
        store.close()
        said.append({"t": round(clock() - start, 3), "kind": "goodbye", "say": "Good work today. Bye for now."})

    Path(out).write_text(json.dumps({
        "said": said, "chosen": chosen, "paused_at_end": paused, "voice": voice,
        "recording": store.recording, "saved": len(store.store.reps),
        "camera_timeline": cam_dev.timeline,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
