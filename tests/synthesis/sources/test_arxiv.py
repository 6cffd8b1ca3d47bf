"""The arXiv client against the fake arXiv: ids, lookups, searches, titles, and the API's failure modes."""

from __future__ import annotations

import pytest
from fake_arxiv import error_feed
from hypothesis import given
from hypothesis import strategies as st

from synthesis.errors import AssayError, NetworkError, NetworkForbidden
from synthesis.settings import DEFAULT_ARXIV_API
from synthesis.sources.arxiv import ArxivRecord, ArxivSource, best_title_match, parse_arxiv_id

PHANG = "English Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2005.13013", ("2005.13013", None)),
        ("2005.13013v2", ("2005.13013", "v2")),
        (" arXiv:2005.13013V1 ", ("2005.13013", "v1")),
        ("1501.00001", ("1501.00001", None)),
        ("1412.6980", ("1412.6980", None)),
        ("hep-th/9901001v3", ("hep-th/9901001", "v3")),
        ("https://arxiv.org/abs/2005.13013v2", ("2005.13013", "v2")),
        ("http://export.arxiv.org/pdf/2005.13013v1.pdf", ("2005.13013", "v1")),
    ],
)
def test_ids_are_parsed(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2005",
        "2005.1301",
        "2013.12345",
        "../../etc/passwd",
        "2005.13013v",
        "x/y",
        "2005.13013v2.pdf",
        "https://example.com/abs/2005.13013",
        "1412.69801",
    ],
)
def test_malformed_ids_are_rejected(text):
    with pytest.raises(AssayError, match="not an arXiv id"):
        parse_arxiv_id(text)


@given(st.text(max_size=40))
def test_id_parser_never_crashes_and_never_returns_a_path(text):
    try:
        base, version = parse_arxiv_id(text)
    except AssayError:
        return
    assert ".." not in base and not base.startswith("/") and base.count("/") <= 1
    assert version is None or (version.startswith("v") and version[1:].isdigit())


def test_default_api_address_is_the_real_one_but_tests_use_the_local_server(settings):
    assert DEFAULT_ARXIV_API == "https://export.arxiv.org/api/query"
    assert settings.arxiv_api.startswith("http://127.0.0.1:")


def test_lookup_returns_records_in_order(source, fake_arxiv):
    latest, v1, xlmr = source.lookup(["2005.13013", "2005.13013v1", "arXiv:1911.02116"])
    assert (latest.arxiv_id, latest.version) == ("2005.13013", "v2")
    assert v1.versioned_id == "2005.13013v1"
    assert xlmr.title == "Unsupervised Cross-lingual Representation Learning at Scale"
    assert latest.title == PHANG
    assert latest.authors[:2] == ["Jason Phang", "Iacer Calixto"] and len(latest.authors) == 8
    assert latest.published == "2020-05-26" and latest.updated == "2020-06-12"
    assert latest.doi == "10.18653/v1/2020.aacl-main.56" and xlmr.doi is None
    assert latest.primary_category == "cs.CL"
    assert latest.entry_id == "http://arxiv.org/abs/2005.13013v2"
    assert latest.pdf_url == f"{fake_arxiv.url}/pdf/2005.13013v2"
    assert len(fake_arxiv.api_hits()) == 1  # one request for all ids
    sent = fake_arxiv.api_hits()[0].query
    assert sent["id_list"] == ["2005.13013,2005.13013v1,1911.02116"]


def test_repeated_lookup_makes_no_request(source, settings, store, fake_arxiv):
    source.lookup(["2005.13013"])
    again = ArxivSource(settings, store).lookup(["2005.13013"])
    assert again[0].version == "v2"
    assert len(fake_arxiv.api_hits()) == 1


def test_offline_lookup_uses_the_cache_and_names_the_way_out(source, make_settings, store, fake_arxiv):
    source.lookup(["2005.13013"])
    offline = ArxivSource(make_settings(offline=True), store)
    assert offline.latest_version("2005.13013") == "v2"
    with pytest.raises(NetworkForbidden, match="drop --offline"):
        offline.lookup(["1911.02116"])
    assert len(fake_arxiv.api_hits()) == 1


def test_unknown_id_is_an_error_naming_it(source):
    with pytest.raises(AssayError, match=r"arXiv has no paper 2101\.99999\b"):
        source.lookup(["2005.13013", "2101.99999"])


def test_unknown_version_is_an_error(source):
    with pytest.raises(AssayError, match="2005.13013v7"):
        source.lookup(["2005.13013v7"])


def test_malformed_id_fails_before_any_request(source, fake_arxiv):
    with pytest.raises(AssayError, match="'nonsense' is not an arXiv id"):
        source.lookup(["2005.13013", "nonsense"])
    assert fake_arxiv.hits == []


def test_latest_version(source):
    assert source.latest_version("2005.13013v1") == "v2"
    assert source.latest_version("1911.02116") == "v1"


def test_garbage_answer_is_a_clear_error_and_not_cached(source, fake_arxiv, store):
    fake_arxiv.fault(
        "/api", "body", body=b"\x00\x01 this is not XML at all", headers={"Content-Type": "text/plain"}
    )
    with pytest.raises(NetworkError, match="not an Atom feed"):
        source.lookup(["2005.13013"])
    assert store.one("SELECT COUNT(*) AS n FROM http_cache")["n"] == 0
    assert source.lookup(["2005.13013"])[0].version == "v2"  # the next try asks again


def test_html_answer_is_not_taken_for_a_feed(source, fake_arxiv):
    fake_arxiv.fault("/api", "body", body=b"<html><body>Service unavailable</body></html>")
    with pytest.raises(NetworkError, match="<html> document, not an Atom feed"):
        source.search("transfer")


