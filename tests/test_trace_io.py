"""The pose trace (DESIGN 3.1) round-trips, and every kind of bad input gets a one-line error."""

from __future__ import annotations

import orjson
import pytest

from hingecoach.errors import TraceError
from hingecoach.pose.landmarks import FrameInfo, Pose
from hingecoach.pose.trace import TraceReader, TraceWriter
from hingecoach.sim import random_session, render

HEADER = {"format": "hingecoach-trace", "version": 1, "width": 640, "height": 480, "fps": 30,
          "landmark_model": "mediapipe-pose-33"}
FRAME = {"t": 0.0, "landmarks": [[0.5, 0.5, 0.0, 0.9]] * 33}


def write_lines(path, *objs, raw: bytes = b""):
    path.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in objs) + raw)
    return path


def test_a_synthetic_session_round_trips_through_a_trace_file(tmp_path):
    info, poses, _ = render(random_session(5))
    poses = list(poses)
    with TraceWriter(tmp_path / "t.jsonl", info) as w:
        for p in poses:
            w.write(p)
    reader = TraceReader(tmp_path / "t.jsonl")
    assert reader.info == FrameInfo(info.width, info.height, info.fps)
    back = list(reader)
    assert len(back) == len(poses)
    for a, b in zip(poses, back, strict=True):
        assert a.t == pytest.approx(b.t, abs=1e-6)
        assert (a.landmarks is None) == (b.landmarks is None)
        if a.landmarks is not None:
            assert a.landmarks[11][0] == pytest.approx(b.landmarks[11][0], abs=1e-5)


