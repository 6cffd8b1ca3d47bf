"""Papers in, claims and verdicts out: ingestion, text with provenance, claims, evidence, verification."""

__version__ = "0.1.0"
