"""The report's plots as PNG bytes (matplotlib, Agg backend, imported lazily).

Sized for a phone: figures are 4.8 in wide at 200 dpi (960 px) and shown at the screen's
width (~360-400 CSS px), so 14-16 pt text lands at ~14-16 CSS px. Long sets are split into
stacked rows of at most :data:`REPS_PER_ROW` reps so each rep keeps room for its labels.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from hingecoach.report import labels

WIDTH_IN = 4.8
DPI = 200
REPS_PER_ROW = 4
ROW_S_MAX = 22.0
"""A trace row shows at most this many seconds (when reps are long or sparse)."""
PROGRESS_MAX = 30
"""The progress plots show at most this many sessions (the latest ones)."""
PAD_S = 2.5
"""Seconds of standing shown before a set's first rep and after its last."""

SERIES_STYLE: tuple[tuple[str, str, str, float], ...] = (
    # column, label, colour, line width
    ("torso_lean", "torso lean", "#1f4e9c", 2.6),
    ("hip_flexion", "hip flexion", "#e07b00", 1.8),
    ("knee_flexion", "knee flexion", "#2a9d3a", 1.8),
    ("shin_angle", "shin angle", "#8a3ab9", 1.4),
)
FAULT_RED = "#c62828"
CLEAN_GREY = "#9e9e9e"
FLAG_AMBER = "#f2a900"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 15, "axes.titlesize": 16, "axes.labelsize": 15, "xtick.labelsize": 14,
        "ytick.labelsize": 14, "legend.fontsize": 14, "axes.spines.top": False,
        "axes.spines.right": False, "figure.dpi": DPI, "savefig.dpi": DPI,
        "svg.hashsalt": "hingecoach", "path.simplify": True,
    })
    return plt


def _png(fig: Any) -> bytes:
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None},
                facecolor="white", bbox_inches="tight", pad_inches=0.08)
    plt.close(fig)
    return buf.getvalue()


def _rows_for(st: dict[str, Any]) -> list[tuple[float, float, list[dict[str, Any]]]]:
    """Split a set's time span into rows: (t0, t1, reps in the row)."""
    reps = st["rep_rows"]
    rows = st["series"]["rows"]
    t_first = rows[0][0] if rows else (reps[0]["start_s"] if reps else st["start_s"])
    t_last = rows[-1][0] if rows else (reps[-1]["end_s"] if reps else t_first + 1.0)
    if reps:  # idle before the first rep / after the last one: keep a little context only
        t_first = max(t_first, reps[0]["start_s"] - PAD_S)
        t_first = min(t_first, reps[0]["start_s"])
        t_last = min(t_last, reps[-1]["end_s"] + PAD_S)
        t_last = max(t_last, reps[-1]["end_s"])
    if not reps:
        return [(t_first, max(t_last, t_first + 1.0), [])]
    per_row = math.ceil(len(reps) / math.ceil(len(reps) / REPS_PER_ROW))  # balanced rows
    out: list[tuple[float, float, list[dict[str, Any]]]] = []
    group: list[dict[str, Any]] = []
    for r in reps:
        if group and (len(group) >= per_row or r["end_s"] - group[0]["start_s"] > ROW_S_MAX):
            out.append((0.0, 0.0, group))
            group = []
        group.append(r)
    out.append((0.0, 0.0, group))
    # Row boundaries halfway between the last rep of a row and the first of the next.
    bounds = [t_first]
    for a, b in zip(out, out[1:], strict=False):
        bounds.append((a[2][-1]["end_s"] + b[2][0]["start_s"]) / 2)
    bounds.append(t_last)
    return [(max(bounds[i] - 0.3, t_first) if i else bounds[i], bounds[i + 1], g)
            for i, (_, _, g) in enumerate(out)]


