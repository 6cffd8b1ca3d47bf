"""Where a model named by the user comes from: a local folder, the local hub cache, or the hub itself.

Loading a hub name with no route to the hub makes huggingface_hub retry for a minute or more and print a wall of
warnings. Resolving first keeps that out: a local folder or a cached snapshot loads with no network at all; offline,
nothing else is tried; online, the hub is probed once with a short timeout before a download is attempted.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


@dataclass(frozen=True)
class ModelSource:
    """How to load a model: ``target`` is a folder or hub name; ``local_only`` forbids any download."""

    target: str
    local_only: bool
    origin: str  # "folder" | "cache" | "hub"


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def hub_reachable(timeout: float = 3.0) -> bool:
    """One TCP connection to the hub endpoint, nothing sent: is a download worth attempting at all?"""
    url = urlparse(hub_endpoint())
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def cached_snapshot(name: str) -> str | None:
    """The folder of a locally cached snapshot of hub model ``name``, if one exists."""
    try:
        from huggingface_hub import snapshot_download

        # HF_HUB_CACHE is read here, not at huggingface_hub's import, so a changed environment is honoured.
        return snapshot_download(
            name, local_files_only=True, cache_dir=os.environ.get("HF_HUB_CACHE") or None
        )
    except Exception:  # noqa: BLE001 - not cached, malformed name, no huggingface_hub: all mean "no local copy"
        return None


def resolve_model(name: str, *, offline: bool, what: str = "model") -> ModelSource:
    """Decide where ``name`` loads from, or raise LookupError with a one-line reason."""
    folder = Path(name).expanduser()
    if folder.exists():
        return ModelSource(str(folder), True, "folder")
    snapshot = cached_snapshot(name)
    if snapshot:
        return ModelSource(snapshot, True, "cache")
    if offline or os.environ.get("HF_HUB_OFFLINE") == "1":
        raise LookupError(
            f"{what} {name!r} is neither a local folder nor in the local hub cache, and the network is off"
        )
    if not hub_reachable():
        raise LookupError(f"{what} {name!r} is not cached locally and {hub_endpoint()} cannot be reached")
    return ModelSource(name, False, "hub")
