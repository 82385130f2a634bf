"""The thin live loop: everything said goes to the speaker and the transcript alike."""

from __future__ import annotations

import json

import pytest

from hingecoach.app import (
    NullSpeaker,
    TimedIntent,
    Transcript,
    parse_commands,
    polled_intents,
    run_session,
    speaker_priority,
)
from hingecoach.coach.coach import Coach
from hingecoach.coach.cues import Cue
from hingecoach.errors import InputError
from hingecoach.sim import random_session, render


class VolumeSpeaker(NullSpeaker):
    def __init__(self) -> None:
        super().__init__()
        self.volume = 0

    def louder(self) -> None:
        self.volume += 1

    def quieter(self) -> None:
        self.volume -= 1


def test_the_speaker_hears_exactly_what_the_transcript_records() -> None:
    info, poses, _ = render(random_session(31, fault_rate=1.0, faults=("back_rounding",), reps=5))
    speaker, tr = VolumeSpeaker(), Transcript()
    cmds = [*parse_commands("0.5:start hinge drill,3:louder,4:louder,5:quieter")]
    run_session(info, poses, Coach(), speaker=speaker, transcript=tr, commands=cmds)
    assert [s[0] for s in speaker.said] == [json.loads(x)["text"] for x in tr.lines]
    assert speaker.volume == 1
    safety = [s for s in speaker.said if s[2] == "correction"]
    assert safety and all(p == 3 for _, p, _ in safety)


def test_live_intents_are_stamped_with_the_next_frame_time() -> None:
    info, poses, _ = render(random_session(32, reps=4))
    heard = [[TimedIntent(0.0, "start_drill", {"drill": "wall"})]]
    tr = Transcript()
    run_session(info, poses, Coach(), transcript=tr,
                live_intents=lambda: heard.pop() if heard else [])
    assert '"t": 0.0' in tr.lines[0] and "Wall drill" in tr.lines[0]


def test_priorities_put_safety_first_and_chatter_last() -> None:
    def cue(kind: str, fault: str | None = None) -> Cue:
        return Cue(0.0, "x", kind, "id", fault)

    assert speaker_priority(cue("correction", "back_rounding")) == 3
    assert speaker_priority(cue("correction", "too_fast")) == 2
    assert speaker_priority(cue("count")) == 1
    assert speaker_priority(cue("summary")) == 0


@pytest.mark.parametrize("bad", ["start hinge drill", "x:pause", "1:", "2:do a dance"])
def test_malformed_commands_are_refused_with_an_example(bad: str) -> None:
    with pytest.raises(InputError, match="--commands item"):
        parse_commands(bad)


def test_commands_are_sorted_by_time_and_accept_several_separators() -> None:
    cmds = parse_commands("12:pause; 0.5:start wall drill,13:resume")
    assert [(c.t, c.name) for c in cmds] == [(0.5, "start_drill"), (12.0, "pause"),
                                             (13.0, "resume")]
    assert cmds[0].slots == {"drill": "wall"}


class FakeIntent:
    def __init__(self, name: str, slots: dict[str, str] | None = None) -> None:
        self.name, self.slots, self.text = name, slots or {}, name


def test_intents_polled_from_the_voice_session_reach_the_coach_at_frame_time() -> None:
    heard = [[FakeIntent("start_drill", {"drill": "wall"})], []]
    drain = polled_intents(lambda: heard.pop(0) if heard else [])
    info, poses, _ = render(random_session(33, reps=3))
    tr = Transcript()
    run_session(info, poses, Coach(), transcript=tr, live_intents=drain)
    first = json.loads(tr.lines[0])
    assert "Wall drill" in first["text"] and first["t"] == 0.0


def test_every_catalogue_phrase_is_offered_to_the_recogniser_as_a_decoy() -> None:
    from hingecoach.app import parse_phrase
    from hingecoach.coach.cues import CATALOGUE, DECOY_COUNTS, decoy_phrases

    decoys = decoy_phrases()
    # one decoy per phrasing; phrasings that carry a rep count, once per count
    assert len(decoys) == sum(len(DECOY_COUNTS) if "{n}" in v else 1 for _, p in CATALOGUE.values() for v in p)
    assert all("{" not in d for d in decoys)
    assert all(parse_phrase(d) is None for d in decoys)


def test_a_level_announcement_held_back_goes_out_while_the_camera_is_away() -> None:
    """The coach holds a level announcement back until it begins (a newer level change may
    still take it back), and a frame's time releases it; with the camera away no frame comes,
    so what it holds goes out at once (as everything did before), not after the camera is back."""
    info, poses, _ = render(random_session(33, reps=6))
    poses = list(poses)
    cut = next(i for i, p in enumerate(poses) if p.t >= 12.0)
    tr = Transcript()
    written: list[int] = []

    def camera():  # noqa: ANN202
        yield from poses[:cut]
        for _ in range(3):
            yield None  # the camera is away
            written.append(len(tr.lines))
        yield from poses[cut:]

    cmds = parse_commands(f"0.5:start hinge drill,{poses[cut - 1].t - 0.2}:next level")
    run_session(info, camera(), Coach(), transcript=tr, commands=cmds)
    texts = [json.loads(line)["text"] for line in tr.lines]
    assert "Level up: dowel hinge." in texts
    dowel = next(i for i, t in enumerate(texts) if t.startswith("Dowel hinge."))
    assert dowel < written[0], texts  # written during the outage
    assert json.loads(tr.lines[dowel])["t"] > poses[cut - 1].t  # it begins after the last frame
