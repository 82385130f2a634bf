"""Property: whatever the layout of a valid file, every value's origin is its real line, and a
bad value anywhere is reported at its real line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hingecoach.config import SCHEMA, parse_text
from hingecoach.errors import ConfigError

VALID = {
    "str": lambda spec: st.sampled_from(spec.choices) if spec.choices else st.just("default"),
    "int": lambda spec: st.integers(int(spec.low), int(spec.high)),
    "bool": lambda spec: st.booleans(),
}


def toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


@st.composite
def layouts(draw):
    """A config file: some sections in random order, some keys, comments and blank lines."""
    lines: list[str] = []
    where: dict[str, int] = {}
    sections = draw(st.lists(st.sampled_from(list(SCHEMA)), unique=True, min_size=1))
    for section in sections:
        lines += draw(st.lists(st.sampled_from(["", "# a comment", "   "]), max_size=2))
        lines.append(f"[{section}]" + draw(st.sampled_from(["", "  # note"])))
        keys = draw(st.lists(st.sampled_from(list(SCHEMA[section])), unique=True, min_size=1))
        for key in keys:
            spec = SCHEMA[section][key]
            value = draw(VALID[spec.kind](spec))
            lines += draw(st.lists(st.sampled_from(["", "# x = 1"]), max_size=1))
            lines.append(f"{draw(st.sampled_from(['', '  ']))}{key} = {toml(value)}")
            where[f"{section}.{key}"] = len(lines)
    return "\n".join(lines) + "\n", where


@settings(max_examples=60, deadline=None)
@given(layouts())
def test_every_origin_is_the_line_the_key_is_on(layout):
    text, where = layout
    _values, origins = parse_text(text, "c.toml")
    assert origins == {k: f"c.toml:{n}" for k, n in where.items()}


@settings(max_examples=60, deadline=None)
@given(layouts(), st.data())
def test_a_bad_value_is_reported_at_its_line(layout, data):
    text, where = layout
    dotted = data.draw(st.sampled_from(sorted(where)))
    line_no = where[dotted]
    lines = text.split("\n")
    key = dotted.split(".")[1]
    lines[line_no - 1] = f"{key} = [1, 2]"       # a list is never a valid value
    try:
        parse_text("\n".join(lines), "c.toml")
    except ConfigError as exc:
        assert str(exc).startswith(f"c.toml:{line_no}: {dotted} = [1, 2] is not allowed")
        assert "allowed: " in str(exc)
    else:
        raise AssertionError("a list value was accepted")
