"""One session's report: a single self-contained HTML file, readable on a phone.

No network: no scripts, fonts or stylesheets from elsewhere; the plots are PNGs inlined as
``data:`` URIs. One column, a viewport meta tag, 17 px base text, tables that fit 360 px.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass, field
from html import escape

from hingecoach import __version__
from hingecoach.coach.cues import count_of
from hingecoach.report import labels
from hingecoach.store.queries import SessionSummary, format_distance, session_detail


@dataclass
class Report:
    """The HTML text and the plots it inlines (file name -> PNG bytes)."""

    html: str
    pngs: dict[str, bytes] = field(default_factory=dict)
    reps: int = 0


TABLE_MAX = 10
"""The progress table lists the latest this-many sessions (the plot shows more)."""

CSS = """
*{box-sizing:border-box}
body{margin:0;padding:14px;font:17px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#212121;background:#fafafa;max-width:720px;margin:auto}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.4em 0 .4em;
border-bottom:2px solid #1f4e9c;padding-bottom:.15em}h3{font-size:1.08em;margin:1em 0 .3em}
p{margin:.4em 0}.muted{color:#616161;font-size:.92em}
.cards{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin:.6em 0}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:10px;padding:8px 10px}
.card b{display:block;font-size:1.45em;line-height:1.2}.card span{color:#616161;font-size:.88em}
img{width:100%;height:auto;display:block;background:#fff;border:1px solid #eee;border-radius:8px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95em}
th,td{padding:6px 4px;border-bottom:1px solid #e0e0e0;text-align:right;vertical-align:top}
th{background:#eef2f8;font-size:.88em}th:first-child,td:first-child{text-align:left}
td.f{text-align:center;color:#c62828;font-weight:700}td.ok{text-align:right;color:#2e7d32}
td.flag{color:#a36b00}tr.has td{border-bottom:0}
tr.faults td{text-align:left;color:#c62828;padding-top:0;font-size:.92em}
.scroll{overflow-x:auto}.bad{color:#c62828}.good{color:#2e7d32}
dl{margin:.3em 0}dt{font-weight:600;margin-top:.5em}dd{margin:0 0 0 .8em;color:#424242}
"""


def _img(name: str, png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" data-plot="{escape(name)}">'


def _f(v: float | None, fmt: str = ".0f", dash: str = "-") -> str:
    return dash if v is None else format(v, fmt)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def _when(iso: str | None) -> str:
    return "-" if not iso else iso.replace("T", " ")[:16] + " UTC"


def _reached_text(s: SessionSummary) -> str:
    parts = []
    for fam in ("hinge", "wall"):
        r = s.reached.get(fam)
        if r is None:
            continue
        if r["drill"] == "wall":
            parts.append(f"wall drill at {format_distance(r['wall_cm'], s.units)}")
        else:
            parts.append(labels.drill(r["drill"]))
    return ", ".join(parts) or "-"


def build_report(db: sqlite3.Connection, session_id: int) -> Report:
    """Render session ``session_id`` of the open database (see :mod:`store.queries`)."""
    from hingecoach.report import plots

    d = session_detail(db, session_id)
    s: SessionSummary = d["summary"]
    pngs: dict[str, bytes] = {}
    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    w('<meta name="viewport" content="width=device-width, initial-scale=1">')
    w(f"<title>Hinge Coach - session {s.id}</title><style>{CSS}</style></head><body>")
    w(f"<h1>Session {s.id}: {escape(s.user)}</h1>")
    w(f'<p class="muted">{escape(_when(s.started_at))}'
      + (f" &middot; {escape(labels_drills(s))}" if s.drills else "")
      + (f" &middot; source {escape(s.source)}" if s.source else "") + "</p>")

    top = (f'<b class="bad">{escape(labels.name(s.top_fault))}</b><span>most frequent fault '
           f"({s.top_fault_count} of {s.reps})</span>") if s.top_fault else \
        '<b class="good">none</b><span>faults</span>'
    w('<div class="cards">'
      f"<div class=\"card\"><b>{s.reps}</b><span>rep{'s' * (s.reps != 1)} in {s.sets} set{'s' * (s.sets != 1)}</span></div>"
      f"<div class=\"card\"><b>{_pct(s.rate)}</b><span>clean reps ({s.clean})</span></div>"
      f'<div class="card">{top}</div>'
      f'<div class="card"><b>{escape(s.wall_text)}</b><span>wall distance reached</span></div>'
      f'<div class="card"><b>{_f(s.depth_deg)}&deg;</b><span>mean depth (torso lean)</span></div>'
      f'<div class="card"><b>{_f(s.descent_s, ".1f")} / {_f(s.ascent_s, ".1f")} s</b>'
      "<span>mean tempo down / up</span></div></div>")
    w(f'<p class="muted">Furthest level reached: {escape(_reached_text(s))}.</p>')
    if not s.reps:
        w("<p><b>No reps were recorded in this session.</b></p>")

    # -- angle traces ------------------------------------------------------------------
    if d["sets"]:
        w("<h2>Angle traces</h2>")
        w('<p class="muted">Each shaded band is a rep: dashed lines at its start and end, '
          "a ring at its deepest point on the torso-lean line. Red bands and tags mark faults "
          "(tags: " + escape(", ".join(f"{labels.tag(p)} = {labels.name(p).lower()}"
                                       for p in d["problems"]) or "none this time") + ").</p>")
    for st in d["sets"]:
        name = f"session{s.id}-set{st['number']}.png"
        png = plots.set_trace(st)
        pngs[name] = png
        wall = (f", heels {format_distance(st['wall_cm'], st['units'])} from the wall"
                if st["drill"] == "wall" else "")
        w(f"<h3>Set {st['number']}: {escape(labels.drill(st['drill']))}{escape(wall)} "
          f"&middot; {count_of(st['reps'], 'rep')}, {st['clean']} clean</h3>")
        w(_img(name, png, f"angle traces of set {st['number']}"))

    # -- per-rep table -------------------------------------------------------------------
    if d["reps"]:
        w("<h2>Every rep</h2>")
        w('<p class="muted">Lean = peak torso lean (depth), knee = peak knee flexion, '
          "shin = peak forward shin angle, in degrees; tempo = seconds down / up.</p>")
        w('<div class="scroll"><table class="reps"><thead><tr><th>Set.rep</th><th>Lean</th>'
          "<th>Knee</th><th>Shin</th><th>Tempo</th><th></th></tr></thead><tbody>")
        for r in d["reps"]:
            probs = [*r["faults"], *r["flags"]]
            key = f"{r['set_number']}.{r['number']}"
            mark = ('<td class="f">&#10007;</td>' if r["faults"] else
                    '<td class="f flag">!</td>' if probs else '<td class="ok">clean</td>')
            has = ' class="has"' if probs else ""
            w(f'<tr data-rep="{key}"{has}><td>{key}</td>'
              f"<td>{r['torso_lean_deg']:.0f}</td><td>{r['knee_flexion_deg']:.0f}</td>"
              f"<td>{r['shin_angle_deg']:.0f}</td>"
              f"<td>{r['descent_s']:.1f}/{r['ascent_s']:.1f}</td>{mark}</tr>")
            if probs:
                w(f'<tr class="faults" data-faults="{key}"><td colspan="6">'
                  + escape(", ".join(labels.name(p).lower() for p in probs)) + "</td></tr>")
        w("</tbody></table></div>")

    # -- fault breakdown -----------------------------------------------------------------
    w("<h2>Fault breakdown</h2>")
    png = plots.fault_bars(d["problems"], s.reps)
    name = f"session{s.id}-faults.png"
    pngs[name] = png
    w(_img(name, png, "how many reps showed each fault"))
    if d["problems"]:
        w("<dl>")
        for p, n in d["problems"].items():
            kind = (" (not judged)" if p == "not_side_on" else
                    " (a cue, not a fault)" if p in labels.FLAGS else "")
            w(f"<dt>{escape(labels.name(p))}: {n} of {count_of(s.reps, 'rep')}{kind}</dt>"
              f"<dd>{escape(labels.meaning(p))}</dd>")
        w("</dl>")

    # -- progress ------------------------------------------------------------------------
    every = d["progress"]
    prog = every[-plots.PROGRESS_MAX:]
    w("<h2>Progress across sessions</h2>")
    w(f'<p class="muted">{count_of(len(every), "session")} of {escape(s.user)} so far'
      + (" (this is the first: the lines grow with the next ones)" if len(every) == 1 else "")
      + (f"; the last {len(prog)} are drawn" if len(prog) < len(every) else "")
      + ".</p>")
    png = plots.progress(prog, s.id, s.units)
    name = f"session{s.id}-progress.png"
    pngs[name] = png
    w(_img(name, png, "wall distance, clean-rep rate, depth and tempo across sessions"))
    w('<div class="scroll"><table><thead><tr><th>Session</th><th>Reps</th><th>Clean</th>'
      "<th>Wall</th><th>Depth</th><th>Tempo</th></tr></thead><tbody>")
    for p in prog[-TABLE_MAX:]:
        w(f"<tr><td>#{p.id} {escape(p.started_at[5:10])}</td><td>{p.reps}</td>"
          f"<td>{_pct(p.rate)}</td><td>{escape(p.wall_text)}</td><td>{_f(p.depth_deg)}</td>"
          f"<td>{_f(p.descent_s, '.1f')}/{_f(p.ascent_s, '.1f')}</td></tr>")
    w("</tbody></table></div>")
    w(f'<p class="muted">Made by hingecoach {escape(__version__)} from the progress database; '
      "angles in degrees (DESIGN 3.3), times in seconds.</p></body></html>\n")
    return Report("\n".join(out), pngs, s.reps)


def labels_drills(s: SessionSummary) -> str:
    return ", ".join(labels.drill(x) for x in s.drills)
