"""`assay batch`: manifests (CSV, YAML, hostile input), a batch of real audits with one broken item, resuming an
interrupted batch to byte-identical outputs, re-rendering without recomputing, and the audit dashboard."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.batch.manifest import FIELDS, read_manifest
from synthesis.errors import AssayError

REPO = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------------------------------
# manifests


def test_csv_manifest_defaults_paths_and_ids(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("x")
    m = tmp_path / "m.csv"
    m.write_text("kind,paper,question,report,formats\n"
                 "audit,2005.13013v1,,r.txt,\n"
                 ",,,,\n"
                 "report,2005.13013v1,Does it help?,,\"md, html\"\n")  # fmt: skip
    a, r = read_manifest(m)
    assert a.kind == "audit" and a.report == str(tmp_path / "r.txt") and a.formats == ("txt", "html")
    assert r.formats == ("md", "html") and r.question == "Does it help?" and a.line == 2 and r.line == 4
    assert a.id.startswith("audit-r-") and a.id == read_manifest(m)[0].id  # stable across reads
    m.write_text('kind,paper,question,report,formats\nreport,2005.13013v1,Does it help?,,"md, html"\n')
    assert read_manifest(m)[0].id == r.id  # the line moved, the item is the same


def test_yaml_manifest(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text("items:\n  - kind: report\n    paper: 2005.13013v1\n    question: Why?\n"
                 "  - {kind: audit, report: /abs/r.md, formats: json}\n")  # fmt: skip
    r, a = read_manifest(m)
    assert r.kind == "report" and a.report == "/abs/r.md" and a.formats == ("json",)


@pytest.mark.parametrize(("text", "message"), [
    ("kind,paper,questoin\nreport,p,q\n", "m.csv line 2: unknown field 'questoin' (did you mean 'question'?)"),
    ("kind,paper,question\nreprot,p,q\n", "m.csv line 2: unknown kind 'reprot' (did you mean 'report'?)"),
    ("kind,paper,question\nreport,p,\n", "m.csv line 2: a report item needs a question"),
    ("kind,report\naudit,\n", "m.csv line 2: an audit item needs 'report'"),
    ("kind,report,template\naudit,r.txt,t.html.j2\n", "'template' applies to report items"),
    ("kind,report,formats\naudit,r.txt,pdf\n", "format 'pdf' is not one of"),
    ("kind,report\naudit,r.txt\naudit,r.txt\n", "m.csv line 3: the same item as line 2"),
    ("kind,paper\nreport,p,extra\n", "more values than fields"),
    ("", "empty manifest"),
])  # fmt: skip
def test_manifest_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(AssayError, match=None) as err:
        read_manifest(m)
    assert message in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=8), min_size=1, max_size=5),
       st.lists(st.sampled_from([*FIELDS, "bogus", ""]), min_size=1, max_size=8))  # fmt: skip
def test_hostile_csv_gives_items_or_one_clear_error(tmp_path_factory, rows, header) -> None:  # noqa: ANN001
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    m = tmp_path_factory.mktemp("h") / "m.csv"
    m.write_text(buf.getvalue())
    try:
        items = read_manifest(m)
    except AssayError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert items and all(it.kind in ("report", "audit") and it.formats for it in items)


# ----------------------------------------------------------------------------------------------------------------
# running batches (real audits, each in its own assay process; rules-only verifier for speed)


@pytest.fixture()
def batch_env(corpus_home: Path, tmp_path: Path, data_reports: Path) -> dict:
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    reports = tmp_path / "reports"
    reports.mkdir()
    for i in range(5):  # five reports to audit (the clean test report under five names)
        shutil.copy(data_reports / "clean.txt", reports / f"r{i}.txt")
    (reports / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF")
    lines = ["kind,paper,report,formats"] + [
        f'audit,2005.13013v1,reports/r{i}.txt,"txt,html"' for i in range(5)
    ]
    lines.append("audit,2005.13013v1,reports/broken.pdf,")
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "ASSAY_VERIFIER_MODEL": "none", "ASSAY_EMBEDDING_MODEL": "none",
           "PYTHONPATH": str(REPO)}  # fmt: skip
    return {"home": home, "manifest": tmp_path / "m.csv", "env": env, "tmp": tmp_path}


def _batch(
    b: dict, out: Path, *extra: str, wait: bool = True
) -> subprocess.CompletedProcess | subprocess.Popen:
    cmd = [sys.executable, "-m", "reports.cli", "--home", str(b["home"]), "--offline", "batch", str(b["manifest"]),
           "--out", str(out), "--workers", "2", *extra]  # fmt: skip
    if not wait:
        return subprocess.Popen(cmd, env=b["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)  # fmt: skip
    return subprocess.run(cmd, env=b["env"], capture_output=True, text=True, timeout=300)


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.parent != out and not p.parent.name.startswith("_")}  # fmt: skip


def test_batch_of_audits_one_broken_item_fails_alone(batch_env: dict) -> None:
    out = batch_env["tmp"] / "out"
    r = _batch(batch_env, out, "--json")
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)
    status = {o["label"]: o for o in summary["items"]}
    assert [o["status"] for o in summary["items"]] == ["done"] * 5 + ["failed"]
    assert "corrupt PDF" in status["audit broken.pdf"]["reason"]
    assert "[6/6]" in r.stderr  # a line per item when not a terminal
    for o in summary["items"][:5]:
        item = out / o["id"]
        record = json.loads((item / "item.json").read_text())
        assert set(record["outputs"]) == {
            f"{o['label'].split()[1][:-4]}.audit.{f}" for f in ("txt", "html", "json")
        }
    dash = json.loads((out / "dashboard.json").read_text())
    assert dash["overall"]["reports"] == 5 and dash["overall"]["claims"] == 5 * dash["reports"][0]["claims"]
    assert (
        "<table>" in (out / "dashboard.html").read_text()
        and (out / "dashboard.csv").read_text().count("\n") == 6
    )
    assert (out / "_failed").is_dir()

    again = _batch(batch_env, out, "--json")  # finished items are never redone; the broken one is tried again
    assert [o["status"] for o in json.loads(again.stdout)["items"]] == ["skipped"] * 5 + ["failed"]

    before = _tree(out)
    (out / "custom").mkdir()
    tpl = out / "custom" / "mine.txt.j2"
    tpl.write_text("{{ report.title }} | {{ summary.n_findings }} findings\n")
    rr = _batch(batch_env, out, "--regenerate", "--template", str(tpl))
    assert rr.returncode == 0 and "re-rendered 5 file(s)" in rr.stdout, rr.stderr
    first = next(p for p in out.glob("audit-r0-*/r0.audit.txt"))
    assert "findings" in first.read_text() and first.read_bytes() != before[str(first.relative_to(out))]
    assert all(before[k] == v for k, v in _tree(out).items() if k.endswith(".json") and "item.json" not in k)


def test_interrupted_batch_resumes_to_identical_outputs(batch_env: dict) -> None:
    """Killed half-way (SIGKILL to the whole process group), then rerun: every output exactly once and byte-identical
    to an uninterrupted batch run with the same time stamp."""
    ref, cut = batch_env["tmp"] / "ref", batch_env["tmp"] / "cut"
    for out in (ref, cut):
        out.mkdir()
        (out / "batch.json").write_text(json.dumps({"source_date_epoch": "1764806400"}))
    assert _batch(batch_env, ref).returncode == 1
    proc = _batch(batch_env, cut, wait=False)
    deadline = time.time() + 240
    while time.time() < deadline and len([p for p in cut.iterdir() if p.name.startswith("audit-")]) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = [p.name for p in cut.iterdir() if p.name.startswith("audit-")]
    assert 2 <= len(done_at_kill) < 5, done_at_kill
    r = _batch(batch_env, cut, "--json")
    statuses = [o["status"] for o in json.loads(r.stdout)["items"]]
    assert statuses.count("skipped") >= len(done_at_kill) and statuses[-1] == "failed"
    assert not list(cut.glob(".*.partial-*"))
    assert _tree(cut) == _tree(ref)


@pytest.mark.slow
def test_batch_on_ray(batch_env: dict) -> None:
    """The same batch with --executor ray: one Ray task per item, the same outputs as the local pool's."""
    pytest.importorskip("ray")
    ref, on_ray = batch_env["tmp"] / "ref", batch_env["tmp"] / "ray"
    for out in (ref, on_ray):
        out.mkdir()
        (out / "batch.json").write_text(json.dumps({"source_date_epoch": "1764806400"}))
    assert _batch(batch_env, ref).returncode == 1
    r = _batch(batch_env, on_ray, "--executor", "ray", "--json")
    assert r.returncode == 1, r.stderr
    assert [o["status"] for o in json.loads(r.stdout)["items"]] == ["done"] * 5 + ["failed"]
    assert _tree(on_ray) == _tree(ref)


