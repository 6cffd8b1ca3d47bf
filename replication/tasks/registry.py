"""The task registry: every intermediate task of both paper versions and the nine XTREME target tasks.

Each task is ONE declaration, a `TaskSpec` (`replication.tasks.spec`): format, label set, metric(s), languages, the
language its training data must be in, and where its data comes from (local files in the original format with their
parser, hub datasets with their row reader, or examples in memory). The paper's tasks are declared in
`replication.tasks.intermediate` and `replication.tasks.xtreme` and registered here; register another with
`register_task`. Names resolve case- and punctuation-insensitively (``"SQuAD"``, ``"squad-v1.1"``, ``"anli+"``); an
unknown name raises `ReplicationError` with a "did you mean".

Hub revisions: ``HubSource.revision`` is ``None`` where no commit has been verified on this machine (no network);
pin one per dataset in the plan (``data.revisions``) or with ``revision=`` when loading; the loader records the
revision it actually used in every result.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from replication.errors import ReplicationError
from replication.tasks import intermediate, xtreme
from replication.tasks.intermediate import INTERMEDIATE_V1, NLI_LABELS
from replication.tasks.languages import (
    LANGUAGE_FAMILIES,
    XTREME_LANGUAGES,
    family_of,
    register_languages,
    unregister_languages,
)
from replication.tasks.spec import ROLES, ExampleSource, HubSource, LocalFiles, TaskSpec, layout
from replication.tasks.xtreme import (
    PANX_TAGS,
    TATOEBA_CODES,
    TYDIQA_ID_PREFIX,
    UPOS_TAGS,
    XTREME_TASKS,
)

__all__ = [
    "INTERMEDIATE_V1", "LANGUAGE_FAMILIES", "NLI_LABELS", "PANX_TAGS", "ROLES", "TATOEBA_CODES", "TYDIQA_ID_PREFIX",
    "UPOS_TAGS", "XTREME_LANGUAGES", "XTREME_TASKS", "HubSource", "LocalFiles", "TaskSpec", "family_of", "get_task",
    "layout", "list_tasks", "register_languages", "register_task", "set_examples", "unregister_languages",
    "unregister_task",
]  # fmt: skip


def _key(name: str) -> str:
    """Case- and punctuation-insensitive lookup key; keeps '+' (ANLI vs ANLI+) and digits (SQuAD 1.1 vs 2.0)."""
    s = name.lower().replace("+", "plus")
    return re.sub(r"[^a-z0-9]", "", s)


_TASKS: dict[str, TaskSpec] = {}
_INDEX: dict[str, str] = {}


def register_task(spec: TaskSpec, *, replace: bool = False) -> TaskSpec:
    """Add a task (the synthetic world registers its tasks here). A clash with another task's name is an error."""
    keys = {_key(spec.name), *(_key(a) for a in spec.aliases)}
    for k in keys:
        owner = _INDEX.get(k)
        if owner is not None and owner != spec.name and not replace:
            raise ReplicationError(f"task name or alias {k!r} of {spec.name!r} is already used by {owner!r}")
    if spec.name in _TASKS and not replace:
        raise ReplicationError(f"task {spec.name!r} is already registered (pass replace=True to redefine it)")
    if spec.name in _TASKS:
        old = _TASKS[spec.name]
        for k in {_key(old.name), *(_key(a) for a in old.aliases)}:
            _INDEX.pop(k, None)
    _TASKS[spec.name] = spec
    for k in keys:
        _INDEX[k] = spec.name
    return spec


def unregister_task(name: str) -> None:
    """Remove a registered task and its aliases (tests, and the synthetic world when it is done); no-op if absent."""
    spec = _TASKS.pop(name, None)
    if spec is not None:
        for k in {_key(spec.name), *(_key(a) for a in spec.aliases)}:
            if _INDEX.get(k) == name:
                _INDEX.pop(k)


def set_examples(name: str, source: ExampleSource | None) -> None:
    """Serve a registered task's examples from memory, ``source(split, language)`` (the synthetic world, tests),
    instead of its files and the hub; ``None`` goes back to those. No-op for a task that is not registered when
    ``source`` is None."""
    hit = _INDEX.get(_key(name))
    if hit is None:
        if source is None:
            return
        get_task(name)  # raises: unknown task, with "did you mean"
    _TASKS[hit] = dataclasses.replace(_TASKS[hit], examples=source)


def get_task(name: str) -> TaskSpec:
    """Resolve a task name or alias; unknown names raise ReplicationError with the closest matches."""
    hit = _INDEX.get(_key(name))
    if hit is not None:
        return _TASKS[hit]
    names = sorted(_TASKS)
    by_key = {_key(n): n for n in names} | {k: v for k, v in _INDEX.items()}
    close = difflib.get_close_matches(_key(name), list(by_key), n=3, cutoff=0.5)
    suggestions = list(dict.fromkeys(by_key[c] for c in close))
    hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise ReplicationError(f"unknown task {name!r}{hint} (known tasks: {', '.join(names)})")


def list_tasks(role: str | None = None, *, paper_version: str | None = None) -> list[TaskSpec]:
    """Registered tasks in registration order, optionally only one role and/or one paper version."""
    if role is not None and role not in ROLES:
        raise ReplicationError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    out = [t for t in _TASKS.values() if role is None or t.role == role]
    if paper_version is not None:
        out = [t for t in out if paper_version in t.paper_versions]
    return out


for _spec in (*intermediate.TASKS, *xtreme.TASKS):
    register_task(_spec)
