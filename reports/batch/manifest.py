"""The batch manifest: CSV or YAML rows of ``kind, paper, question, report, formats, template, runs``.

Every row becomes a :class:`BatchItem` with a stable id (a readable slug and a hash of what the item computes), so
that a rerun of the same manifest finds the items it has finished. Unknown fields and kinds, and rows that lack what
their kind needs, are errors that name the file and line.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from reports.sanitize import for_message
from synthesis.errors import AssayError

FIELDS = ("kind", "paper", "question", "report", "formats", "template", "runs")
KINDS = ("report", "audit")
DEFAULT_FORMATS = {"report": ("md", "html"), "audit": ("txt", "html")}
KNOWN_FORMATS = {"report": ("txt", "md", "html", "pdf", "json"), "audit": ("txt", "md", "html", "json")}


class BatchItem(BaseModel):
    """One unit of work: a report to generate or a report to audit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int  # where it was declared (for messages)
    kind: Literal["report", "audit"]
    paper: str | None = None
    question: str | None = None
    report: str | None = None  # the file to audit
    formats: tuple[str, ...]
    template: str | None = None
    runs: str | None = None

    @property
    def id(self) -> str:
        """Stable across reruns and line moves: a slug of what it is about and a hash of its inputs."""
        blob = json.dumps(self.model_dump(exclude={"line"}), sort_keys=True)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
        subject = Path(self.report).stem if self.kind == "audit" and self.report else (self.paper or "item")
        slug = re.sub(r"[^A-Za-z0-9.]+", "-", subject).strip("-")[:40] or "item"
        return f"{self.kind}-{slug}-{digest}"

    def label(self) -> str:
        what = Path(self.report).name if self.kind == "audit" and self.report else self.paper
        return f"{self.kind} {what}" + (
            f": {self.question[:60]}" if self.kind == "report" and self.question else ""
        )


def _blank(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _item(row: dict, where: str, base: Path) -> BatchItem:
    unknown = [k for k in row if k not in FIELDS]
    if unknown:
        hint = difflib.get_close_matches(str(unknown[0]), FIELDS, n=1)
        raise AssayError(f"{where}: unknown field {unknown[0]!r}"
                         + (f" (did you mean {hint[0]!r}?)" if hint else f"; fields are {', '.join(FIELDS)}"))  # fmt: skip
    kind = (_blank(row.get("kind")) or "").lower()
    if kind not in KINDS:
        hint = difflib.get_close_matches(kind, KINDS, n=1)
        raise AssayError(f"{where}: unknown kind {kind or '(empty)'!r}"
                         + (f" (did you mean {hint[0]!r}?)" if hint else "; use report or audit"))  # fmt: skip
    fields = {k: _blank(row.get(k)) for k in FIELDS if k != "kind"}
    raw_formats = fields.pop("formats")
    words = [f.strip() for f in re.split(r"[,;\s]+", raw_formats or "") if f.strip()]
    bad = [w for w in words if w.lower().removeprefix(".") not in KNOWN_FORMATS[kind]]
    if bad:  # echo the user's own word ("../x", not what stripping made of it)
        raise AssayError(
            f"{where}: format {for_message(bad[0])!r} is not one of {','.join(KNOWN_FORMATS[kind])} for {kind} items"
        )
    formats = tuple(dict.fromkeys(w.lower().removeprefix(".") for w in words)) or DEFAULT_FORMATS[kind]
    for key in ("report", "template", "runs"):  # paths are relative to the manifest's folder
        if fields[key] is not None and not Path(fields[key]).is_absolute():
            fields[key] = str((base / fields[key]).resolve())
    if kind == "report":
        if not fields["paper"]:
            raise AssayError(
                f"{where}: a report item needs a paper (an arXiv id, a paper in the store or a PDF)"
            )
        if not fields["question"]:
            raise AssayError(f"{where}: a report item needs a question")
        if fields["report"]:
            raise AssayError(f"{where}: 'report' (the file to audit) is for audit items; leave it empty here")
        if fields["paper"] and Path(base / fields["paper"]).suffix.lower() == ".pdf":
            fields["paper"] = str((base / fields["paper"]).resolve())
    else:
        if not fields["report"]:
            raise AssayError(f"{where}: an audit item needs 'report', the file to audit")
        if fields["template"]:
            raise AssayError(f"{where}: 'template' applies to report items; audits use the audit templates")
    return BatchItem(line=int(where.rsplit(" ", 1)[1]), kind=kind, formats=formats, **fields)


def read_manifest(path: str | Path) -> list[BatchItem]:
    """Parse a CSV (header row) or YAML (a list of mappings, or ``items:``) manifest into items."""
    path = Path(path)
    if not path.is_file():
        raise AssayError(f"manifest {path} does not exist")
    base = path.resolve().parent
    text = path.read_text(encoding="utf-8-sig")
    items: list[BatchItem] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise AssayError(f"{path}: not valid YAML ({exc})") from None
        rows = data.get("items") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise AssayError(f"{path}: expected a list of items (or 'items:' with a list)")
        lines = [i + 1 for i, ln in enumerate(text.splitlines()) if ln.lstrip().startswith("- ")]
        for n, row in enumerate(rows):
            where = f"{path.name} item {n + 1}" if n >= len(lines) else f"{path.name} line {lines[n]}"
            if not isinstance(row, dict):
                raise AssayError(f"{where}: an item must be a mapping of fields")
            items.append(_item(row, where, base))
    else:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise AssayError(f"{path}: empty manifest; the first line names the fields ({','.join(FIELDS)})")
        for row in reader:
            where = f"{path.name} line {reader.line_num}"
            if None in row:
                raise AssayError(f"{where}: more values than fields in the header")
            if not any((v or "").strip() for v in row.values()):
                continue
            items.append(_item({k.strip(): v for k, v in row.items()}, where, base))
    if not items:
        raise AssayError(f"{path}: no items")
    seen: dict[str, int] = {}
    for it in items:
        if it.id in seen:
            raise AssayError(f"{path.name} line {it.line}: the same item as line {seen[it.id]}")
        seen[it.id] = it.line
    return items
