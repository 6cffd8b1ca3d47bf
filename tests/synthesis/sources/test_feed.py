"""Atom feeds to records, and hostile bodies: property-based (no server needed)."""

from __future__ import annotations

import re

import pytest
from arxiv import _feed
from fake_arxiv import FakeArxiv, error_feed
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.errors import AssayError
from synthesis.sources.arxiv import ArxivRecord, check_feed

# text that XML 1.0 can carry (no control characters, no lone surrogates)
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(
    lambda s: s.strip()
)


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@settings(max_examples=60, deadline=None)
@given(
    title=xml_text,
    authors=st.lists(xml_text, min_size=0, max_size=5),
    summary=xml_text,
    n=st.integers(1, 99999),
    version=st.integers(1, 30),
)
def test_feed_round_trip(title, authors, summary, n, version):
    fake = FakeArxiv()
    fake.url = "http://127.0.0.1:9"
    arxiv_id = f"2101.{n:05d}"
    versions = tuple(f"v{i}" for i in range(1, version + 1))
    fake.add(arxiv_id, title, authors or None, versions=versions, summary=summary)
    body = fake.feed({"id_list": [arxiv_id]})
    check_feed(body)
    (result,) = _feed.parse(body).results
    record = ArxivRecord.from_result(result)
    assert (record.arxiv_id, record.version) == (arxiv_id, f"v{version}")
    assert record.title == norm(title)
    assert record.summary == norm(summary)
    assert record.authors == [norm(a) for a in (authors or ["Ada Lovelace", "Alan Turing"])]
    assert record.pdf_url == f"http://127.0.0.1:9/pdf/{arxiv_id}v{version}"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_hostile_bodies_only_ever_raise_user_errors(body):
    try:
        check_feed(body)
    except AssayError as exc:
        assert "\n" not in str(exc)
        return
    # whatever check_feed accepts must parse without error
    _feed.parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><feed xmlns='http://www.w3.org/2005/Atom'>&a;</feed>",
        b"<rss><channel/></rss>",
    ],
)
def test_broken_or_wrong_documents_are_refused(body):
    with pytest.raises(AssayError):
        check_feed(body)


def test_api_error_entry():
    with pytest.raises(AssayError, match="incorrect id format for 12<34"):
        check_feed(error_feed("12<34"))


def test_empty_feed_is_accepted():
    fake = FakeArxiv()
    body = fake.feed({"id_list": ["2101.00001"]})
    check_feed(body)
    assert _feed.parse(body).results == []


def test_unreadable_dates_and_ids_are_refused_before_caching():
    fake = FakeArxiv()
    fake.add("2101.00001", "A paper")
    good = fake.feed({"id_list": ["2101.00001"]})
    check_feed(good)
    with pytest.raises(AssayError, match="cannot read"):
        check_feed(good.replace(b"<published>2020-05-26", b"<published>2020-02-31"))
    with pytest.raises(AssayError, match="unexpected id"):
        check_feed(
            good.replace(b"<id>http://arxiv.org/abs/2101.00001v1", b"<id>http://arxiv.org/abs/whatever")
        )


def test_real_arxiv_pdf_links_are_fetched_over_https():
    fake = FakeArxiv()
    fake.url = "http://arxiv.org"  # the real feeds' links: http://arxiv.org/pdf/<id><version>
    fake.add("2005.13013", "A paper")
    (result,) = _feed.parse(fake.feed({"id_list": ["2005.13013"]})).results
    assert ArxivRecord.from_result(result).pdf_url == "https://arxiv.org/pdf/2005.13013v1"
