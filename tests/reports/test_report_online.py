"""`assay report` online, against the local fake arXiv: the queries it issues, the ranking by relevance to the
question, the top N fetched and ingested, and a second run that issues no request at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

Q000 = (
    "How does the effectiveness of intermediate-task training vary across different language families in the "
    "XTREME benchmark when scaling model size?"
)


@pytest.fixture()
def online_home(corpus_home: Path, tmp_path: Path, fake_arxiv, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    home = tmp_path / "home"
    shutil.copytree(corpus_home, home)
    (home / "config.toml").write_text(
        f'arxiv_api = "{fake_arxiv.api_url}"\narxiv_delay_seconds = 0.01\narxiv_retries = 1\n',
        encoding="utf-8",
    )
    for k, v in {
        "ASSAY_OFFLINE": "0",
        "ASSAY_EMBEDDING_MODEL": "none",
        "ASSAY_VERIFIER_MODEL": "none",
        "SOURCE_DATE_EPOCH": "1780000000",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("ASSAY_ARXIV_API", raising=False)
    return home


def test_online_search_rank_fetch_and_no_request_on_rerun(
    assay,
    online_home: Path,
    fake_arxiv,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    res = assay("--home", str(online_home), "report", "2005.13013v1", "-q", Q000, "--related", "1", "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    meth = rep["methodology"]
    assert meth["mode"] == "online"
    searches = [q for q in meth["queries"] if not q.startswith("id_list:")]
    assert searches == [
        "intermediate-task training XTREME",
        "language families XTREME",
        "model size XTREME",
        "Intermediate-Task Cross-Lingual Zero-Shot",
    ]
    assert "id_list:2003.11080" in meth["queries"]  # a reference of the paper whose title names the question
    api = len(fake_arxiv.api_hits())
    assert api == len(meth["queries"]) + 1  # and one metadata look-up before the download of the paper taken
    cands = meth["candidates"]
    assert cands[0]["title"].startswith("XTREME") and cands[0]["fetched"]
    assert [c["rank"] for c in cands] == list(range(1, len(cands) + 1))
    assert all(a["score"] >= b["score"] for a, b in zip(cands, cands[1:], strict=False))
    assert sum(c["fetched"] for c in cands) == 1  # --related 1
    assert not any("Protein" in c["title"] for c in cands)
    assert len(fake_arxiv.pdf_hits()) == 1
    papers = assay("--home", str(online_home), "papers", "--json")
    assert "2003.11080" in papers.out
    # The fetched paper says nothing on the question (the fake's PDF), so it is not cited.
    assert [r["paper"] for r in rep["references"]] == ["2005.13013v1"]
    hits = len(fake_arxiv.hits)
    again = assay(
        "--home", str(online_home), "report", "2005.13013v1", "-q", Q000, "--related", "1", "--json"
    )
    assert again.code == 0 and json.loads(again.out) == rep
    assert len(fake_arxiv.hits) == hits  # every stage reused: no request
