"""Re-render every finished item of a batch from its canonical JSON with the current templates (or one template
file), recomputing nothing: a changed template reaches a whole batch in seconds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import jinja2

from reports.batch.execute import ITEM_FILE
from reports.files import write_atomic
from reports.sanitize import clean_output
from synthesis.errors import AssayError


def template_format(template: Path) -> str:
    """The output format a template file makes: ``mine.html.j2`` -> html."""
    parts = template.name.split(".")
    if len(parts) < 3 or parts[-1] != "j2":
        raise AssayError(
            f"--template {template}: name it NAME.FORMAT.j2 (e.g. report.html.j2) so the format is known"
        )
    return parts[-2].lower()


def render_file(template: Path, data: dict) -> str:
    """Render one template file (its own folder first, then the packaged templates, so includes keep working)."""
    from reports.render import environment

    base = environment()
    env = base.overlay(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(template.parent)), base.loader])
    )
    return env.get_template(template.name).render(**data)


def _audit_renderer(data: dict, fmt: str) -> str:
    from reports.commands.audit import render_audit

    return render_audit(data, fmt)


def _report_renderer(data: dict, fmt: str) -> str:
    from reports.report.render import render_report  # the report pipeline's own renderer

    return render_report(data, fmt)


RENDERERS: dict[str, Callable[[dict, str], str]] = {"audit": _audit_renderer, "report": _report_renderer}


def canonical_json(item_dir: Path, kind: str) -> Path:
    """The one canonical JSON an item's outputs were rendered from."""
    found = sorted(item_dir.glob("*.audit.json" if kind == "audit" else "*.json"))
    found = [f for f in found if f.name != ITEM_FILE]
    if len(found) != 1:
        raise AssayError(f"{item_dir.name}: expected one canonical JSON, found {len(found)}")
    return found[0]


def regenerate(out: Path, template: Path | None = None) -> list[Path]:
    """Re-render the outputs of every finished item under ``out``; returns the files written."""
    written: list[Path] = []
    fmt_only = template_format(template) if template is not None else None
    for item_dir in sorted(p for p in out.iterdir() if p.is_dir() and (p / ITEM_FILE).is_file()):
        record = json.loads((item_dir / ITEM_FILE).read_text())
        kind = record["item"]["kind"]
        source = canonical_json(item_dir, kind)
        data = json.loads(source.read_text(encoding="utf-8"))
        stem = source.name.removesuffix(".json")
        formats = [f for f in record["item"]["formats"] if f != "json" and f != "pdf"]
        for fmt in formats:
            if fmt_only is not None and fmt != fmt_only:
                continue
            text = render_file(template, data) if template is not None else RENDERERS[kind](data, fmt)
            text = clean_output(text, fmt)  # a custom template gets the same safety as ours
            target = item_dir / f"{stem}.{fmt}"
            write_atomic(target, text)
            record["outputs"][target.name] = hashlib.sha256(target.read_bytes()).hexdigest()
            written.append(target)
        write_atomic(item_dir / ITEM_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return written
