"""PDFs built with reportlab for the ingestion tests: text papers with known layout, scanned (image-only), encrypted
and truncated ones. Real corpus PDFs come from the root conftest."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PdfFactory:
    """Builds small PDFs whose text we know exactly."""

    def text_pdf(
        self,
        pages: list[list[str]],
        *,
        title: str | None = None,
        authors: str | None = None,
        header: str | None = None,
        page_numbers: bool = True,
    ) -> bytes:
        """One line of 10 pt Helvetica per string; a 16 pt title and 11 pt authors on page 1 when given."""
        from reportlab.lib.pagesizes import letter
        from reportlab.pdfgen import canvas

        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=letter)
        for n, lines in enumerate(pages, start=1):
            y = 740
            if header:
                c.setFont("Helvetica", 8)
                c.drawString(72, 760, header)
            if n == 1 and title:
                c.setFont("Helvetica-Bold", 16)
                c.drawString(72, y, title)
                y -= 24
            if n == 1 and authors:
                c.setFont("Helvetica", 11)
                c.drawString(72, y, authors)
                y -= 24
            c.setFont("Helvetica", 10)
            for line in lines:
                c.drawString(72, y, line)
                y -= 13
            if page_numbers:
                c.setFont("Helvetica", 9)
                c.drawString(300, 40, str(n))
            c.showPage()
        c.save()
        return buf.getvalue()

    def scanned_pdf(self, n_pages: int = 2) -> bytes:
        """Pages with shapes and an image but no text at all (what a scan without OCR looks like)."""
        from PIL import Image
        from reportlab.lib.pagesizes import letter
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen import canvas

        img = Image.new("L", (64, 64), color=200)
        for x in range(64):
            img.putpixel((x, x), 0)
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=letter)
        for _ in range(n_pages):
            c.rect(72, 500, 300, 200, fill=1)
            c.circle(300, 300, 50)
            c.drawImage(ImageReader(img), 100, 100, width=200, height=200)
            c.showPage()
        c.save()
        return buf.getvalue()

    def encrypted_pdf(self, data: bytes, password: str = "secret") -> bytes:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    @staticmethod
    def truncated(data: bytes, fraction: float = 0.6) -> bytes:
        return data[: int(len(data) * fraction)]


@pytest.fixture(scope="session")
def pdfs() -> PdfFactory:
    return PdfFactory()


LOREM_PAGE_1 = [
    "Abstract",
    "We study how the model performs on av-",
    "erage across many tasks, and find that multi-",
    "task training helps. Results in Fig. 2 agree with",
    "those of Smith et al. (2020) and e.g. earlier work.",
    "1 Introduction",
    "Multi-task learning is a well known idea in the",
    "field, and the average model benefits from it. The",
    "method is simple and the evaluation covers the full",
    "benchmark that we describe here in much more de-",
]
LOREM_PAGE_2 = [
    "tail than before. This sentence stays on page two.",
    "2 Results",
    "The results are clear and the gains are consistent",
    "across every language we evaluated in this study.",
]


@pytest.fixture(scope="session")
def small_paper(pdfs: PdfFactory) -> bytes:
    """A two-page paper with a title, authors, an abstract, headings, hyphenation and a sentence across pages."""
    return pdfs.text_pdf(
        [LOREM_PAGE_1, LOREM_PAGE_2],
        title="A Small Test Paper About Averages",
        authors="Ada Lovelace, Alan Turing and Grace Hopper",
        header="Preprint under review",
    )


@pytest.fixture()
def small_paper_file(tmp_path: Path, small_paper: bytes) -> Path:
    p = tmp_path / "small.pdf"
    p.write_bytes(small_paper)
    return p
