"""Claimed against measured values of claims bound to reruns, as an inline SVG (no plotting library at render time).

One point per claim whose claimed value and measured mean are both on the score scale (absolute scores and deltas,
in points): x = the claimed value, y = the measured mean over seeds, a vertical error bar of ± one standard deviation
between seeds, and the y = x line (a claim on the line is reproduced exactly). Dataset counts and direction-only
claims have no point (counts are on another scale; a direction claim claims no value).

Used by the report (reports/report/render.py, templates/report.html.j2) and the audit with --runs
(reports/audit/reruns.py, templates/audit.html.j2) through the Jinja2 filters ``rerun_points`` and ``rerun_svg``.
Bindings are read in both shapes: the report's flat rerun rows (``claimed``, ``kind``, ``measured``) and
``replication.bind.Binding.to_dict()`` (``query.claimed``, ``query.kind``, ``measured``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

PLOTTED_KINDS = ("score", "delta")
BOUND = ("reproduced", "direction only", "not reproduced")
COLOURS = {"reproduced": "#067647", "direction only": "#b54708", "not reproduced": "#b42318"}
MARKERS = {"reproduced": "circle", "direction only": "square", "not reproduced": "diamond"}

W, H = 460, 340
LEFT, RIGHT, TOP, BOTTOM = 62, 150, 34, 50


def _field(b: Mapping[str, Any], key: str) -> Any:
    if key in b:
        return b[key]
    return (b.get("query") or {}).get(key)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def points(bindings: Iterable[Mapping[str, Any] | None]) -> list[dict[str, Any]]:
    """The plotted points, in order: ``{"id", "text", "verdict", "claimed", "measured", "sd", "n"}``."""
    out = []
    for i, b in enumerate(bindings, start=1):
        if not b or b.get("verdict") not in BOUND or _field(b, "kind") not in PLOTTED_KINDS:
            continue
        m = b.get("measured") or {}
        claimed, mean = _num(_field(b, "claimed")), _num(m.get("mean"))
        if claimed is None or mean is None:
            continue
        sd = _num(m.get("sd"))
        text = " ".join(str(b.get("text") or "").split())
        out.append({"id": str(b.get("id") or i), "text": text[:117] + "…" if len(text) > 120 else text,
                    "verdict": b["verdict"], "claimed": claimed, "measured": mean, "sd": sd,
                    "n": m.get("n")})  # fmt: skip
    return out


def _ticks(lo: float, hi: float, want: int = 5) -> list[float]:
    span = hi - lo
    raw = span / want
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1e-9 else "0"


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if kind == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y:.1f} {x:.1f},{y + 5.5:.1f} '
                f'{x - 5.5:.1f},{y:.1f}" fill="{colour}"/>')  # fmt: skip
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}"/>'


def svg(
    pts: list[dict[str, Any]], title: str = "Claimed against measured values", uid: str = "rerun-plot"
) -> Markup:
    """The plot as an inline, self-contained SVG element (title, description, axis labels, legend); empty without
    points."""
    if not pts:
        return Markup("")
    sc = _Scale.fitting(pts)
    n_by = {v: sum(p["verdict"] == v for p in pts) for v in BOUND}
    desc = (f"{len(pts)} claim(s): claimed value (x) against the value measured over the runs (y, mean over seeds, "
            f"error bar one standard deviation); the diagonal is y = x. "
            + ", ".join(f"{n} {v}" for v, n in n_by.items() if n) + ".")  # fmt: skip
    parts = [
        f'<svg class="rerun-plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" style="max-width:100%;height:auto" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{sc.pw}" height="{sc.ph}" fill="#fff" stroke="#98a2b3"/>',
        *_axes(sc),
        *(_point(p, sc) for p in pts),
        *_legend(sc, n_by),
        "</svg>",
    ]
    return Markup("\n".join(parts))


@dataclass(frozen=True)
class _Scale:
    """The value range shown on both axes (the same, so y = x is the diagonal) and the plot area's size."""

    lo: float
    hi: float
    pw: float = W - LEFT - RIGHT
    ph: float = H - TOP - BOTTOM

    @classmethod
    def fitting(cls, pts: list[dict[str, Any]]) -> _Scale:
        """A range holding every claimed value and every error bar, padded by 8% (or more when flat)."""
        vals = [p["claimed"] for p in pts]
        for p in pts:
            sd = p["sd"] or 0.0
            vals += [p["measured"] - sd, p["measured"] + sd]
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1.0)
        return cls(lo - pad, hi + pad)

    def sx(self, v: float) -> float:
        return LEFT + (v - self.lo) / (self.hi - self.lo) * self.pw

    def sy(self, v: float) -> float:
        return TOP + self.ph - (v - self.lo) / (self.hi - self.lo) * self.ph


