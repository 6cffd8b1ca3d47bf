"""Where assay keeps its data and which settings are in force.

Precedence: command-line flag, then environment (ASSAY_HOME, ASSAY_OFFLINE, ASSAY_ARXIV_API,
ASSAY_EMBEDDING_MODEL, ASSAY_NLI_MODEL, ASSAY_VERIFIER_MODEL), then ``config.toml`` in the home folder, then defaults.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from synthesis.errors import AssayError

DEFAULT_ARXIV_API = "https://export.arxiv.org/api/query"
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

_TRUE = {"1", "true", "yes", "on"}


def default_home() -> Path:
    """The platform-conventional data folder (e.g. ~/.local/share/assay on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("assay", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Every knob that changes what assay does; hashed into artifacts that depend on it."""

    home: Path = field(default_factory=default_home)
    offline: bool = False
    arxiv_api: str = DEFAULT_ARXIV_API
    arxiv_delay_seconds: float = 3.0
    arxiv_retries: int = 4
    http_timeout_seconds: float = 30.0
    max_pdf_bytes: int = 50 * 1024 * 1024
    embedding_model: str | None = DEFAULT_EMBEDDING_MODEL
    nli_model: str | None = None
    verifier_model: str | None = (
        None  # None: the cross-encoder shipped in synthesis/data/verifier; "none": rules only
    )

    @property
    def db_path(self) -> Path:
        return self.home / "assay.sqlite3"

    @property
    def pdf_cache(self) -> Path:
        return self.home / "pdfs"

    def hash(self, *names: str) -> str:
        """A short stable hash of the named settings (all when none are named)."""
        data = {k: str(v) for k, v in asdict(self).items() if not names or k in names}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def load_settings(
    home: str | Path | None = None, offline: bool | None = None, **overrides: object
) -> Settings:
    """Resolve settings from flags, environment and the home folder's config.toml."""
    home_path = Path(home or os.environ.get("ASSAY_HOME") or default_home()).expanduser()
    values: dict[str, object] = {}
    config = home_path / "config.toml"
    if config.is_file():
        try:
            values.update(tomllib.loads(config.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AssayError(f"{config} is not valid TOML ({exc}); fix or delete it") from exc
    env = {
        "offline": os.environ.get("ASSAY_OFFLINE"),
        "arxiv_api": os.environ.get("ASSAY_ARXIV_API"),
        "embedding_model": os.environ.get("ASSAY_EMBEDDING_MODEL"),
        "nli_model": os.environ.get("ASSAY_NLI_MODEL"),
        "verifier_model": os.environ.get("ASSAY_VERIFIER_MODEL"),
    }
    values.update({k: v for k, v in env.items() if v is not None})
    if offline is not None:
        values["offline"] = offline
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise AssayError(
            f"unknown setting(s) {', '.join(unknown)} in {config}; known: {', '.join(sorted(known))}"
        )
    clean: dict[str, object] = {}
    for key, value in values.items():
        default = getattr(Settings(home=home_path), key)
        if isinstance(default, bool):
            clean[key] = value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
        elif isinstance(default, int | float) and not isinstance(value, int | float):
            clean[key] = type(default)(value)
        elif key in ("embedding_model", "nli_model") and str(value).strip().lower() in ("", "none", "off"):
            clean[key] = None
        else:
            clean[key] = value
    return replace(Settings(home=home_path), **clean)