def set_trace(st: dict[str, Any]) -> bytes:
    """Angle traces of one set: torso lean, hip and knee flexion, shin angle over time,
    with each rep's span shaded (red when it had a fault), its start (|), bottom (dot) and
    end (|) marked, its number, and its faults as short tags."""
    plt = _plt()
    series = st["series"]
    cols = series.get("columns", [])
    data = series.get("rows", [])
    idx = {c: i for i, c in enumerate(cols)}
    rows = _rows_for(st)
    n = len(rows)
    fig, axes = plt.subplots(n, 1, figsize=(WIDTH_IN, 3.0 * n + 0.7), squeeze=False)
    ys = [r[idx[c]] for r in data for c, *_ in SERIES_STYLE if c in idx and r[idx[c]] is not None]
    top = max([90.0, *ys, *(r["torso_lean_deg"] for r in st["rep_rows"])]) + 3
    ymin = min([-10.0, *ys]) - 4
    ntags = max([1, *(min(3, len(r["faults"]) + len(r["flags"])) for r in st["rep_rows"])])
    label_frac = 0.13 + 0.085 * ntags  # top part of each row kept for the rep labels
    ymax = top + (top - ymin) * label_frac / (1 - label_frac)
    for k, (t0, t1, reps) in enumerate(rows):
        ax = axes[k][0]
        pts = [r for r in data if t0 - 0.05 <= r[0] <= t1 + 0.05]
        for col, label, colour, lw in SERIES_STYLE:
            if col not in idx:
                continue
            ax.plot([r[0] for r in pts], [r[idx[col]] for r in pts], color=colour, lw=lw,
                    label=label if k == 0 else None, solid_capstyle="round")
        for r in reps:
            bad = bool(r["faults"])
            ax.axvspan(r["start_s"], r["end_s"], color=FAULT_RED if bad else CLEAN_GREY,
                       alpha=0.13 if bad else 0.10, lw=0)
            for t in (r["start_s"], r["end_s"]):
                ax.axvline(t, color=FAULT_RED if bad else "#616161", lw=1.0, ls=(0, (3, 2)))
            ax.plot([r["bottom_s"]], [r["torso_lean_deg"]], "o", ms=7, mfc="white",
                    mec=FAULT_RED if bad else "#1f4e9c", mew=2.0, zorder=5)
            mid = (r["start_s"] + r["end_s"]) / 2
            ax.text(mid, 0.985, f"#{r['number']}", ha="center", va="top", fontsize=15,
                    transform=ax.get_xaxis_transform(),
                    fontweight="bold", color=FAULT_RED if bad else "#212121")
            tags = [labels.tag(p) for p in (*r["faults"], *r["flags"])]
            if tags:
                ax.text(mid, 0.89, "\n".join(tags[:3]), ha="center", va="top",
                        transform=ax.get_xaxis_transform(),
                        fontsize=13, color=FAULT_RED if bad else "#a36b00", linespacing=1.0)
            elif not bad:
                ax.text(mid, 0.89, "ok", ha="center", va="top", fontsize=13,
                        transform=ax.get_xaxis_transform(),
                        color="#2e7d32")
            if not any(r["start_s"] <= p[0] <= r["end_s"] for p in data):
                ax.text(mid, 0.2, "no\nangles\nstored", ha="center", va="center",
                        fontsize=11, color="#757575", transform=ax.get_xaxis_transform())
        ax.set_xlim(t0, t1)
        ax.set_ylim(ymin, ymax)
        ax.set_yticks([y for y in range(-100, 200, 25 if top <= 130 else 50) if ymin <= y <= top])
        ax.set_ylabel("degrees")
        ax.grid(axis="y", color="#e0e0e0", lw=0.8)
        ax.axhline(0, color="#bdbdbd", lw=0.8)
    axes[-1][0].set_xlabel("seconds into the session")
    if not data:
        axes[0][0].text(0.5, 0.5, "no angle series stored for this set", ha="center",
                        va="center", transform=axes[0][0].transAxes)
    fig.legend(loc="upper center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 1.0),
               handlelength=1.6, columnspacing=1.2)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.62 / (3.0 * n + 0.7)))
    return _png(fig)