def test_null_landmarks_mean_no_person(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", HEADER, {"t": 0.0, "landmarks": None}, FRAME | {"t": 0.1})
    frames = list(TraceReader(path))
    assert frames[0] == Pose(0.0, None, None)
    assert frames[1].landmarks is not None


@pytest.mark.parametrize(
    ("lines", "raw", "line_no", "words"),
    [
        ([], b"", 1, "empty"),
        ([{"t": 0, "landmarks": None}], b"", 1, "header"),
        ([HEADER | {"format": "something-else"}], b"", 1, "header"),
        ([HEADER | {"version": 9}], b"", 1, "version"),
        ([HEADER | {"width": -3}], b"", 1, "width"),
        ([HEADER], b'{"t": 0.0, "landmarks": [[0.5, 0.5', 2, "truncated"),
        ([HEADER], b"{\"t\": 0.0, \"landmarks\": [[NaN, 0.5, 0, 1]]}\n", 2, "NaN"),
        ([HEADER, {"t": 0.0, "landmarks": [[0.5, 0.5, 0.0, 0.9]] * 32}], b"", 2, "33 landmarks"),
        ([HEADER, {"t": 0.0, "landmarks": [[0.5, 0.5, 0.9]] * 33}], b"", 2, "4 numbers"),
        ([HEADER, {"t": "soon", "landmarks": None}], b"", 2, "'t'"),
        ([HEADER, FRAME | {"t": 1.0}, FRAME | {"t": 0.5}], b"", 3, "backwards"),
        ([HEADER, {"t": 0.0}], b"", 2, "landmarks"),
    ],
)
def test_a_malformed_trace_names_the_file_and_line(tmp_path, lines, raw, line_no, words):
    path = write_lines(tmp_path / "bad.jsonl", *lines, raw=raw)
    with pytest.raises(TraceError) as err:
        list(TraceReader(path))
    assert err.value.line == line_no
    assert f"bad.jsonl:{line_no}" in str(err.value)
    assert words in str(err.value)


def test_nan_coordinates_are_named_as_such(tmp_path):
    path = tmp_path / "nan.jsonl"
    path.write_text(orjson.dumps(HEADER).decode() + "\n"
                    + '{"t": 0, "landmarks": [' + ",".join(["[NaN, 0.5, 0, 1]"] * 33) + "]}\n")
    with pytest.raises(TraceError) as err:
        list(TraceReader(path))
    assert err.value.line == 2
    assert "NaN" in str(err.value)


@pytest.mark.parametrize("case", ["missing", "empty", "no_header", "truncated", "nan", "count",
                                  "directory", "garbage"])
def test_analyze_gives_one_line_errors_and_exit_code_2(tmp_path, cli, case):
    path = tmp_path / "in.jsonl"
    if case == "missing":
        path = tmp_path / "nope.jsonl"
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "no_header":
        write_lines(path, FRAME)
    elif case == "truncated":
        write_lines(path, HEADER, FRAME, raw=b'{"t": 0.1, "landmarks": [[0.5,')
    elif case == "nan":
        path.write_text(orjson.dumps(HEADER).decode() + "\n"
                        + '{"t": 0, "landmarks": [' + ",".join(["[NaN, 0.5, 0, 1]"] * 33) + "]}\n")
    elif case == "count":
        write_lines(path, HEADER, {"t": 0.0, "landmarks": [[0.5, 0.5, 0.0, 0.9]] * 17})
    elif case == "directory":
        path = tmp_path
    elif case == "garbage":
        path = tmp_path / "in.bin"
        path.write_bytes(b"\x00\x01\x02 not a video nor a trace")
    res = cli("analyze", str(path), "--json")
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    err = res.stderr.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert str(path.name) in err or str(path) in err


@pytest.mark.parametrize("bad", ["true", '"0.5"', "null", "1e999"])
def test_a_non_number_anywhere_in_a_frame_is_named(tmp_path, bad):
    pts = [[0.5, 0.5, 0.0, 0.9]] * 33
    text = orjson.dumps({"t": 0.0, "landmarks": pts}).decode()
    text = text.replace("0.9]", f"{bad}]", 1)
    path = tmp_path / "t.jsonl"
    path.write_text(orjson.dumps(HEADER).decode() + "\n" + text + "\n")
    with pytest.raises(TraceError) as err:
        list(TraceReader(path))
    assert err.value.line == 2
    assert "landmark 0" in str(err.value) or "JSON" in str(err.value)


def test_a_trace_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    """Some Windows editors start a UTF-8 file with a BOM; the header was then "not valid
    JSON", with no word of why."""
    from hingecoach.pose.trace import looks_like_trace

    plain = write_lines(tmp_path / "plain.jsonl", HEADER, FRAME, FRAME)
    marked = tmp_path / "marked.txt"  # no .jsonl name: sniffed by content
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert looks_like_trace(marked)
    assert TraceReader(marked).info == TraceReader(plain).info
    assert len(list(TraceReader(marked))) == 2


@pytest.mark.parametrize("raw", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf\xef\xbb\xbf \n\n"])
def test_a_file_that_is_only_a_byte_order_mark_is_called_empty(tmp_path, raw):
    """Not "the header is not valid JSON": there is nothing in it."""
    path = tmp_path / "t.jsonl"
    path.write_bytes(raw)
    with pytest.raises(TraceError, match="the file is empty"):
        TraceReader(path)


def test_a_trace_converted_twice_reads_despite_its_two_byte_order_marks(tmp_path):
    plain = write_lines(tmp_path / "plain.jsonl", HEADER, FRAME)
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" * 2 + plain.read_bytes())
    assert TraceReader(marked).info == TraceReader(plain).info
    assert len(list(TraceReader(marked))) == 1


def test_a_utf16_trace_is_named_as_such(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes((orjson.dumps(HEADER).decode() + "\n").encode("utf-16"))
    with pytest.raises(TraceError, match="UTF-16 text: save it as UTF-8"):
        TraceReader(path)


def test_analyze_on_a_recording_with_nobody_in_it_says_so(tmp_path, cli):
    """Not "not a side view ... film side-on" (as a black video got): there is no one to film."""
    path = write_lines(tmp_path / "t.jsonl", HEADER, *({"t": i / 10, "landmarks": None} for i in range(20)))
    done = cli("analyze", str(path))
    assert done.returncode == 0, done.stderr
    assert "(0 with a person)" in done.stdout and "nobody was found in any frame" in done.stdout
    assert "side view" not in done.stdout
