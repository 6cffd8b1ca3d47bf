"""One sanitiser for everything taken from papers or reports that reaches a terminal, a text file or Markdown.

Report text is untrusted: a report can carry terminal escape sequences (``ESC ] 0;...BEL`` sets the window title,
``ESC ] 52;...`` writes the clipboard), C0/C1 control characters, bidi overrides that make text read differently
from what it is, and Markdown links to ``javascript:`` or remote images. The rules, in one place:

- :func:`clean_text` (terminal, txt, md, and every value rendered through a template): drop escape sequences whole,
  then every C0/C1 control character except newline and tab, and the bidi embedding/override/isolate characters.
- :func:`neutralize_markdown` (md output as a whole): links whose destination is ``javascript:``, ``vbscript:``,
  ``data:`` or ``file:`` and images from anywhere but a relative path are turned into plain text (their closing
  bracket is escaped, so the words stay but nothing is linked or fetched); autolinks and raw HTML tags to such
  destinations are escaped; reference definitions cannot be formed.
- :func:`json_text` (JSON for terminals and files): the same data, with DEL, C1 and bidi characters written as ``\\uXXXX``
  escapes (``json.dumps`` already escapes C0), so printing JSON never drives a terminal.

HTML is escaped by Jinja's autoescape (reports/render.py); control characters are stripped there too.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from synthesis.errors import AssayError

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ ... up to BEL or ST, or to the
# end when unterminated), and two- or three-character escapes (ESC ( B, ESC 7, ...). Their 8-bit C1 forms too.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?          # CSI
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC
    | \x1b[\x20-\x2f]*[\x30-\x7e]?                                  # other escapes
    """,
    re.VERBOSE,
)
# C0 except \t and \n, DEL, C1; bidi embeddings, overrides and isolates (and the Arabic letter mark).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")
_BIDI = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u061c]")


def clean_text(value: Any) -> str:
    """``value`` as text that is safe to print or write: no escape sequences, no control characters but ``\\n`` and
    ``\\t``, no bidi overrides. ``\\r\\n`` becomes ``\\n``; a lone ``\\r`` (which would overwrite the line) a space."""
    s = value if isinstance(value, str) else str(value)
    if not _CONTROLS.search(s):
        return s
    s = s.replace("\r\n", "\n").replace("\r", " ")
    return _CONTROLS.sub("", _ESCAPES.sub("", s))


def for_message(value: Any, limit: int = 200) -> str:
    """A user's value echoed in a one-line error: verbatim but cleaned, on one line, cut at ``limit``."""
    s = clean_text(value).replace("\n", " ").replace("\t", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def parse_format_list(value: str | None, known: tuple[str, ...]) -> list[str]:
    """``--format a,b``: the known formats asked for, in order, once each; an unknown one is an error that echoes the
    user's own words (cleaned), e.g. ``--format ../x`` is reported as ``../x``, not as what we made of it."""
    words = [w.strip() for w in (value or "").split(",") if w.strip()]
    out, bad = [], []
    for w in words:
        f = w.lower()
        f = f[1:] if f.startswith(".") and f[1:] in known else f  # ".md" is md; "../x" stays "../x"
        (out if f in known else bad).append(f if f in known else w)
    if bad or not out:
        shown = ", ".join(for_message(b, 60) for b in bad) or "(none)"
        raise AssayError(f"unknown format(s) {shown}; choose from {','.join(known)}")
    return list(dict.fromkeys(out))


# --- Markdown ------------------------------------------------------------------------------------------------------

_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]{1,31}:")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_WHITESPACE_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_AUTOLINK = re.compile(r"<(?=\s*[A-Za-z][A-Za-z0-9+.\-]{1,31}:)")
_HTML_TAG = re.compile(r"<(?=/?[A-Za-z][A-Za-z0-9\-]*[\s/>])")
_REF_DEFINITION = re.compile(r"^( {0,3})\[((?:[^\]\\\n]|\\.)+)\]:", re.MULTILINE)


