"""A local stand-in for arXiv (API feeds and PDFs) on 127.0.0.1, with scripted faults, and a guard that refuses
every connection that is not to 127.0.0.1.

The feeds follow the real API's shape (Atom with the opensearch and arxiv namespaces, entry ids like
``http://arxiv.org/abs/2005.13013v2``, a ``pdf`` link per entry); only the PDF links point at this server.
"""

from __future__ import annotations

import functools
import io
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

FEED_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/{feed_id}</id>
  <title>arXiv Query: {query}</title>
  <updated>2026-11-21T00:00:00Z</updated>
  <link href={self_link} type="application/atom+xml"/>
  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
{entries}</feed>
"""

ENTRY_TEMPLATE = """  <entry>
    <id>http://arxiv.org/abs/{vid}</id>
    <title>{title}</title>
    <updated>{updated}T17:59:46Z</updated>
    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>
    <link href={pdf} rel="related" type="application/pdf" title="pdf"/>
    <summary>{summary}</summary>
    <category term="{category}" scheme="http://arxiv.org/schemas/atom"/>
    <published>{published}T17:58:16Z</published>
    <arxiv:primary_category term="{category}"/>
{doi}{authors}  </entry>
"""

ERROR_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" \
xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/errors</id>
  <title>arXiv Query: error</title>
  <updated>2026-11-21T00:00:00Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_{bad}</id>
    <title>Error</title>
    <summary>incorrect id format for {bad}</summary>
    <updated>2026-11-21T00:00:00Z</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_{bad}" rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>
"""


@functools.lru_cache(maxsize=64)
def make_pdf(title: str, pages: int = 2) -> bytes:
    """A real PDF (reportlab) with a title and a few sentences on each page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(title)
    for page in range(1, pages + 1):
        y = 800
        if page == 1:
            c.setFont("Helvetica-Bold", 14)
            c.drawString(60, y, title)
            y -= 30
        c.setFont("Helvetica", 10)
        for i in range(12):
            c.drawString(
                60, y, f"Sentence {i + 1} on page {page} says that intermediate training helps transfer."
            )
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


@dataclass
class FakePaper:
    arxiv_id: str
    title: str
    authors: list[str]
    versions: list[str]
    summary: str = "We study transfer. Intermediate-task training helps."
    published: str = "2020-05-26"
    category: str = "cs.CL"
    doi: str | None = None
    pdfs: dict[str, bytes] = field(default_factory=dict)

    def pdf(self, version: str) -> bytes:
        if version not in self.pdfs:
            self.pdfs[version] = make_pdf(f"{self.title} ({version})")
        return self.pdfs[version]


@dataclass
class Fault:
    """One scripted misbehaviour for requests whose path starts with ``path``; used ``times`` times."""

    path: str
    kind: str  # status | slow | truncate | body | reset | no_length | slow_body
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    at: float  # time.monotonic() when the request arrived
    client: str


class FakeArxiv:
    """The server's state: papers, the request log and the pending faults."""

    def __init__(self) -> None:
        self.papers: dict[str, FakePaper] = {}
        self.hits: list[Hit] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.pdf_started = threading.Event()
        self.url = ""

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/query"

    def add(
        self,
        arxiv_id: str,
        title: str,
        authors: list[str] | None = None,
        versions: tuple[str, ...] = ("v1",),
        **kw: object,
    ) -> FakePaper:
        paper = FakePaper(
            arxiv_id, title, list(authors or ["Ada Lovelace", "Alan Turing"]), list(versions), **kw
        )
        self.papers[arxiv_id] = paper
        return paper

    def fault(self, path: str, kind: str, **kw: object) -> Fault:
        f = Fault(path, kind, **kw)
        with self.lock:
            self.faults.append(f)
        return f

    def api_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.path.startswith("/api")]

    def pdf_hits(self) -> list[Hit]:
        return [h for h in self.hits if h.path.startswith("/pdf")]

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.times > 0 and path.startswith(f.path):
                    f.times -= 1
                    return f
        return None

    # -- feeds ---------------------------------------------------------------------------------------------------
    def entry(self, paper: FakePaper, version: str) -> str:
        vnum = int(version[1:])
        updated = f"2020-{min(12, 4 + vnum):02d}-{min(28, 10 + vnum):02d}"
        doi = f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>\n" if paper.doi else ""
        authors = "".join(
            f"    <author>\n      <name>{escape(a)}</name>\n    </author>\n" for a in paper.authors
        )
        return ENTRY_TEMPLATE.format(
            vid=f"{paper.arxiv_id}{version}",
            title=escape(paper.title),
            updated=updated,
            pdf=quoteattr(f"{self.url}/pdf/{paper.arxiv_id}{version}"),
            summary=escape(paper.summary),
            category=paper.category,
            published=paper.published,
            doi=doi,
            authors=authors,
        )

    def feed(self, query: dict[str, list[str]]) -> bytes:
        ids = [i for i in query.get("id_list", [""])[0].split(",") if i]
        search = query.get("search_query", [""])[0]
        start = int(query.get("start", ["0"])[0])
        per_page = int(query.get("max_results", ["10"])[0])
        found: list[tuple[FakePaper, str]] = []
        if ids:
            for i in ids:
                m = re.fullmatch(r"(.+?)(v\d+)?", i)
                paper = self.papers.get(m.group(1))
                if paper is None:
                    continue
                version = m.group(2) or paper.versions[-1]
                if version in paper.versions:
                    found.append((paper, version))
        elif search:
            found = [(p, p.versions[-1]) for p in self.papers.values() if matches(search, p)]
        page = found[start : start + per_page]
        entries = "".join(self.entry(p, v) for p, v in page)
        text = FEED_TEMPLATE.format(
            feed_id="fake",
            query=escape(search or ",".join(ids)),
            self_link=quoteattr(f"{self.api_url}?fake"),
            per_page=len(page),
            total=len(found),
            start=start,
            entries=entries,
        )
        return text.encode("utf-8")


