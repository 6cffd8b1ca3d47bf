"""`assay claims`, `assay verify`, `assay calibrate`, `assay eval verify` end to end (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture()
def chome(tmp_path, corpus_home, monkeypatch) -> Path:
    """A writable copy of the session's ingested corpus home, offline, lexical retrieval only."""
    from synthesis.store import Store

    h = tmp_path / "home"
    h.mkdir()
    src = Store(corpus_home / "assay.sqlite3")
    dst = Store(h / "assay.sqlite3")
    src.conn.backup(dst.conn)
    src.close()
    dst.close()
    monkeypatch.setenv("ASSAY_HOME", str(h))
    monkeypatch.setenv("ASSAY_OFFLINE", "1")
    monkeypatch.setenv("ASSAY_EMBEDDING_MODEL", "none")
    return h


def test_claims_json_and_out(assay, chome, tmp_path):
    out = tmp_path / "claims.jsonl"
    r = assay("claims", "2005.13013", "--json", "--out", str(out))
    assert r.code == 0, r.err
    lines = [json.loads(x) for x in r.out.splitlines()]
    assert lines == [json.loads(x) for x in out.read_text().splitlines()]
    squad = [c for c in lines if "8.4 points" in c["text"]]
    assert squad and squad[0]["page"] == 1 and squad[0]["type"] == "numeric_result"
    assert any(q["value"] == 8.4 and q["unit"] == "points" for q in squad[0]["numbers"])


def test_claims_then_verify_round_trip(assay, chome, tmp_path):
    claims = tmp_path / "claims.jsonl"
    # findings and setup: table facts are checked against table cells, which the sentence verifier does not read
    assert assay("claims", "2005.13013v1", "--kind", "finding,setup", "--out", str(claims)).code == 0
    verdicts = tmp_path / "verdicts.jsonl"
    r = assay("verify", "--claims", str(claims), "--out", str(verdicts))
    assert r.code == 0, r.err
    rows = [json.loads(x) for x in verdicts.read_text().splitlines()]
    n_claims = len(claims.read_text().splitlines())
    assert len(rows) == n_claims
    # A paper's own claims are supported by the paper itself.
    assert sum(v["label"] == "supported" for v in rows) >= 0.9 * n_claims
    from synthesis.papers import get_pages
    from synthesis.store import Store

    with Store(chome / "assay.sqlite3") as store:
        assert store.one("SELECT COUNT(*) n FROM verdicts")["n"] == n_claims
        pages = get_pages(store, "2005.13013v1")
        for v in rows:
            assert set(v) >= {"id", "text", "label", "confidence", "evidence", "reasons"}
            for ev in v["evidence"]:  # every quote verbatim on its page, pinned to version and PDF hash
                assert " ".join(ev["quote"].split()) in " ".join(pages[ev["page"] - 1].split())
                assert ev["version"] == "v1" and len(ev["pdf_sha256"]) == 64
    assert "claims:" in r.err and "supported" in r.err
    assert "lexical retrieval" in r.err  # says that embeddings are off


def test_verify_bad_line_is_exit_2_with_line_number(assay, chome, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "ANLI+ has 1,104,934 training examples."}\n{not json}\n')
    r = assay("verify", "--claims", str(bad), "--out", str(tmp_path / "v.jsonl"))
    assert r.code == 2 and ":2:" in r.err and "line 2" in r.err
    assert not (tmp_path / "v.jsonl").exists()
    nofield = tmp_path / "nofield.jsonl"
    nofield.write_text('{"id": "1"}\n')
    r = assay("verify", "--claims", str(nofield))
    assert r.code == 2 and "text" in r.err


def test_verify_handles_hostile_claims(assay, chome, tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                {"id": "long", "text": "word " * 1000},
                {
                    "id": "fr",
                    "text": "L'entraînement intermédiaire n'améliore pas les performances sur les tâches cibles.",
                },
            ]
        )
        + "\n"
    )
    r = assay("verify", "--claims", str(f), "--papers", "2005.13013v1", "--json")
    assert r.code == 0, r.err
    out = {v["id"]: v for v in map(json.loads, r.out.splitlines())}
    assert all(v["label"] == "not_enough_info" for v in out.values())


def test_claims_of_unknown_paper_is_exit_2(assay, chome):
    r = assay("claims", "9999.99999")
    assert r.code == 2 and "not in the store" in r.err


def test_paper_without_text(assay, home, tmp_path):
    from synthesis.store import Store

    with Store(home / "assay.sqlite3") as store, store.transaction() as conn:
        conn.execute(
            "INSERT INTO papers(id, title, pdf_sha256, n_pages, source) VALUES "
            "('scan', 'A scanned paper', ?, 1, 'local')",
            ("f" * 64,),
        )
        conn.execute("INSERT INTO pages VALUES ('scan', 1, '')")
    r = assay("claims", "scan")
    assert r.code == 2 and "has no text" in r.err
    f = tmp_path / "c.jsonl"
    f.write_text(
        json.dumps({"id": "1", "text": "The model improves accuracy by 3 points.", "paper": "scan"}) + "\n"
    )
    r = assay("verify", "--claims", str(f), "--no-embeddings", "--json")
    assert r.code == 0 and "no stored text" in json.loads(r.out)["reasons"][0]


def test_eval_verify_prints_metrics_and_plot(assay, chome, tmp_path):
    plot = tmp_path / "rel.png"
    r = assay("eval", "verify", str(DATA / "claims_gold.jsonl"), "--plot", str(plot))
    assert r.code == 0, r.err
    assert "macro-F1" in r.out and "ECE" in r.out and "mean conf" in r.out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = assay("eval", "verify", str(DATA / "claims_gold.jsonl"), "--json")
    m = json.loads(r.out)
    assert m["macro_f1"] >= 0.85 and m["ece"] < 0.10 and len(m["reliability"]) == 10


