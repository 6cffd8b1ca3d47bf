"""The store's claim tables: extracted claims and the verdicts `assay verify` gave them.

Every SQL statement on ``claims`` and ``verdicts`` lives here; the CLI decides what to keep.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthesis.store import Store


def save_claims(store: Store, claims: Iterable[dict]) -> None:
    """Store (or replace, by id) claims in their canonical JSON form (``Claim.to_json()``), in one transaction."""
    with store.transaction() as conn:
        for c in claims:
            conn.execute(
                "INSERT OR REPLACE INTO claims(id, paper_id, page_no, span_start, span_end, text, type, data)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    c["id"],
                    c["paper"],
                    c["page"],
                    c["span"][0],
                    c["span"][1],
                    c["text"],
                    c["type"],
                    json.dumps(c, sort_keys=True, ensure_ascii=False),
                ),
            )


def save_verdicts(store: Store, verdicts: Iterable[dict], settings_hash: str) -> None:
    """Record verdicts (``verdicts.jsonl`` objects) with the hash of the settings that produced them, in one
    transaction."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO verdicts(claim_id, claim_text, label, confidence, data, settings_hash) VALUES (?,?,?,?,?,?)",
            [
                (
                    v["id"],
                    v["text"],
                    v["label"],
                    v["confidence"],
                    json.dumps(v, ensure_ascii=False),
                    settings_hash,
                )
                for v in verdicts
            ],
        )
