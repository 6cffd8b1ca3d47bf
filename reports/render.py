"""Render canonical JSON through the Jinja2 templates in templates/ (autoescape on for HTML).

Every value a template prints passes through :func:`reports.sanitize.clean_text` (the environment's ``finalize``):
report and paper text is untrusted, and no escape sequence or control character of it reaches a file or a terminal,
whatever the template. :func:`render` then cleans the whole document for its format (Markdown: no script links, no
remote images; see reports/sanitize.py)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from reports.sanitize import clean_output, clean_text


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("reports.templates"))),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["num"] = _num
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    from reports import rerun_plot  # the claimed-against-measured plot, in every process that renders

    rerun_plot.register(env)
    return env


def _finalize(value: Any) -> Any:
    """Each printed value, cleaned of control characters and escape sequences (HTML escaping comes after)."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        if cleaned is value:
            return value
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def template_format(name: str) -> str:
    """The output format a template name stands for: ``audit.md.j2`` -> ``md`` ('' when it names none)."""
    parts = name.lower().split(".")
    if parts and parts[-1] == "j2":
        parts = parts[:-1]
    return parts[-1] if len(parts) >= 2 else ""


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
    return clean_output(environment().get_template(template).render(**data), template_format(template))