def _normalise_destination(dest: str) -> str:
    """A link destination as a browser would read its scheme: entities decoded, Markdown escapes removed, whitespace
    and control characters dropped, lower case."""
    d = html.unescape(_MD_ESCAPE.sub(r"\1", dest))
    return _WHITESPACE_AND_CONTROLS.sub("", d).lower()


def is_dangerous_destination(dest: str) -> bool:
    return _normalise_destination(dest).startswith(_DANGEROUS_SCHEMES)


def is_remote_destination(dest: str) -> bool:
    d = _normalise_destination(dest)
    return d.startswith("//") or bool(_SCHEME.match(d))


def _escaped(text: str, i: int) -> bool:
    """Whether the character at ``i`` is backslash-escaped (an odd number of backslashes before it)."""
    n = 0
    while i - 1 - n >= 0 and text[i - 1 - n] == "\\":
        n += 1
    return n % 2 == 1


_LOOK_BACK = 4096


def _opening_bracket(text: str, close: int) -> int | None:
    """The unescaped ``[`` that the ``]`` at ``close`` closes (brackets nest), None when there is none, -1 when it
    is further back than we look (treated as an image: neutralised)."""
    depth = 0
    for i in range(close - 1, max(-1, close - 1 - _LOOK_BACK), -1):
        ch = text[i]
        if ch not in "[]" or _escaped(text, i):
            continue
        if ch == "]":
            depth += 1
        elif depth == 0:
            return i
        else:
            depth -= 1
    return -1 if close > _LOOK_BACK else None


def _destination_after(text: str, paren: int) -> str:
    """The link destination that starts after the ``(`` at ``paren`` (``<...>`` form or bare)."""
    rest = text[paren + 1 : paren + 1 + 2048].lstrip(" \t\n")
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1 : end if end >= 0 else len(rest)]
    m = re.match(r"[^\s)]*(?:\([^\s)]*\)[^\s)]*)*", rest)
    return m.group(0) if m else ""


def neutralize_markdown(text: str) -> str:
    """Markdown in which no link points to a script or data URL and no image is fetched from elsewhere: such links
    and images stay as plain text (their ``]`` is escaped), as do autolinks, raw HTML tags and reference definitions
    that could carry them."""
    out: list[str] = []
    last = 0
    for m in re.finditer(r"\]\(", text):
        close = m.start()
        if _escaped(text, close):
            continue
        dest = _destination_after(text, close + 1)
        danger = is_dangerous_destination(dest)
        if not danger and is_remote_destination(dest):
            opening = _opening_bracket(text, close)
            danger = opening == -1 or (
                opening is not None
                and opening > 0
                and text[opening - 1] == "!"
                and not _escaped(text, opening - 1)
            )
        if danger:
            out.append(text[last:close])
            out.append("\\")
            last = close
    out.append(text[last:])
    s = "".join(out)

    def _autolink(m: re.Match[str]) -> str:
        end = s.find(">", m.start())
        inner = s[m.start() + 1 : end if end >= 0 else len(s)]
        return "&lt;" if is_dangerous_destination(inner) else "<"

    s = _AUTOLINK.sub(_autolink, s)
    s = _HTML_TAG.sub("&lt;", s)
    return _REF_DEFINITION.sub(lambda m: f"{m.group(1)}[{m.group(2)}\\]:", s)


def clean_markdown(text: str) -> str:
    """A whole Markdown document made safe: :func:`clean_text`, then :func:`neutralize_markdown`."""
    return neutralize_markdown(clean_text(text))


def clean_output(text: str, fmt: str) -> str:
    """A rendered document of format ``fmt`` (txt, md, html; anything else unchanged) made safe as a whole."""
    if fmt == "md":
        return clean_markdown(text)
    if fmt in ("txt", "html"):
        return clean_text(text)
    return text


# --- JSON ----------------------------------------------------------------------------------------------------------


def json_text(data: Any, indent: int | None = 2) -> str:
    """``json.dumps`` of ``data`` (readable UTF-8) with C1 controls and bidi characters escaped as ``\\uXXXX``: the
    same JSON value, safe to print."""
    s = json.dumps(data, indent=indent, ensure_ascii=False)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group(0)):04x}", s)