def matches(query: str, paper: FakePaper) -> bool:
    """A small subset of arXiv query syntax: field:"phrase" / field:word terms joined by AND (OR treated as AND)."""
    title = paper.title.lower()
    everything = f"{title} {paper.summary.lower()} {' '.join(paper.authors).lower()}"
    for field_name, phrase, word in re.findall(r'(?:(\w+):)?(?:"([^"]*)"|([^\s"]+))', query):
        term = (phrase or word).lower()
        if term in ("and", "or", "andnot") and not field_name:
            continue
        haystack = title if field_name == "ti" else everything
        if term not in re.sub(r"[^\w\s]", " ", haystack) and term not in haystack:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeArxiv/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    @property
    def fake(self) -> FakeArxiv:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self.fake.hits.append(
            Hit(parts.path, parse_qs(parts.query), time.monotonic(), self.client_address[0])
        )
        fault = self.fake.take_fault(parts.path)
        try:
            if fault is not None and self.misbehave(fault, parts.path):
                return
            if parts.path == "/api/query":
                self.send(200, self.fake.feed(parse_qs(parts.query)), "application/atom+xml; charset=utf-8")
            elif parts.path.startswith("/pdf/"):
                self.serve_pdf(parts.path[len("/pdf/") :], fault)
            else:
                self.send(404, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def pdf_bytes(self, vid: str) -> bytes | None:
        m = re.fullmatch(r"(.+?)(v\d+)", vid)
        paper = self.fake.papers.get(m.group(1)) if m else None
        if paper is None or m.group(2) not in paper.versions:
            return None
        return paper.pdf(m.group(2))

    def serve_pdf(self, vid: str, fault: Fault | None) -> None:
        data = self.pdf_bytes(vid)
        if data is None:
            self.send(404, b"no such paper", "text/plain")
            return
        self.fake.pdf_started.set()
        if fault is not None and fault.kind == "slow_body":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            steps = 20
            size = len(data) // steps + 1
            for i in range(0, len(data), size):
                self.wfile.write(data[i : i + size])
                self.wfile.flush()
                time.sleep(fault.seconds / steps)
            return
        self.send(200, data, "application/pdf")

    def misbehave(self, fault: Fault, path: str) -> bool:
        """Act out a fault; True when the response is complete."""
        if fault.kind == "status":
            self.send(fault.status, fault.body or b"busy", "text/plain", fault.headers)
        elif fault.kind == "slow":
            time.sleep(fault.seconds)
            return False
        elif fault.kind == "body":
            self.send(200, fault.body, fault.headers.get("Content-Type", "application/pdf"))
        elif fault.kind == "truncate":
            data = fault.body or (
                self.pdf_bytes(path.rsplit("/", 1)[-1]) if path.startswith("/pdf/") else b""
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_hard()
        elif fault.kind == "reset":
            self.close_hard()
        elif fault.kind == "no_length":
            data = fault.body or self.pdf_bytes(path.rsplit("/", 1)[-1]) or b""
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
        elif fault.kind == "slow_body":
            return False  # handled by serve_pdf
        else:
            raise ValueError(f"unknown fault kind {fault.kind}")
        return True

    def close_hard(self) -> None:
        """Drop the connection (RST) mid-response."""
        import struct

        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def start_server(fake: FakeArxiv) -> tuple[_Server, threading.Thread]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake  # type: ignore[attr-defined]
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


# -- the network guard -------------------------------------------------------------------------------------------
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


class NetworkGuard:
    """Refuses (and records) any connection or name lookup that is not for 127.0.0.1."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self.violations: list[str] = []

    def install(self, monkeypatch) -> None:  # noqa: ANN001
        original_connect = socket.socket.connect
        original_getaddrinfo = socket.getaddrinfo
        guard = self

        def connect(sock: socket.socket, address: object) -> object:
            host = address[0] if isinstance(address, tuple) else str(address)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                guard.connections.append(str(host))
                if host not in LOCAL_HOSTS:
                    guard.violations.append(f"connect {host}")
                    raise ConnectionRefusedError(f"test network guard: no connections to {host}")
            return original_connect(sock, address)

        def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in LOCAL_HOSTS:
                guard.violations.append(f"resolve {name}")
                raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no lookups of {name}")
            return original_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# Prepended to `python -c` for subprocess runs of the CLI: the same guard, without pytest.
SUBPROCESS_GUARD = """
import socket, sys
_connect = socket.socket.connect
_getaddrinfo = socket.getaddrinfo
def connect(sock, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        raise ConnectionRefusedError("test network guard: no connections to %s" % host)
    return _connect(sock, address)
def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in ("127.0.0.1", "::1", "localhost"):
        raise socket.gaierror(socket.EAI_NONAME, "test network guard: no lookups of %s" % name)
    return _getaddrinfo(host, *args, **kwargs)
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
from reports.cli import main
main(sys.argv[1:])
"""


def error_feed(bad: str) -> bytes:
    return ERROR_FEED.format(bad=escape(bad)).encode()
