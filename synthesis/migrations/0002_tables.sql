-- Tables of papers with their structure (synthesis/tables.py): one row per table, one per data cell.
CREATE TABLE paper_tables (
    paper_id   TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,               -- order within the paper
    label      TEXT NOT NULL,                  -- "Table 2"; '' when no caption names it
    caption    TEXT NOT NULL,
    page_no    INTEGER NOT NULL,
    bbox       TEXT,                           -- JSON [x0, top, x1, bottom] in PDF points, top-left origin
    method     TEXT NOT NULL,                  -- 'rules' | 'whitespace' | 'xml'
    row_paths  TEXT NOT NULL,                  -- JSON: header path of each body row, outer group first
    col_paths  TEXT NOT NULL,                  -- JSON: header path of each column, one entry per header row
    key_level  INTEGER NOT NULL,               -- the header row that names the columns
    PRIMARY KEY (paper_id, idx)
);

CREATE TABLE table_cells (
    paper_id    TEXT NOT NULL,
    table_idx   INTEGER NOT NULL,
    row_idx     INTEGER NOT NULL,
    col_idx     INTEGER NOT NULL,
    text        TEXT NOT NULL,                 -- as printed
    row_headers TEXT NOT NULL,                 -- JSON list, outer first
    col_headers TEXT NOT NULL,                 -- JSON list, top first
    kind        TEXT NOT NULL,                 -- 'number' | 'pair' | 'range' | 'empty' | 'text'
    value       REAL,                          -- the (first) value; NULL unless numeric
    signed      INTEGER NOT NULL DEFAULT 0,    -- printed with an explicit sign (a delta)
    bold        INTEGER NOT NULL DEFAULT 0,
    underline   INTEGER NOT NULL DEFAULT 0,
    bbox        TEXT,                          -- JSON [x0, top, x1, bottom]
    char_start  INTEGER,                       -- offsets of text in pages.text of (paper_id, page), when found
    char_end    INTEGER,
    PRIMARY KEY (paper_id, table_idx, row_idx, col_idx),
    FOREIGN KEY (paper_id, table_idx) REFERENCES paper_tables(paper_id, idx) ON DELETE CASCADE
);
CREATE INDEX table_cells_value ON table_cells(paper_id, value);

-- That a paper's tables were extracted (also when it has none), so papers ingested before tables existed are
-- extracted once, lazily.
CREATE TABLE table_extractions (
    paper_id     TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
    extractor    TEXT NOT NULL,                -- e.g. "pdfplumber 0.11.10 / tables 1"
    n_tables     INTEGER NOT NULL,
    seconds      REAL,
    error        TEXT,                         -- why extraction failed, when it did (the paper is still usable)
    extracted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
);
