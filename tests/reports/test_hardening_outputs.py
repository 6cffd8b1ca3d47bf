"""Issue 14 (hardening) for audit and report outputs: output names that cannot collide, one sanitiser for terminal,
text and Markdown output, output folders written as a set (and tidied after a kill), user values echoed verbatim."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.files import recover, unique_stems, write_set
from reports.sanitize import clean_markdown, clean_text, for_message, json_text, neutralize_markdown
from synthesis.errors import AssayError

ROOT = Path(__file__).resolve().parents[2]
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K\x07"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture()
def cli(assay, corpus_home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001
    """`assay audit` on the session's corpus home, offline, without models (the verdicts are not under test)."""
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    monkeypatch.setenv("ASSAY_EMBEDDING_MODEL", "none")
    monkeypatch.setenv("ASSAY_VERIFIER_MODEL", "none")

    def run(*args: str):  # noqa: ANN202
        return assay("--home", str(corpus_home), "audit", *args)

    return run


def _report(data_reports: Path, title: str = "", extra_claim: str = "") -> str:
    text = (data_reports / "clean.txt").read_text(encoding="utf-8")
    if title:
        text = text.replace("Intermediate-Task Training and Zero-Shot", title, 1)
    if extra_claim:
        text = text.replace(
            "Claim\tVerified\tConfidence\n", f"Claim\tVerified\tConfidence\n{extra_claim}\t✓\t0.8\n", 1
        )
    return text


