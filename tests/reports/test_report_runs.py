"""`assay report --runs DIR`: the paper's numeric claims bound to run results (replication.bind) beside their textual
verdicts, as a resumable stage, in every format; the claimed-against-measured SVG in the report's and the audit's
HTML (reports/rerun_plot.py); and nothing changes without --runs.

The runs are hand-written result records (like tests/replication/test_bind.py's): the synthetic demo's tasks do not
occur in 2005.13013's claims, so its runs would leave every claim "not testable here" and the plot empty.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

Q = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)
REPO = Path(__file__).resolve().parents[2]
FAST = {
    "ASSAY_OFFLINE": "1",
    "ASSAY_EMBEDDING_MODEL": "none",
    "ASSAY_VERIFIER_MODEL": "none",
    "SOURCE_DATE_EPOCH": "1780000000",
}
POINT = re.compile(r'<g class="rerun-point"')


def record(inter: str, target: str, seed: int, score: float) -> dict:
    return {
        "id": f"large-{inter}-{target}-{seed}", "base_model": "xlm-roberta-large", "intermediate": inter,
        "intermediate_tasks": [] if inter == "none" else [inter], "target": target, "seed": seed,
        "metrics": {"en": {"accuracy": score}, "de": {"accuracy": score - 2}}, "task": {"metrics": ["accuracy"]},
        "hardware": {"device": "NVIDIA H100"},
    }  # fmt: skip


def write_runs(root: Path, gains: tuple[float, ...] = (5.5, 6.0, 6.5)) -> Path:
    """XLM-R Large on PAWS-X and XNLI over three seeds: SQuAD adds ``gains`` (per seed), MNLI adds 1."""
    for seed, gain in enumerate(gains, start=1):
        for target, base in (("pawsx", 70.0), ("xnli", 75.0)):
            for r in (record("none", target, seed, base), record("squad_v1.1", target, seed, base + gain),
                      record("mnli", target, seed, base + 1)):  # fmt: skip
                d = root / r["id"]
                d.mkdir(parents=True, exist_ok=True)
                (d / "result.json").write_text(json.dumps(r), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def env():
    with pytest.MonkeyPatch.context() as mp:
        for k, v in FAST.items():
            mp.setenv(k, v)
        yield


@pytest.fixture(scope="module")
def home(env, tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:  # noqa: ANN001
    """A home with 2005.13013v1 alone stored (one ingestion, a few seconds)."""
    from synthesis.ingest import ingest_pdf
    from synthesis.settings import load_settings
    from synthesis.store import Store

    h = tmp_path_factory.mktemp("report_runs") / "home"
    settings = load_settings(h, offline=True)
    with Store(settings.db_path) as store:
        ingest_pdf(store, settings, corpus_dir / "2005.13013v1.pdf", arxiv_id="2005.13013", version="v1",
                   title="English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too")  # fmt: skip
    return h


def _cli(home: Path, *args: str) -> None:
    from reports.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "report", "2005.13013v1", "--question", Q, *args])
    assert exc.value.code == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def with_runs(home: Path, runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("with_runs")
    _cli(home, "--runs", str(runs), "--format", "txt,md,html,json", "--out", str(out))
    return out


@pytest.fixture(scope="module")
def without_runs(home: Path, with_runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("without_runs")
    _cli(home, "--format", "txt,md,html,json", "--out", str(out))
    return out


def _json(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


def _plotted(claims: list[dict]) -> list[dict]:
    return [c for c in claims if c["verdict"] in ("reproduced", "direction only", "not reproduced")
            and c["kind"] in ("score", "delta") and c["claimed"] is not None and c["measured"]]  # fmt: skip


def test_report_carries_rerun_verdicts_beside_textual_ones(with_runs: Path) -> None:
    import jsonschema

    rep = _json(with_runs)
    jsonschema.validate(
        rep, json.loads((REPO / "docs/schemas/report.schema.json").read_text(encoding="utf-8"))
    )
    rr = rep["reruns"]
    assert rr["status"] == "bound" and rr["n_runs"] == 18 and rr["runs_dir"]
    rows = {c["id"]: c for c in rep["claims"]}
    numeric = [c for c in rep["claims"] if re.search(r"\d", c["text"])]
    assert [c["id"] for c in rr["claims"]] == [c["id"] for c in numeric]  # every numeric claim, in order
    for c in rr["claims"]:
        assert c["label"] == rows[c["id"]]["label"] and c["text"] == rows[c["id"]]["text"] and c["reason"]
    by = {c["verdict"]: c for c in rr["claims"]}
    best = by["reproduced"]  # "a 6.1 point improvement over XLM-R Large" against 5.5/6.0/6.5 per seed
    assert best["claimed"] == 6.1 and best["kind"] == "delta"
    assert best["measured"]["n"] == 3 and best["measured"]["mean"] == pytest.approx(6.0)
    assert best["measured"]["sd"] == pytest.approx(0.5)
    assert {r["seed"] for r in best["runs"]} == {1, 2, 3}
    assert {r["model"] for r in best["runs"]} == {"xlm-roberta-large"}
    assert {r["hardware"] for r in best["runs"]} == {"NVIDIA H100"}
    assert "dev sets" in by["not testable here"]["reason"] and by["not testable here"]["measured"] is None
    assert "reruns" in rep["provenance"]["stage_keys"]
    assert str(rr["n_runs"]) in rr["note"]

    txt = (with_runs / "report.txt").read_text(encoding="utf-8")
    section = txt.split("7 Reruns", 1)[1].split("References", 1)[0]
    assert "rerun verdict: reproduced" in section and "textual verdict: supported" in section
    assert "measured: 6 ± 0.5 sd (n=3 seeds)" in section
    assert "model xlm-roberta-large; seeds 1, 2, 3; hardware NVIDIA H100" in section
    assert "why: the claim is about dev sets" in section
    md = (with_runs / "report.md").read_text(encoding="utf-8")
    assert "## 7 Reruns" in md and "| Claim | Textual verdict | Rerun verdict |" in md

    html = (with_runs / "report.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="rerun-plot".*?</svg>', html, re.S)
    assert svg, "no claimed-against-measured plot"
    plot = svg.group(0)
    assert len(POINT.findall(plot)) == len(_plotted(rr["claims"])) == 2
    assert "<title" in plot and "<desc" in plot and 'role="img"' in plot
    assert "Claimed value" in plot and "Measured value" in plot and 'class="identity"' in plot
    assert 'class="rerun-verdict">not testable here<' in html


def test_without_runs_nothing_changes(with_runs: Path, without_runs: Path) -> None:
    a, b = _json(with_runs), _json(without_runs)
    assert b["reruns"] == {"status": "skipped", "note": "--runs was not given, so no claim is bound to a run",
                           "runs_dir": None, "n_runs": 0, "claims": []}  # fmt: skip
    assert "reruns" not in b["provenance"]["stage_keys"]
    for rep in (a, b):
        rep.pop("reruns")
        rep.pop("limitations")
        rep["provenance"]["stage_keys"].pop("reruns", None)
    assert a == b  # the rest of the report is the same with or without runs
    html = (without_runs / "report.html").read_text(encoding="utf-8")
    assert "rerun-plot" not in html and "Rerun verdict" not in html
    assert "Reruns" not in (without_runs / "report.txt").read_text(encoding="utf-8")
    assert "Reruns" not in (without_runs / "report.md").read_text(encoding="utf-8")


def test_reruns_stage_resumes_and_a_changed_runs_folder_recomputes_only_it(
    home: Path, runs: Path, with_runs: Path, tmp_path: Path
) -> None:
    from reports.report.pipeline import build
    from synthesis.settings import load_settings
    from synthesis.store import Store

    settings = load_settings(home, offline=True)
    with Store(settings.db_path) as store:
        rep, stages = build(store, settings, "2005.13013v1", Q, runs=runs)
        assert {s.name: s.status for s in stages.log if s.name != "assemble"} == dict.fromkeys(
            ("resolve", "related", "claims", "verify", "answer", "reruns"), "reused"
        )
        other = write_runs(tmp_path / "runs", gains=(1.0, 1.5, 2.0))  # SQuAD now adds 1.5: 6.1 direction only
        rep2, stages2 = build(store, settings, "2005.13013v1", Q, runs=other)
    status = {s.name: s.status for s in stages2.log if s.name != "assemble"}
    assert status.pop("reruns") == "computed" and set(status.values()) == {"reused"}
    best = next(c for c in rep2["reruns"]["claims"] if c["claimed"] == 6.1)
    assert best["verdict"] == "direction only" and best["measured"]["mean"] == pytest.approx(1.5)
    assert rep2["provenance"]["stage_keys"]["reruns"] != rep["provenance"]["stage_keys"]["reruns"]


def test_missing_runs_folder_is_one_line_error(home: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from reports.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "report", "2005.13013v1", "-q", Q, "--runs", str(tmp_path / "nope")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "not a folder" in err and "Traceback" not in err


def test_audit_html_with_runs_has_the_same_plot(
    home: Path, runs: Path, with_runs: Path, tmp_path: Path
) -> None:
    """`assay audit report.txt --runs DIR --format html,json`: one point per claim with a claimed and measured value."""
    from reports.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--home", str(home), "audit", str(with_runs / "report.txt"), "--paper", "2005.13013v1",
              "--runs", str(runs), "--format", "html,json", "--out", str(tmp_path)])  # fmt: skip
    assert exc.value.code in (0, 1)
    audit = json.loads((tmp_path / "report.audit.json").read_text(encoding="utf-8"))
    bound = [c["rerun"] for c in audit["claims"] if c.get("rerun")]
    plotted = [b for b in bound if b["verdict"] in ("reproduced", "direction only", "not reproduced")
               and (b["query"] or {}).get("kind") in ("score", "delta")]  # fmt: skip
    assert plotted and any(b["verdict"] == "reproduced" for b in plotted)
    html = (tmp_path / "report.audit.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="rerun-plot".*?</svg>', html, re.S)
    assert svg and len(POINT.findall(svg.group(0))) == len(plotted)
    assert 'aria-labelledby="audit-rerun-plot-title audit-rerun-plot-desc"' in svg.group(0)
    # re-rendered from its JSON in a fresh process (as `batch --regenerate` does): the same plot
    code = (
        "import json, sys; from reports.commands.audit import render_audit; "
        "sys.stdout.write(render_audit(json.load(open(sys.argv[1])), 'html'))"
    )
    again = subprocess.run([sys.executable, "-c", code, str(tmp_path / "report.audit.json")], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    svg2 = re.search(r'<svg class="rerun-plot".*?</svg>', again, re.S)
    assert svg2 and len(POINT.findall(svg2.group(0))) == len(plotted)


def test_rerun_plot_points_and_svg() -> None:
    from reports.rerun_plot import points, svg

    rows = [
        {"id": "a", "text": "x", "verdict": "reproduced", "kind": "delta", "claimed": 2.0,
         "measured": {"mean": 2.1, "sd": 0.3, "n": 3}},
        {"id": "b", "text": "<y & z>", "verdict": "not reproduced",
         "query": {"kind": "score", "claimed": 80}, "measured": {"mean": 70.0, "sd": None, "n": 1}},
        {"id": "c", "text": "n", "verdict": "reproduced", "kind": "count", "claimed": 150,
         "measured": {"mean": 150, "n": 1}},  # a count: another scale, no point
        {"id": "d", "text": "d", "verdict": "reproduced", "kind": "direction", "claimed": None,
         "measured": {"mean": 1.0, "sd": 0.1, "n": 3}},  # no claimed value
        {"id": "e", "text": "e", "verdict": "not testable here", "kind": "delta", "claimed": 3.0, "measured": None},
        None,
    ]  # fmt: skip
    pts = points(rows)
    assert [p["id"] for p in pts] == ["a", "b"]
    out = str(svg(pts, "T <1>"))
    assert len(POINT.findall(out)) == 2 and "T &lt;1&gt;" in out and "&lt;y &amp; z&gt;" in out
    assert (
        out.count("<line") >= 3
    )  # the y = x line and one error bar (three strokes) for the point with a spread
    assert str(svg([])) == ""
