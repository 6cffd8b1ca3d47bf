"""Render canonical JSON through the Jinja2 templates in templates/ (autoescape on for HTML)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("reports.templates"))),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    return env


def _num(value: Any, digits: int = 2) -> str:
    """A number as people write it: 16 not 16.0, 0.28 not 0.28000001; None as an en dash."""
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else f"{round(f, digits):g}"


def render(template: str, data: dict[str, Any]) -> str:
    """Render one template (e.g. ``audit.html.j2``) with the canonical JSON as its context."""
    return environment().get_template(template).render(**data)
