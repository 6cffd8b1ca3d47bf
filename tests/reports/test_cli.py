"""CLI conventions: help is fast and complete, usage errors exit 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys
import time

LAZY = ("torch", "transformers", "sentence_transformers", "spacy", "datasets")


def test_help_lists_commands(assay) -> None:
    res = assay("--help")
    assert res.code == 0
    for cmd in (
        "ingest",
        "fetch",
        "search",
        "papers",
        "show",
        "claims",
        "verify",
        "audit",
        "replicate",
        "demo",
    ):
        assert cmd in res.out, cmd


def test_unknown_command_exits_2(assay) -> None:
    res = assay("no-such-command")
    assert res.code == 2
    assert "Traceback" not in res.err


def test_help_starts_fast_without_heavy_imports() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); from reports.cli import app; "
        f"print(time.perf_counter() - t); print([m for m in {LAZY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    elapsed, loaded = out.splitlines()
    assert loaded == "[]", f"heavy modules imported at CLI start: {loaded}"
    # Not a timing assertion on the product: a generous bound that only catches an accidental heavy import.
    assert float(elapsed) < 5


def test_bad_home_is_one_line_exit_2(tmp_path, assay) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    start = time.perf_counter()
    res = assay("--home", str(blocker / "sub"), "papers")
    assert time.perf_counter() - start < 30
    assert res.code == 2, res
    assert res.err.startswith("error: ") and len(res.err.strip().splitlines()) == 1


def test_replicate_status_names_the_base_model(assay, home, tmp_path) -> None:  # noqa: ANN001
    """Regression: the demo's two control encoders (mlm-en, random) gave status lines that read as duplicates
    ("synthetic-controls  none -> syn-xnli  seed 2" twice)."""
    import json

    runs = tmp_path / "runs"
    for rid, base in (
        ("aaaa000000000001", str(tmp_path / "models" / "mlm-en")),
        ("aaaa000000000002", str(tmp_path / "models" / "random")),
        ("aaaa000000000003", "xlm-roberta-large"),
    ):
        (runs / rid).mkdir(parents=True)
        (runs / rid / "result.json").write_text(
            json.dumps(
                {
                    "schema": "assay.run/1",
                    "id": rid,
                    "plan": "synthetic-controls",
                    "base_model": base,
                    "intermediate": "none",
                    "target": "syn-xnli",
                    "seed": 2,
                    "status": "done",
                    "wall_time_s": 0.5,
                    "metrics": {},
                    "throughput": {},
                }
            )
        )
    r = assay("replicate", "status", "--runs-dir", str(runs))
    assert r.code == 0, r.err
    lines = [x for x in r.out.splitlines() if x.startswith("  aaaa")]
    assert "mlm-en: none -> syn-xnli" in lines[0] and "random: none -> syn-xnli" in lines[1]
    assert "xlm-roberta-large: none -> syn-xnli" in lines[2]
    assert json.loads(assay("replicate", "status", "--runs-dir", str(runs), "--json").out)["finished"][0][
        "base_model"
    ].endswith("mlm-en")


def test_usage_errors_are_one_line_naming_the_help(assay) -> None:
    for args, needle in ((("show",), "Missing argument"), (("show", "x", "--page", "abc"), "--page")):
        res = assay(*args)
        assert res.code == 2
        lines = res.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], res.err
        assert "assay show --help" in lines[0]


def test_debug_shows_traceback_and_keeps_exit_2(home, assay) -> None:
    res = assay("--debug", "show", "no-such-paper")
    assert res.code == 2
    assert "Traceback" in res.err and res.err.strip().splitlines()[-1].startswith("error: no paper matches")


def test_interrupt_prints_interrupted_and_exits_130(monkeypatch, capsys) -> None:
    import pytest

    import reports.cli as cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as exc:
        cli.main(["papers"])
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"
