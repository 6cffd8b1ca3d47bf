-- Papers, their pages and passages with character offsets into the stored page text.
CREATE TABLE papers (
    id            TEXT PRIMARY KEY,            -- "2005.13013v1" when the arXiv id and version are known, else "sha256:<hex>"
    arxiv_id      TEXT,                        -- without version, e.g. "2005.13013"
    version       TEXT,                        -- e.g. "v1"
    doi           TEXT,
    title         TEXT NOT NULL DEFAULT '',
    authors       TEXT NOT NULL DEFAULT '[]',  -- JSON list of names
    published     TEXT,                        -- ISO date
    updated       TEXT,
    abstract      TEXT NOT NULL DEFAULT '',
    pdf_sha256    TEXT NOT NULL,
    n_pages       INTEGER NOT NULL,
    source        TEXT NOT NULL,               -- 'local' | 'arxiv'
    meta          TEXT NOT NULL DEFAULT '{}',  -- JSON: extraction settings hash, tool version, anything else
    ingested_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
CREATE UNIQUE INDEX papers_sha ON papers(pdf_sha256);
CREATE INDEX papers_arxiv ON papers(arxiv_id, version);

CREATE TABLE pages (
    paper_id  TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    page_no   INTEGER NOT NULL,                -- 1-based
    text      TEXT NOT NULL,                   -- cleaned page text; every offset below points into it
    PRIMARY KEY (paper_id, page_no)
);

CREATE TABLE sections (
    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    number     TEXT,                           -- "3.1", "A", or NULL
    title      TEXT NOT NULL,
    page_no    INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    PRIMARY KEY (paper_id, idx)
);

CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,               -- order within the paper
    kind       TEXT NOT NULL,                  -- 'sentence' | 'abstract' | 'caption' | ...
    section    TEXT,                           -- title of the enclosing section
    page_no    INTEGER NOT NULL,
    char_start INTEGER NOT NULL,               -- offsets into pages.text of (paper_id, page_no)
    char_end   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    UNIQUE (paper_id, idx)
);
CREATE INDEX passages_paper ON passages(paper_id, page_no);

CREATE TABLE refs (
    paper_id  TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    raw       TEXT NOT NULL,
    title     TEXT,
    authors   TEXT,                            -- JSON list
    year      INTEGER,
    arxiv_id  TEXT,
    doi       TEXT,
    PRIMARY KEY (paper_id, idx)
);

-- Network responses (Atom feeds, metadata), keyed by the full request URL.
CREATE TABLE http_cache (
    url         TEXT PRIMARY KEY,
    status      INTEGER NOT NULL,
    body        BLOB NOT NULL,
    fetched_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);

-- Sentence embeddings, keyed by model and text hash.
CREATE TABLE embeddings (
    model       TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dim         INTEGER NOT NULL,
    vector      BLOB NOT NULL,                 -- float32 little-endian
    PRIMARY KEY (model, text_sha256)
);

CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    paper_id    TEXT REFERENCES papers(id) ON DELETE CASCADE,
    page_no     INTEGER,
    span_start  INTEGER,
    span_end    INTEGER,
    text        TEXT NOT NULL,
    type        TEXT,
    data        TEXT NOT NULL DEFAULT '{}',    -- canonical JSON of the claim
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);

CREATE TABLE verdicts (
    id            INTEGER PRIMARY KEY,
    claim_id      TEXT NOT NULL,
    claim_text    TEXT NOT NULL,
    label         TEXT NOT NULL CHECK (label IN ('supported','refuted','not_enough_info')),
    confidence    REAL NOT NULL,
    data          TEXT NOT NULL,               -- canonical JSON of the verdict
    settings_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);

CREATE TABLE calibrations (
    name        TEXT PRIMARY KEY,
    params      TEXT NOT NULL,                 -- JSON
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);

-- Replication runs and their per-language metrics, indexed from the run-result JSON files.
CREATE TABLE runs (
    id          TEXT PRIMARY KEY,              -- lineage hash
    plan        TEXT,
    status      TEXT NOT NULL,
    result_path TEXT,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);

CREATE TABLE results (
    run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task      TEXT NOT NULL,
    language  TEXT NOT NULL,
    metric    TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (run_id, task, language, metric)
);

-- Generated and audited reports, as canonical JSON.
CREATE TABLE reports (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,                 -- 'audit' | 'report'
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
