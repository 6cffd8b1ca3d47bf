"""Render the canonical report JSON: txt, md and html through the Jinja2 templates in templates/ (or a user's
``--template FILE``), pdf from the html through WeasyPrint, json as the canonical JSON itself.

Everything is rendered in memory first and written atomically only when every format rendered, so a bad template
or a missing WeasyPrint leaves no half-written output.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jinja2

from reports.report.model import Report
from synthesis.errors import AssayError

FORMATS = ("txt", "md", "html", "pdf", "json")


def parse_formats(value: str) -> list[str]:
    from reports.sanitize import parse_format_list

    return parse_format_list(value, FORMATS)


def _environment(template: Path | None, html: bool) -> tuple[jinja2.Environment, str | None]:
    from reports.render import environment

    base = environment()  # with the rerun plot's filters (templates/report.html.j2)
    if template is None:
        return base, None
    if not template.is_file():
        raise AssayError(
            f"template {template} does not exist; give a Jinja2 file (see templates/report.*.j2)"
        )
    env = base.overlay(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(template.parent.resolve())), base.loader]),
        autoescape=html,
    )
    return env, template.name


def render_text(report: dict, fmt: str, template: Path | None = None) -> str:
    """One text form (txt, md or html) of the report."""
    env, name = _environment(template, fmt == "html")
    try:
        from reports.sanitize import clean_output

        tpl = env.get_template(name or f"report.{fmt}.j2")
        return clean_output(tpl.render(**report), fmt)
    except jinja2.TemplateSyntaxError as exc:
        raise AssayError(
            f"template {exc.filename or name}: syntax error on line {exc.lineno}: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise AssayError(
            f"template {name or 'report.' + fmt + '.j2'}: {exc.message}; the report JSON has no such "
            "field (see docs/schemas/report.schema.json)"
        ) from exc


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML report (WeasyPrint; no network: nothing external is referenced)."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise AssayError(
            f"--format pdf needs WeasyPrint and its system libraries ({exc}); install them with "
            "`pip install 'assay[pdf]'` (Pango must be present), or choose txt,md,html"
        ) from exc
    buf = io.BytesIO()
    weasyprint.HTML(string=html, base_url=None).write_pdf(buf, url_fetcher=_no_fetch)
    return buf.getvalue()


def _no_fetch(url: str, timeout: int = 10, ssl_context=None) -> dict:  # noqa: ANN001
    raise ValueError(f"the report references an external resource ({url[:80]}), which is not fetched")


def template_applies(template: Path | None, fmt: str) -> bool:
    """A template named NAME.FORMAT.j2 applies to that format only (pdf uses the html one); any other name to
    every text format."""
    if template is None:
        return False
    parts = template.name.lower().split(".")
    named = (
        parts[-2] if len(parts) >= 3 and parts[-1] == "j2" and parts[-2] in ("txt", "md", "html") else None
    )
    return named is None or named == ("html" if fmt == "pdf" else fmt)


def render(report: dict, fmt: str, template: Path | None = None) -> bytes:
    """The bytes of one output format (pdf is made from the html form)."""
    Report.model_validate(report)
    if fmt == "json":
        from reports.sanitize import json_text

        return (json_text(report) + "\n").encode("utf-8")
    tpl = template if template_applies(template, fmt) else None
    if fmt == "pdf":
        return html_to_pdf(render_text(report, "html", tpl))
    return render_text(report, fmt, tpl).encode("utf-8")


def render_report(report: dict, fmt: str) -> str:
    """One text form (txt, md or html) with the shipped templates (used by `assay batch --regenerate`)."""
    return render_text(report, fmt)


def render_all(report: dict, formats: list[str], template: Path | None = None) -> dict[str, bytes]:
    return {fmt: render(report, fmt, template) for fmt in formats}


def load_report(path: Path) -> dict:
    """A saved report JSON, validated (AssayError for anything else)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AssayError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise AssayError(f"{path} is not JSON ({exc}); give a report.json written by `assay report`") from exc
    try:
        return Report.model_validate(data).to_json()
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError, one line for the user
        first = str(exc).splitlines()[:3]
        raise AssayError(f"{path} is not an assay.report/1 report: {' '.join(first)}") from exc