def _md_targets(markdown: str) -> tuple[list[str], list[str], list[str]]:
    """(link hrefs, image srcs, raw html) as a CommonMark renderer would see them, with no link filter of its own."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # judge our output, not markdown-it's own safety net
    links, images, raw = [], [], []

    def walk(tokens) -> None:  # noqa: ANN001
        for t in tokens:
            if t.type == "link_open":
                links.append(t.attrGet("href") or "")
            elif t.type == "image":
                images.append(t.attrGet("src") or "")
            elif t.type in ("html_inline", "html_block"):
                raw.append(t.content)
            if t.children:
                walk(t.children)

    walk(md.parse(markdown))
    return links, images, raw


def _bad_md(markdown: str) -> list[str]:
    links, images, raw = _md_targets(markdown)
    bad = [
        h
        for h in links
        if re.sub(r"[\s\x00-\x1f]", "", h).lower().startswith(("javascript:", "vbscript:", "data:", "file:"))
    ]
    bad += [f"image {s}" for s in images if re.match(r"^([a-z][a-z0-9+.-]*:|//)", s.strip().lower())]
    bad += [f"html {r}" for r in raw if re.search(r"<\s*(a|img|script|iframe|svg)\b", r, re.I)]
    return bad


# --- the sanitiser ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        (f"title{OSC_TITLE} here", "title here"),
        (f"copy{OSC_CLIPBOARD}!", "copy!"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink with ST
        ("red \x1b[31mtext\x1b[0m", "red text"),
        ("reset\x1bc now", "reset now"),
        ("c1 \x9b31m csi", "c1  csi"),  # 8-bit CSI, whole sequence
        ("bell\x07 bs\x08 nul\x00 del\x7f", "bell bs nul del"),
        ("line1\r\nline2\rover", "line1\nline2 over"),
        ("keep\ttab\nand newline", "keep\ttab\nand newline"),
        ("abc\u202edcba\u202c \u2066iso\u2069", "abcdcba iso"),
        ("unterminated \x1b]0;title\nnext line", "unterminated \nnext line"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    "hostile",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( <javascript:alert(1)> )",
        "[click](&#106;avascript:alert(1))",
        "[click](javascript\\:alert(1))",
        "[x [nested] y](vbscript:msgbox)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![pixel](http://evil.example/p.png)",
        "![pixel](//evil.example/p.png)",
        '![pixel](https://evil.example/p.png "t")',
        "![a ![b](x.png) c](https://evil.example/p.png)",
        "<javascript:alert(1)>",
        '<img src="http://evil.example/p.png">',
        '<a href="javascript:alert(1)">x</a>',
        "[ref]: javascript:alert(1)\n\n[click][ref]",
        "![img][ref]\n\n[ref]: http://evil.example/p.png",
    ],
)
def test_markdown_links_and_remote_images_become_text(hostile: str) -> None:
    assert _bad_md(hostile), f"the test input {hostile!r} should be hostile to begin with"
    safe = neutralize_markdown(hostile)
    assert _bad_md(safe) == [], safe
    assert re.sub(r"[\\]", "", safe).replace("&lt;", "<").replace("&#106;", "j") != ""  # the words stay


@pytest.mark.parametrize(
    "benign",
    [
        "[arXiv](https://arxiv.org/abs/2005.13013)",
        "<https://arxiv.org/abs/2005.13013>",
        "![figure](fig1.png)",
        "p < 0.05 and a<b",
        "f(x) = [a](b)",
    ],
)
def test_markdown_keeps_benign_links(benign: str) -> None:
    assert neutralize_markdown(benign) == benign


_hostile_chars = st.sampled_from(
    [
        "\x1b",
        "\x07",
        "\x9b",
        "\x9d",
        "\u202e",
        "\r",
        "]",
        "[",
        "(",
        ")",
        "!",
        "<",
        ">",
        "\\",
        "javascript:",
        "data:",
        "http://e/x.png",
        "&#106;",
        "\n",
        " ",
        "a",
        "0;",
        "52;",
    ]
)
_hostile_text = st.lists(st.one_of(_hostile_chars, st.text(max_size=3)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_text)
def test_sanitiser_properties(text: str) -> None:
    cleaned = clean_text(text)
    assert not CONTROL.search(cleaned)
    assert clean_text(cleaned) == cleaned  # idempotent
    md = clean_markdown(text)
    assert not CONTROL.search(md)
    assert _bad_md(md) == [], md
    assert (
        not CONTROL.search(json_text({"t": text}).replace("\n", ""))
        and json.loads(json_text({"t": text}))["t"] == text
    )


def test_for_message_is_verbatim_but_clean() -> None:
    assert for_message("../x") == "../x"
    assert for_message(f"a{OSC_TITLE}\nb") == "a b"


# --- output names ----------------------------------------------------------------------------------------------------


def test_unique_stems(tmp_path: Path) -> None:
    assert unique_stems([Path("a/report.txt"), Path("b/other.txt")]) == ["report", "other"]
    assert unique_stems([Path("a/report.txt"), Path("b/report.txt")]) == ["a-report.txt", "b-report.txt"]
    assert unique_stems([Path("d/x.md"), Path("d/x.txt")]) == ["x.md", "x.txt"]
    assert unique_stems([Path("d/X.txt"), Path("d/x.md")]) == [
        "X.txt",
        "x.md",
    ]  # case-insensitive file systems
    assert unique_stems([Path("p/q/r.txt"), Path("s/q/r.txt")]) == ["p-q-r.txt", "s-q-r.txt"]
    with pytest.raises(AssayError, match="given twice"):
        unique_stems([Path("a/r.txt"), Path("a/../a/r.txt")])


def test_audit_same_name_in_two_folders_keeps_both(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    for folder, title in (("a", "Alpha Report Title"), ("b", "Beta Report Title")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(_report(data_reports, title), encoding="utf-8")
    out = tmp_path / "O"
    res = cli(
        "--format",
        "json",
        "--out",
        str(out),
        str(tmp_path / "a" / "report.txt"),
        str(tmp_path / "b" / "report.txt"),
    )
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["a-report.txt.audit.json", "b-report.txt.audit.json"]
    titles = {json.loads(p.read_text(encoding="utf-8"))["report"]["title"] for p in out.iterdir()}
    assert any("Alpha" in t for t in titles) and any("Beta" in t for t in titles)


def test_audit_same_stem_two_extensions_keeps_both(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "x.txt").write_text(_report(data_reports, "Alpha Report Title"), encoding="utf-8")
    (tmp_path / "x.md").write_text((data_reports / "faults.md").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "O"
    res = cli("--format", "json,txt", "--out", str(out), str(tmp_path / "x.md"), str(tmp_path / "x.txt"))
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == [
        "x.md.audit.json",
        "x.md.audit.txt",
        "x.txt.audit.json",
        "x.txt.audit.txt",
    ]
    files = {
        json.loads((out / f"x.{e}.audit.json").read_text(encoding="utf-8"))["input"]["file"]
        for e in ("md", "txt")
    }
    assert files == {"x.md", "x.txt"}


def test_audit_same_report_twice_is_a_usage_error(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    res = cli(
        "--format",
        "json",
        "--out",
        str(tmp_path / "O"),
        str(data_reports / "clean.txt"),
        str(data_reports / "clean.txt"),
    )
    assert res.code == 2 and "given twice" in res.err and len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "O").exists() or not any((tmp_path / "O").iterdir())


def test_audit_never_overwrites_its_input(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "r.txt").write_text(_report(data_reports), encoding="utf-8")
    victim = tmp_path / "r.audit.txt"
    victim.write_text(_report(data_reports, "Victim Report Title"), encoding="utf-8")
    before = victim.read_bytes()
    res = cli("--out", str(tmp_path), str(tmp_path / "r.txt"), str(victim))
    assert res.code == 2 and "overwrite the input" in res.err
    assert victim.read_bytes() == before


def test_format_error_echoes_the_users_value(cli, data_reports: Path, assay, tmp_path: Path) -> None:  # noqa: ANN001
    res = cli("--format", "../x", str(data_reports / "clean.txt"))
    assert res.code == 2 and "../x" in res.err and len(res.err.strip().splitlines()) == 1
    res = cli("--format", f"x{OSC_TITLE}", str(data_reports / "clean.txt"))
    assert res.code == 2 and "\x1b" not in res.err and "x" in res.err
    res = assay("render", str(tmp_path / "r.json"), "--format", "../y")
    assert res.code == 2 and "../y" in res.err
    assert (
        cli("--format", ".json", "--json", str(data_reports / "clean.txt")).code == 0
    )  # ".json" still means json


# --- untrusted text on the terminal and in files --------------------------------------------------------------------


def test_audit_of_hostile_report_prints_and_writes_no_escape(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    claim = (
        f"XLM-R gains 6.1 points{OSC_CLIPBOARD} on XTREME [see](javascript:alert(1)) "
        f"![track](http://evil.example/p.png) <script>x</script> \u202eevil\u202c"
    )
    report = tmp_path / f"hostile{OSC_TITLE}.txt"
    report.write_text(_report(data_reports, f"Title {OSC_TITLE}", claim), encoding="utf-8")
    for fmt in ("txt", "md"):
        res = cli("--format", fmt, str(report))
        assert res.code == 0, res.err
        assert "gains 6.1 points" in res.out and not CONTROL.search(res.out), repr(res.out[:300])
        if fmt == "md":
            assert _bad_md(res.out) == []
    js = cli("--json", str(report))
    assert js.code == 0 and "\x1b" not in js.out and "\u202e" not in js.out
    assert any(
        "\x1b]52;" in c["text"] for c in json.loads(js.out)["claims"]
    )  # the data is kept, only escaped
    out = tmp_path / "O"
    res = cli("--format", "txt,md,html,json", "--out", str(out), str(report))
    assert res.code == 0, res.err and not CONTROL.search(res.out)
    for p in out.iterdir():
        text = p.read_text(encoding="utf-8")
        assert not CONTROL.search(text.replace("\n", "")), p.name
    html = next(out.glob("*.audit.html")).read_text(encoding="utf-8")
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert _bad_md(next(out.glob("*.audit.md")).read_text(encoding="utf-8")) == []


_claim_text = st.lists(
    st.one_of(_hostile_chars, st.sampled_from(["XTREME", "6.1", "points", "[l](javascript:x)"])),
    min_size=1,
    max_size=25,
).map("".join)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=_claim_text, claim=_claim_text)
def test_audit_never_crashes_on_hostile_text(
    cli, data_reports: Path, tmp_path: Path, title: str, claim: str
) -> None:  # noqa: ANN001
    claim = claim.replace("\n", " ").replace("\t", " ").replace("\r", " ")
    report = tmp_path / "h.md"
    report.write_text(_report(data_reports, title.replace("\n", " "), claim), encoding="utf-8")
    res = cli("--format", "md", str(report))
    assert res.code in (0, 2), res.err
    assert not CONTROL.search(res.out + res.err.replace("\n", ""))
    if res.code == 0:
        assert _bad_md(res.out) == []


# --- output folders written as a set, tidied after a kill ------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_write_set_recovers_a_killed_run(tmp_path: Path) -> None:
    dead = _dead_pid()
    (tmp_path / "r.audit.txt").write_text("old txt", encoding="utf-8")
    (tmp_path / "r.audit.md").write_text("old md", encoding="utf-8")
    # killed before its commit: temps only -> dropped, old set kept
    (tmp_path / f".r.audit.txt.{dead}-abcd1234.tmp").write_text("half", encoding="utf-8")
    (tmp_path / ".r.audit.json.k2j3h4g5.tmp").write_text("legacy", encoding="utf-8")  # mkstemp's old naming
    (tmp_path / f".notes.txt.{dead}-abcd1234.tmp").write_text("not ours", encoding="utf-8")
    live = tmp_path / f".r.audit.md.{os.getpid()}-abcd1234.tmp"  # a writer still running: left alone
    live.write_text("in flight", encoding="utf-8")
    removed = recover(tmp_path, "assay-audit", lambda n: n.startswith("r.audit."))
    assert sorted(removed) == sorted([f".r.audit.txt.{dead}-abcd1234.tmp", ".r.audit.json.k2j3h4g5.tmp"])
    assert live.exists() and (tmp_path / f".notes.txt.{dead}-abcd1234.tmp").exists()
    live.unlink()
    # killed after its commit, midway through the renames: the next start finishes the set
    (tmp_path / f".r.audit.md.{dead}-new00001.tmp").write_text("new md", encoding="utf-8")
    (tmp_path / "r.audit.json").write_text("new json", encoding="utf-8")  # renamed before the kill
    journal = {
        "rename": [
            [f".r.audit.json.{dead}-new00000.tmp", "r.audit.json"],
            [f".r.audit.md.{dead}-new00001.tmp", "r.audit.md"],
        ],
        "remove": ["r.audit.txt"],
    }
    (tmp_path / f".assay-audit.{dead}.journal").write_text(json.dumps(journal), encoding="utf-8")
    recover(tmp_path, "assay-audit", lambda n: n.startswith("r.audit."))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".notes.txt.{dead}-abcd1234.tmp", "r.audit.json", "r.audit.md"]
    assert (tmp_path / "r.audit.md").read_text(encoding="utf-8") == "new md"


def test_write_set_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("old", encoding="utf-8")
    real = os.fdopen
    calls = {"n": 0}

    def failing(fd, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls["n"] += 1
        if calls["n"] == 2:
            os.close(fd)
            raise OSError(28, "No space left on device")
        return real(fd, *a, **k)

    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(AssayError, match="nothing was changed"):
        write_set(tmp_path, {"a.txt": "new", "b.txt": "new"}, tag="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "old"


def _run_stamps(out: Path) -> dict[str, str]:
    """Each audit file's run (its finished_at), so that a mixed set shows."""
    stamps = {}
    for p in out.iterdir():
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".json":
            stamps[p.name] = json.loads(text)["finished_at"]
        else:
            stamps[p.name] = re.findall(r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?", text)[-1]
    return stamps


def test_audit_rerun_after_kill_leaves_one_consistent_set(cli, data_reports: Path, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "O"
    first = cli("--format", "txt,md,json", "--out", str(out), str(data_reports / "clean.txt"))
    assert first.code == 0, first.err
    # what a kill -9 between write and rename leaves: temps of a dead writer, and a half-replaced set
    dead = _dead_pid()
    (out / f".clean.audit.json.{dead}-x1y2z3w4.tmp").write_text('{"half', encoding="utf-8")
    (out / f".clean.audit.txt.{dead}-x1y2z3w5.tmp").write_text("half", encoding="utf-8")
    time.sleep(0.01)
    res = cli("--format", "json,md", "--out", str(out), str(data_reports / "clean.txt"))
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == [
        "clean.audit.json",
        "clean.audit.md",
    ]  # no temps, no old txt
    stamps = _run_stamps(out)
    assert len(set(stamps.values())) == 1, stamps  # one run's set


def test_audit_killed_mid_run_then_rerun_is_clean(
    corpus_home: Path, data_reports: Path, tmp_path: Path
) -> None:
    """A real kill -9 of `assay audit --out`, wherever it lands, then a rerun: only the rerun's complete set remains."""
    out = tmp_path / "O"
    env = {
        **os.environ,
        "ASSAY_HOME": str(corpus_home),
        "ASSAY_OFFLINE": "1",
        "ASSAY_EMBEDDING_MODEL": "none",
        "ASSAY_VERIFIER_MODEL": "none",
    }
    args = [
        sys.executable,
        "-c",
        "from reports.cli import main; main()",
        "audit",
        "--format",
        "txt,md,html,json",
        "--out",
        str(out),
        str(data_reports / "clean.txt"),
        str(data_reports / "faults.md"),
    ]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline and proc.poll() is None
    ):  # kill as soon as the first temp appears, if ever
        if out.is_dir() and any(p.name.endswith(".tmp") for p in out.iterdir()):
            break
        time.sleep(0.002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(
        args[:5] + ["json,md"] + args[6:], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["clean.audit.json", "clean.audit.md", "faults.audit.json", "faults.audit.md"]
    for stem in ("clean", "faults"):
        stamps = {k: v for k, v in _run_stamps(out).items() if k.startswith(stem)}
        assert len(set(stamps.values())) == 1, stamps


# --- assay report / assay render -------------------------------------------------------------------------------------

FAST = {
    "ASSAY_OFFLINE": "1",
    "ASSAY_EMBEDDING_MODEL": "none",
    "ASSAY_VERIFIER_MODEL": "none",
    "SOURCE_DATE_EPOCH": "1780000000",
}


@pytest.fixture(scope="module")
def hostile_report_json(corpus_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report JSON (built once) with hostile text planted where paper and report text goes."""
    import shutil

    from reports.cli import main

    home = tmp_path_factory.mktemp("hardening_home") / "home"
    shutil.copytree(corpus_home, home)
    out = tmp_path_factory.mktemp("hardening_report")
    with pytest.MonkeyPatch.context() as mp:
        for k, v in FAST.items():
            mp.setenv(k, v)
        with pytest.raises(SystemExit) as exc:
            main(
                [
                    "--home",
                    str(home),
                    "report",
                    "2005.13013v1",
                    "--question",
                    "Does English intermediate-task training improve zero-shot cross-lingual transfer?",
                    "--format",
                    "json",
                    "--out",
                    str(out),
                ]
            )
    assert exc.value.code == 0
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    evil = f"{OSC_TITLE}[x](javascript:alert(1)) ![t](http://evil.example/p.png) \u202eevil{OSC_CLIPBOARD}"
    rep["paper"]["title"] += evil
    rep["question"] += evil
    rep["facets"][0]["evidence"][0]["quote"] += evil
    path = out / "hostile.json"
    path.write_text(json.dumps(rep), encoding="utf-8")
    return path


def test_report_renders_hostile_text_clean(hostile_report_json: Path) -> None:
    from reports.report.render import load_report, render

    rep = load_report(hostile_report_json)
    for fmt in ("txt", "md", "html", "json"):
        text = render(rep, fmt).decode("utf-8")
        assert not CONTROL.search(text.replace("\n", "")), fmt
        if fmt == "md":
            assert _bad_md(text) == [] and "javascript:alert(1)" in text  # the words stay, the link goes
    assert json.loads(render(rep, "json"))["paper"]["title"].endswith(OSC_CLIPBOARD)  # data kept in the JSON


def test_render_to_terminal_is_clean(assay, hostile_report_json: Path) -> None:  # noqa: ANN001
    for fmt in ("md", "txt"):
        res = assay("render", str(hostile_report_json), "--format", fmt)
        assert res.code == 0, res.err
        assert not CONTROL.search(res.out.replace("\n", "")) and "pwned" not in res.out


def test_render_never_overwrites_its_input_and_tidies_temps(
    assay, hostile_report_json: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    folder = hostile_report_json.parent
    before = hostile_report_json.read_bytes()
    res = assay("render", str(hostile_report_json), "--format", "txt,json", "--out", str(folder))
    assert res.code == 2 and "overwrite the input" in res.err and len(res.err.strip().splitlines()) == 1
    assert hostile_report_json.read_bytes() == before and not (folder / "hostile.txt").exists()
    out = tmp_path / "O"
    out.mkdir()
    stale = out / f".hostile.md.{_dead_pid()}-abcdefgh.tmp"
    stale.write_text("half", encoding="utf-8")
    res = assay("render", str(hostile_report_json), "--format", "md,txt", "--out", str(out))
    assert res.code == 0, res.err
    assert sorted(p.name for p in out.iterdir()) == ["hostile.md", "hostile.txt"]