def test_api_error_entry_becomes_an_error_with_its_message(source, fake_arxiv, store):
    fake_arxiv.fault("/api", "body", body=error_feed("2005.13013"))
    with pytest.raises(AssayError, match="arXiv rejected the request: incorrect id format for 2005.13013"):
        source.lookup(["2005.13013"])
    assert store.one("SELECT COUNT(*) AS n FROM http_cache")["n"] == 0


def test_search_plain_words_become_an_all_fields_query(source, fake_arxiv):
    records = source.search("cross-lingual transfer", max_results=5)
    assert [r.versioned_id for r in records] == ["2005.13013v2"]
    sent = fake_arxiv.api_hits()[0].query
    assert sent["search_query"] == ["all:cross-lingual AND all:transfer"]
    assert sent["max_results"] == ["5"]


def test_search_passes_arxiv_syntax_through(source, fake_arxiv):
    records = source.search('ti:"representation learning" AND au:conneau')
    assert [r.arxiv_id for r in records] == ["1911.02116"]
    assert fake_arxiv.api_hits()[0].query["search_query"] == ['ti:"representation learning" AND au:conneau']


def test_search_with_no_match_is_empty(source):
    assert source.search("quantum chromodynamics") == []


def test_search_pages_through_results_with_the_rate_limit(make_settings, store, fake_arxiv):
    for i in range(5):
        fake_arxiv.add(f"2101.0000{i}", f"Paging study number {i}")
    settings = make_settings(arxiv_delay_seconds=0.1)
    source = ArxivSource(settings, store)
    search = __import__("arxiv").Search(query="all:paging", max_results=5)
    records = source._run(search, page_size=2)  # the arxiv package's own paging: 3 pages
    assert [r.arxiv_id for r in records] == [f"2101.0000{i}" for i in range(5)]
    hits = fake_arxiv.api_hits()
    assert [h.query["start"][0] for h in hits] == ["0", "2", "4"]
    assert min(b.at - a.at for a, b in zip(hits, hits[1:], strict=False)) >= 0.1


def test_bad_search_arguments(source):
    with pytest.raises(AssayError, match="empty search query"):
        source.search("   ")
    with pytest.raises(AssayError, match="max results"):
        source.search("x", max_results=0)


def test_find_by_title_tolerates_small_differences(source):
    found = source.find_by_title(
        "English intermediate task training improves zero-shot cross-lingual transfer too"
    )
    assert found is not None and found.versioned_id == "2005.13013v2"


def test_find_by_title_falls_back_to_words_when_the_phrase_misses(source, fake_arxiv):
    found = source.find_by_title("Representation Learning at Scale, Unsupervised Cross-lingual")
    assert found is not None and found.arxiv_id == "1911.02116"
    queries = [h.query["search_query"][0] for h in fake_arxiv.api_hits()]
    assert queries[0].startswith('ti:"') and " AND ti:" in queries[1] and len(queries) == 2


def test_find_by_title_returns_none_for_a_different_paper(source):
    assert source.find_by_title("Attention is all you need") is None
    assert source.find_by_title("English Intermediate-Task Training") is None  # a prefix is not the paper


def _record(title: str) -> ArxivRecord:
    return ArxivRecord("2101.00001", "v1", title, [], "", "2021-01-01", "2021-01-01", None, "cs.CL", "", "")


def test_best_title_match_threshold():
    records = [_record("Deep Residual Learning for Image Recognition"), _record(PHANG)]
    assert best_title_match(PHANG.upper(), records).title == PHANG
    assert best_title_match("Deep Residual Learning", records) is None
    assert best_title_match(PHANG, []) is None


def test_record_round_trip_dict(source):
    record = source.lookup(["2005.13013v1"])[0]
    d = record.to_dict()
    assert d["id"] == "2005.13013v1" and d["version"] == "v1" and d["authors"][0] == "Jason Phang"
    meta = record.metadata()
    assert meta["source"] == "arxiv" and meta["abstract"].startswith("We study transfer")


def age_cache(store) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE http_cache SET fetched_at = '2001-01-01T00:00:00Z'")


def test_answers_that_can_change_are_refreshed_after_a_week(source, store, fake_arxiv):
    assert source.latest_version("2005.13013") == "v2"
    age_cache(store)
    fake_arxiv.papers["2005.13013"].versions.append("v3")
    assert source.latest_version("2005.13013") == "v3"
    assert len(fake_arxiv.api_hits()) == 2


def test_versioned_lookups_never_expire(source, store, fake_arxiv):
    source.lookup(["2005.13013v1"])
    age_cache(store)
    source.lookup(["2005.13013v1"])
    assert len(fake_arxiv.api_hits()) == 1


def test_stale_answers_serve_offline_and_when_the_refresh_fails(source, make_settings, store, fake_arxiv):
    source.search("transfer")
    age_cache(store)
    assert ArxivSource(make_settings(offline=True), store).search("transfer")[0].arxiv_id == "2005.13013"
    assert len(fake_arxiv.api_hits()) == 1
    fake_arxiv.fault("/api", "status", status=503, times=10)
    assert source.search("transfer")[0].arxiv_id == "2005.13013"
    assert len(fake_arxiv.api_hits()) == 4  # three failed tries, then the stale answer


def test_an_unknown_id_is_asked_again_next_time(source, store, fake_arxiv):
    with pytest.raises(AssayError, match="no paper 2101.00042"):
        source.lookup(["2101.00042"])
    assert store.one("SELECT COUNT(*) AS n FROM http_cache")["n"] == 0
    fake_arxiv.add("2101.00042", "A paper that appeared later")
    assert source.lookup(["2101.00042"])[0].title == "A paper that appeared later"
    assert len(fake_arxiv.api_hits()) == 2