def _axes(sc: _Scale) -> list[str]:
    """Ticks on both axes, the y = x line, the zero line when zero is in range, and the axis labels."""
    lo, hi, pw, ph = sc.lo, sc.hi, sc.pw, sc.ph
    parts = []
    for t in _ticks(lo, hi):
        x, y = sc.sx(t), sc.sy(t)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP + ph}" x2="{x:.1f}" y2="{TOP + ph + 4}" stroke="#667085"/>'
                     f'<text x="{x:.1f}" y="{TOP + ph + 16}" text-anchor="middle" fill="#344054">{_fmt(t)}</text>'
                     f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT}" y2="{y:.1f}" stroke="#667085"/>'
                     f'<text x="{LEFT - 7}" y="{y + 4:.1f}" text-anchor="end" fill="#344054">{_fmt(t)}</text>')  # fmt: skip
    parts.append(f'<line class="identity" x1="{sc.sx(lo):.1f}" y1="{sc.sy(lo):.1f}" x2="{sc.sx(hi):.1f}" '
                 f'y2="{sc.sy(hi):.1f}" stroke="#98a2b3" stroke-dasharray="4 3">'
                 '<title>y = x: measured equals claimed</title></line>')  # fmt: skip
    if lo < 0 < hi:
        parts.append(
            f'<line x1="{LEFT}" y1="{sc.sy(0):.1f}" x2="{LEFT + pw}" y2="{sc.sy(0):.1f}" stroke="#e4e7ec"/>'
        )
    parts.append(f'<text x="{LEFT + pw / 2:.1f}" y="{H - 12}" text-anchor="middle" fill="#1d2433">'
                 "Claimed value (points)</text>")  # fmt: skip
    parts.append(f'<text transform="translate(16 {TOP + ph / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 'fill="#1d2433">Measured value (mean ± sd over seeds)</text>')  # fmt: skip
    return parts


def _point(p: dict[str, Any], sc: _Scale) -> str:
    """One claim's marker, with its error bar (± one sd) and a tooltip of its values and verdict."""
    e = escape
    x, y, colour = sc.sx(p["claimed"]), sc.sy(p["measured"]), COLOURS[p["verdict"]]
    spread = f" ± {p['sd']:.2f} sd" if p["sd"] is not None else ""
    tip = (f"{p['text'] or p['id']}: claimed {_fmt(p['claimed'])}, measured {p['measured']:.2f}{spread} "
           f"(n={p['n']}): {p['verdict']}")  # fmt: skip
    bar = ""
    if p["sd"]:
        y1, y2 = sc.sy(p["measured"] - p["sd"]), sc.sy(p["measured"] + p["sd"])
        bar = (f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}" stroke="{colour}"/>'
               f'<line x1="{x - 3:.1f}" y1="{y1:.1f}" x2="{x + 3:.1f}" y2="{y1:.1f}" stroke="{colour}"/>'
               f'<line x1="{x - 3:.1f}" y1="{y2:.1f}" x2="{x + 3:.1f}" y2="{y2:.1f}" stroke="{colour}"/>')  # fmt: skip
    return (f'<g class="rerun-point" data-claim="{e(p["id"])}" data-verdict="{e(p["verdict"])}">'
            f"<title>{e(tip)}</title>{bar}{_marker(MARKERS[p['verdict']], x, y, colour)}</g>")  # fmt: skip


def _legend(sc: _Scale, n_by: dict[str, int]) -> list[str]:
    """A marker and a count per verdict, right of the plot."""
    lx = LEFT + sc.pw + 14
    parts = []
    for k, v in enumerate(BOUND):
        ly = TOP + 10 + 18 * k
        parts.append(f'<g class="legend">{_marker(MARKERS[v], lx + 4, ly - 4, COLOURS[v])}'
                     f'<text x="{lx + 14}" y="{ly}" fill="#344054">{v} ({n_by[v]})</text></g>')  # fmt: skip
    return parts


def register(env: Any) -> None:
    """Add the ``rerun_points`` and ``rerun_svg`` filters to a Jinja2 environment (idempotent)."""
    env.filters["rerun_points"] = lambda items: points(items or [])
    env.filters["rerun_svg"] = lambda items, title="Claimed against measured values", uid="rerun-plot": svg(
        points(items or []), title, uid
    )
