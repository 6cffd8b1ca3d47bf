"""Reading the claims file of ``assay verify``: bytes to validated claims, or one clear error naming the file and
the line.

Every way a hand-made or generated file can be wrong ends here as an :class:`AssayError` (one line, exit code 2):
an encoding other than UTF-8 (UTF-16 from a Windows editor, Latin-1 bytes), a line that is not JSON or is nested
absurdly deep, a line that is not an object, and an object that breaks the typed contract
(:class:`synthesis.verdicts.ClaimInput`: ``text`` a non-blank string, ``paper`` a string, ...). Claims naming a
paper are checked against the store by :func:`check_papers`, so an unknown paper is an error instead of silently
widening the check to every stored paper.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from synthesis.errors import AssayError
from synthesis.verdicts import MAX_CLAIM_TEXT_CHARS, ClaimInput

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32  # nesting of a claim object; `assay claims` writes 3 levels
MAX_LINE_CHARS = 4 * MAX_CLAIM_TEXT_CHARS + 1_000_000  # text plus generous room for extra fields

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAVE_AS = "save it as UTF-8 with one JSON object per line"


def read_claims(path: Path | str) -> list[dict]:
    """The claims of a claims.jsonl file, each a dict with a string ``id`` (the line number when absent) and a
    non-blank ``text`` (taken from ``claim`` when only that is given, as COVID-Fact lines do)."""
    p = Path(path)
    data = _read_bytes(p)
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise AssayError(f"{p}:1: the file is {name}-encoded; {_SAVE_AS}")
    data = data.removeprefix(codecs.BOM_UTF8)
    rows: list[dict] = []
    for n, raw in enumerate(data.split(b"\n"), 1):
        line = _decode(p, n, raw)
        if not line.strip():
            continue
        rows.append(_claim(p, n, _parse(p, n, line)))
    if not rows:
        raise AssayError(
            f"{p} holds no claims; write one JSON object per line, e.g. with `assay claims PAPER --out FILE`"
        )
    return rows


def check_papers(path: Path | str, claims: list[dict], resolve: Callable[[str], object]) -> None:
    """Every ``paper`` a claim names resolves (``resolve`` raises AssayError when it does not); the error names the
    line and the paper. Claims with inline evidence are not checked against papers, so theirs is not looked up."""
    seen: dict[str, bool] = {}
    for claim in claims:
        ref = claim.get("paper")
        if ref is None or isinstance(claim.get("evidence"), list):
            continue
        if ref not in seen:
            try:
                resolve(ref)
                seen[ref] = True
            except AssayError as exc:
                why = str(exc).rstrip(".")
                raise AssayError(
                    f"{path}:{claim['_line']}: paper {_show(ref)} of claim {_show(claim['id'])} is "
                    f"unknown ({why}); fix the 'paper' field or drop it to check against every stored "
                    "paper"
                ) from None


def strip_line_numbers(claims: list[dict]) -> list[dict]:
    """The claims without the ``_line`` bookkeeping :func:`read_claims` adds for error messages."""
    return [{k: v for k, v in c.items() if k != "_line"} for c in claims]


# ---------------------------------------------------------------------------------------------------- steps


def _read_bytes(p: Path) -> bytes:
    try:
        if not p.is_file():
            why = "is a folder" if p.is_dir() else "does not exist"
            raise AssayError(f"{p} {why}; give a JSONL file with one claim per line")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AssayError(
                f"{p} is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} for a claims file; split it"
            )
        with open(p, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise AssayError(f"cannot read {p}: {exc.strerror or exc}") from exc


def _decode(p: Path, n: int, raw: bytes) -> str:
    if b"\x00" in raw:
        raise AssayError(f"{p}:{n}: line {n} holds NUL bytes (a UTF-16 or binary file?); {_SAVE_AS}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssayError(
            f"{p}:{n}: line {n} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
            f"{exc.start + 1}); {_SAVE_AS}"
        ) from None


def _parse(p: Path, n: int, line: str) -> object:
    if len(line) > MAX_LINE_CHARS:
        raise AssayError(
            f"{p}:{n}: line {n} is {len(line):,} characters long, over the limit of "
            f"{MAX_LINE_CHARS:,}; one claim per line"
        )
    try:
        return json.loads(line)
    except RecursionError:
        raise AssayError(
            f"{p}:{n}: line {n} is nested too deeply (over {MAX_DEPTH} levels of brackets); fix or remove it"
        ) from None
    except ValueError as exc:  # JSONDecodeError, and int() limits on absurdly long numbers
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number with too many digits"
        raise AssayError(f"{p}:{n}: not valid JSON ({msg}); fix or remove line {n}") from None


def _claim(p: Path, n: int, obj: object) -> dict:
    if not isinstance(obj, dict):
        raise AssayError(
            f'{p}:{n}: expected a JSON object like {{"id": "c1", "text": "..."}}, got {_json_type(obj)}'
        )
    _check_values(p, n, obj)
    obj = dict(obj)
    if "text" not in obj and "claim" in obj:
        obj["text"] = obj["claim"]
    obj.setdefault("id", str(n))
    if "text" not in obj:
        raise AssayError(
            f"{p}:{n}: claim {_show(obj['id'])} has no 'text' field; each line needs at least id and text"
        )
    try:
        claim = ClaimInput.model_validate(obj)
    except ValidationError as exc:
        raise AssayError(f"{p}:{n}: {_explain(exc)}; fix or remove line {n}") from None
    obj["id"], obj["text"], obj["_line"] = claim.id, claim.text, n
    return obj


def _check_values(p: Path, n: int, obj: object) -> None:
    """Depth within MAX_DEPTH, and no string that cannot be written back as UTF-8 (JSON's lone surrogates)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise AssayError(
                f"{p}:{n}: line {n} is nested too deeply (over {MAX_DEPTH} levels); fix or remove it"
            )
        if isinstance(value, dict):
            stack.extend((k, depth + 1) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise AssayError(
                    f"{p}:{n}: line {n} holds an unpaired surrogate "
                    f"({value[exc.start]!r}), which is not text; fix or remove it"
                ) from None


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "list_type": "a list",
    "tuple_type": "a list of two integers",
}


def _explain(exc: ValidationError) -> str:
    """The first problem of a claim, in words: which field, what it must be, what it was."""
    err = exc.errors(include_url=False)[0]
    loc = err["loc"]
    field = str(loc[0]) if loc else "the claim"
    where = f"'{field}'" + "".join(f"[{i}]" for i in loc[1:])
    got = err.get("input")
    kind = err["type"]
    if kind in _TYPE_WORDS:
        return f"{where} must be {_TYPE_WORDS[kind]}, not {_json_type(got)}"
    if kind == "string_too_short":
        return f"{where} is empty"
    if kind == "string_too_long":
        return f"{where} is {len(got):,} characters long, over the limit of {err['ctx']['max_length']:,}"
    if kind in ("too_long", "too_short") and field == "span":
        return "'span' must be a list of two integers [start, end]"
    if kind == "too_long":
        return f"{where} has {len(got):,} items, over the limit of {err['ctx']['max_length']:,}"
    if kind == "value_error":
        return f"{where} {err['msg'].removeprefix('Value error, ')}"
    if kind == "greater_than_equal":
        return f"{where} must be at least {err['ctx']['ge']}, not {got!r}"
    return f"{where}: {err['msg']}"


def _json_type(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, int | float):
        return f"the number {v!r}"[:60]
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _show(v: object, limit: int = 60) -> str:
    s = repr(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"