# twenty questions about the stored paper, for a batch of report items
QUESTIONS = [
    "Does English intermediate-task training improve zero-shot cross-lingual transfer?",
    "Which intermediate tasks help XTREME the most?",
    "Does training on SQuAD as an intermediate task help question answering in other languages?",
    "Is MNLI a useful intermediate task for cross-lingual transfer?",
    "Does intermediate-task training hurt any XTREME task?",
    "How much does XLM-R improve with intermediate-task training?",
    "Does multi-task intermediate training beat the best single intermediate task?",
    "Are the gains consistent across languages?",
    "Does intermediate training help sentence retrieval tasks such as BUCC and Tatoeba?",
    "Does translating the intermediate task data help?",
    "Which target tasks benefit least from intermediate-task training?",
    "Does CommonsenseQA help as an intermediate task?",
    "Does intermediate-task training help part-of-speech tagging?",
    "Does intermediate-task training help named entity recognition?",
    "How do the results compare with the XTREME baselines?",
    "Does HellaSwag help zero-shot cross-lingual transfer?",
    "Is intermediate-task training with QQP beneficial?",
    "Does the choice of random seed change the conclusions?",
    "Does intermediate training help PAWS-X?",
    "Do the gains hold for low-resource languages?",
]  # fmt: skip


@pytest.mark.slow
def test_interrupted_batch_of_reports_resumes_to_identical_outputs(batch_env: dict) -> None:
    """Twenty report items on the stored paper and one on a broken PDF, killed half-way (SIGKILL to the process
    group) and rerun: every output exactly once and byte-identical to an uninterrupted run; the broken item fails
    alone, with its reason in the summary."""
    tmp = batch_env["tmp"]
    lines = ["kind,paper,question,formats"] + [f'report,2005.13013v1,"{q}","json,md"' for q in QUESTIONS]
    broken_line = 'report,reports/broken.pdf,"What does the broken paper find?","json,md"'
    lines.insert(12, broken_line)  # the twelfth item, in the middle
    (tmp / "reports.csv").write_text("\n".join(lines) + "\n")
    b = {**batch_env, "manifest": tmp / "reports.csv"}
    items = read_manifest(b["manifest"])
    assert len(items) == 21 and len({it.id for it in items}) == 21
    ref, cut = tmp / "ref", tmp / "cut"
    for out in (ref, cut):
        out.mkdir()
        (out / "batch.json").write_text(json.dumps({"source_date_epoch": "1764806400"}))

    r = _batch(b, ref, "--json")
    assert r.returncode == 1, r.stderr
    statuses = [o["status"] for o in json.loads(r.stdout)["items"]]
    assert statuses == ["done"] * 11 + ["failed"] + ["done"] * 9

    proc = _batch(b, cut, wait=False)
    deadline = time.time() + 400
    while time.time() < deadline and len([p for p in cut.iterdir() if p.name.startswith("report-")]) < 8:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = [p.name for p in cut.iterdir() if p.name.startswith("report-")]
    assert 8 <= len(done_at_kill) < 20, done_at_kill

    r = _batch(b, cut, "--json")
    assert r.returncode == 1, r.stderr
    summary = json.loads(r.stdout)["items"]
    assert [o["id"] for o in summary] == [it.id for it in items]
    statuses = [o["status"] for o in summary]
    assert statuses.count("skipped") >= len(done_at_kill)
    assert statuses.count("done") + statuses.count("skipped") == 20
    broken = summary[11]
    assert broken["status"] == "failed" and "broken.pdf" in broken["label"]
    assert "corrupt PDF" in broken["reason"] and broken["reason"] == json.loads(
        (cut / "summary.json").read_text())["items"][11]["reason"]  # fmt: skip
    assert (cut / "_failed" / f"{broken['id']}.log").is_file() and not (cut / broken["id"]).exists()

    assert not list(cut.glob(".*.partial-*"))
    folders = sorted(p.name for p in cut.iterdir() if p.name.startswith("report-"))
    assert folders == sorted(it.id for i, it in enumerate(items) if i != 11)  # every item exactly once
    for name in folders:
        assert sorted(p.name for p in (cut / name).iterdir()) == ["item.json", "report.json", "report.md"]
    tree = _tree(cut)
    assert len(tree) == 20 * 3 and tree == _tree(ref)