def test_eval_verify_covidfact_sample(assay, chome, shared_dir):
    path = shared_dir / "data" / "covidfact" / "COVIDFACT_dataset.jsonl"
    r = assay("eval", "verify", str(path), "--covidfact", "--limit", "60", "--json")
    assert r.code == 0, r.err
    m = json.loads(r.out)
    assert m["n"] == 60 and m["two_way"] and "supported" in m["f1"]


def test_calibrate_command_stores_parameters(assay, chome):
    r = assay("calibrate", "--papers", "2005.13013v1", "--per-paper", "10", "--no-embeddings", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["generated_examples"] > 10
    from synthesis.store import Store

    with Store(chome / "assay.sqlite3") as store:
        row = store.one("SELECT params FROM calibrations WHERE name = 'verifier'")
    assert row and json.loads(row["params"])["data"]["papers"] == ["2005.13013v1"]


def test_calibrate_from_a_labelled_set_without_papers(assay, home, tmp_path, shared_dir):
    src = (shared_dir / "data" / "covidfact" / "COVIDFACT_dataset.jsonl").read_text().splitlines()[:60]
    f = tmp_path / "labelled.jsonl"
    f.write_text("\n".join(src) + "\n")
    r = assay("calibrate", "--from", str(f), "--no-embeddings", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["gold_examples"] == 60 and data["generated_examples"] == 0
    r = assay("calibrate")
    assert r.code == 2 and "no papers" in r.err


def test_eval_limit_takes_an_evenly_spread_sample(assay, chome, tmp_path):
    """Regression: --help says "evenly spread" but --limit took the first N lines (the gold file ends with all
    its not_enough_info lines, so the head is a biased sample)."""
    gold = [json.loads(x) for x in (DATA / "claims_gold.jsonl").read_text().splitlines() if x.strip()]
    out = tmp_path / "v.jsonl"
    r = assay("eval", "verify", str(DATA / "claims_gold.jsonl"), "--limit", "4", "--out", str(out), "--json")
    assert r.code == 0, r.err
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert ids == [gold[i * len(gold) // 4]["id"] for i in range(4)]
    assert ids[-1] == gold[39]["id"] != gold[3]["id"]


def test_verify_table_shortens_ids_and_marks_cut_text(assay, chome, tmp_path):
    """Regression: full 71-character sha256 ids broke the column alignment and claim texts were cut mid-word at
    80 characters with no sign that they were cut."""
    claims = tmp_path / "c.jsonl"
    long = "Extremely randomized trees build an ensemble of unpruned decision trees by randomizing strongly."
    claims.write_text(json.dumps({"id": "c1", "text": long}) + "\n")
    r = assay("verify", "--claims", str(claims), "--papers", "Extremely randomized trees")
    assert r.code == 0, r.err
    line = r.out.splitlines()[0]
    assert "sha256:4f8c5da12c57 p" in line and "4f8c5da12c57a" not in line
    assert line.endswith("…") and long[:60] in line


def test_help_documents_every_option(assay):
    """Regression: --json and --no-embeddings had no help text in calibrate and eval verify."""
    import re as _re

    for cmd in (("calibrate",), ("eval", "verify"), ("verify",), ("claims",)):
        r = assay(*cmd, "--help")
        assert r.code == 0
        for opt in ("--json", "--no-embeddings"):
            m = _re.search(_re.escape(opt) + r"\s+<bool>\s+(\S.*)", r.out)
            if opt in r.out:
                assert m and m.group(1).strip("│ ").strip(), (cmd, opt)


def test_verify_empty_claims_file_is_exit_2(assay, chome, tmp_path):
    """Regression: an empty claims file exited 0 with "0 claims ... mean confidence 0.00" and wrote nothing useful."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    out = tmp_path / "v.jsonl"
    r = assay("verify", "--claims", str(empty), "--out", str(out))
    assert r.code == 2 and r.err.count("\n") == 1 and "holds no claims" in r.err
    assert not out.exists()


@pytest.mark.parametrize("command", ["claims", "verify", "plot"])
def test_unwritable_output_is_one_line_exit_2(assay, chome, tmp_path, command):
    """Regression: --out / --plot under a path that cannot be written gave an OSError traceback and exit 1."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "out.jsonl"  # a file where a folder should be
    claims = tmp_path / "c.jsonl"
    claims.write_text(
        json.dumps({"id": "1", "text": "SQuAD performs best among the intermediate tasks."}) + "\n"
    )
    if command == "claims":
        r = assay("claims", "2005.13013v1", "--out", str(target))
    elif command == "verify":
        r = assay("verify", "--claims", str(claims), "--out", str(target))
    else:
        r = assay(
            "eval",
            "verify",
            str(DATA / "claims_gold.jsonl"),
            "--limit",
            "2",
            "--plot",
            str(blocker / "r.png"),
        )
    assert r.code == 2, r.err
    assert r.err.startswith("error: ") and "Traceback" not in r.err
    assert r.err.splitlines()[-1].startswith("error: ") and "cannot write" in r.err
    assert list(tmp_path.glob("**/*.tmp*")) == []


def test_claims_file_that_is_a_folder(assay, chome, tmp_path):
    """Regression: a folder given as the claims file was reported as "does not exist"."""
    r = assay("verify", "--claims", str(tmp_path))
    assert r.code == 2 and "is a folder" in r.err