def fault_bars(problems: dict[str, int], reps: int) -> bytes:
    """Horizontal bars: how many reps showed each fault (red) or flag (amber)."""
    plt = _plt()
    items = list(problems.items())
    h = 0.62 * max(1, len(items)) + 1.0
    fig, ax = plt.subplots(figsize=(WIDTH_IN, h))
    if not items:
        ax.text(0.5, 0.5, "no faults: every rep clean", ha="center", va="center",
                transform=ax.transAxes, color="#2e7d32", fontsize=15)
        ax.set_axis_off()
        return _png(fig)
    names = [labels.name(p) for p, _ in items][::-1]
    counts = [c for _, c in items][::-1]
    colours = [FLAG_AMBER if p in labels.FLAGS else FAULT_RED for p, _ in items][::-1]
    bars = ax.barh(names, counts, color=colours, height=0.6)
    for b, c in zip(bars, counts, strict=True):
        ax.text(b.get_width() + max(counts) * 0.02, b.get_y() + b.get_height() / 2,
                f"{c} of {reps}", va="center", fontsize=14)
    ax.set_xlim(0, max(counts) * 1.45)
    ax.set_xlabel("reps")
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return _png(fig)


def progress(sessions: Sequence[Any], current_id: int, units: str) -> bytes:
    """Four stacked panels across sessions: wall distance, clean-rep rate, depth, tempo.

    ``sessions``: :class:`~hingecoach.store.queries.SessionSummary` oldest first (the
    caller keeps the last :data:`PROGRESS_MAX` or so)."""
    plt = _plt()
    fig, axes = plt.subplots(4, 1, figsize=(WIDTH_IN, 10.5), sharex=True)
    xs = list(range(1, len(sessions) + 1))
    cur = [i for i, s in zip(xs, sessions, strict=True) if s.id == current_id]
    unit_div = 2.54 if units == "in" else 1.0

    def nan(v: float | None) -> float:
        return math.nan if v is None else v

    wall = [nan(s.wall_cm / unit_div if s.wall_cm is not None else None) for s in sessions]
    rate = [nan(s.rate * 100 if s.rate is not None else None) for s in sessions]
    depth = [nan(s.depth_deg) for s in sessions]
    down = [nan(s.descent_s) for s in sessions]
    up = [nan(s.ascent_s) for s in sessions]
    panels = (
        (axes[0], f"wall distance ({units})", [(wall, "#1f4e9c", "heels to wall")]),
        (axes[1], "clean reps (%)", [(rate, "#2e7d32", "clean")]),
        (axes[2], "depth: torso lean (deg)", [(depth, "#e07b00", "mean peak lean")]),
        (axes[3], "tempo (s)", [(down, "#8a3ab9", "down"), (up, "#00838f", "up")]),
    )
    for ax, title, lines in panels:
        ax.set_title(title, loc="left", fontsize=16, fontweight="bold")
        any_value = False
        for ys, colour, label in lines:
            ax.plot(xs, ys, "-o", color=colour, lw=2.2, ms=7 if len(xs) <= 15 else 4,
                    label=label)
            any_value = any_value or any(not math.isnan(y) for y in ys)
            for c in cur:
                y = ys[c - 1]
                if not math.isnan(y):
                    ax.plot([c], [y], "o", ms=13, mfc="none", mec="#212121", mew=2.0)
        if not any_value:
            ax.text(0.5, 0.5, "no data yet", ha="center", va="center",
                    transform=ax.transAxes, color="#757575")
        if len(lines) > 1:
            ax.legend(loc="best", frameon=False, ncol=2)
        ax.grid(axis="y", color="#e0e0e0", lw=0.8)
    axes[1].set_ylim(-5, 105)
    for ax, values in ((axes[0], wall), (axes[2], depth), (axes[3], down + up)):
        top = max([v for v in values if not math.isnan(v)], default=1.0)
        ax.set_ylim(0, top * 1.25 + 0.5)
    if len(xs) == 1:
        axes[-1].set_xlim(0.5, 1.5)
    axes[-1].set_xticks(xs)
    step = max(1, math.ceil(len(xs) / 5))
    here = cur[0] - 1 if cur else len(xs) - 1
    shown = {i for i in range(0, len(xs), step) if abs(i - here) >= step / 2} | {here}
    axes[-1].set_xticklabels([f"#{s.id}\n{s.started_at[5:10]}" if i in shown else ""
                              for i, s in enumerate(sessions)])
    axes[-1].set_xlabel("session (circled: this one)")
    fig.tight_layout()
    return _png(fig)
