"""Writing the files users asked for: atomically, with ordinary permissions, and as a set when one run writes several.

Temp files are named ``.<target name>.<pid>-<random>.tmp`` beside their target, so a later run can tell the leftovers
of a killed writer (its process is gone) from the temps of one still running, and remove only the former.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from replication.files import atomic_open, fsync_dir, ordinary_permissions, temp_beside
from synthesis.errors import AssayError


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write to a temp file beside ``path``, fsync, rename: readers see the old file or the whole new one.

    An OS error (unwritable folder, full disk) becomes an AssayError: the CLI prints one line and exits 2.
    The file gets the permissions a plain ``open(path, "w")`` would give (0666 less the umask), not mkstemp's 0600.
    The writing itself is :func:`replication.files.atomic_open`, the one atomic writer.
    """
    target = Path(path)
    opened = False
    try:
        with atomic_open(target, "wb") as fh:
            opened = True
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:  # a full disk, a folder in the way: one line, and nothing half-written
        hint = "" if opened else "; choose a folder you can write to"
        raise AssayError(f"cannot write {target}: {exc.strerror or exc}{hint}") from exc


# --- several files as one set ----------------------------------------------------------------------------------------

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")
_LEGACY_TEMP = re.compile(
    r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$"
)  # mkstemp's, before temps carried the pid
_JOURNAL = re.compile(r"^\.(?P<tag>[a-z0-9-]+)\.(?P<pid>\d+)\.journal$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _apply(folder: Path, journal: dict) -> None:
    """Carry out a set's renames and removals; each step is idempotent, so a recovery can redo them all."""
    for tmp, final in journal.get("rename", []):
        src = folder / tmp
        if src.exists():
            os.replace(src, folder / final)
    for name in journal.get("remove", []):
        (folder / name).unlink(missing_ok=True)
    fsync_dir(folder)


def recover(folder: Path, tag: str, owns: Callable[[str], bool]) -> list[str]:
    """Tidy ``folder`` after a killed run of ``tag``: finish the sets it had committed (its journal names every file,
    all already written), then remove the temp files of our naming whose writer is gone and whose target ``owns``
    accepts. Returns the names removed. A folder that does not exist needs nothing."""
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    try:
        entries = sorted(p.name for p in folder.iterdir())
    except OSError:
        return removed
    for name in entries:
        m = _JOURNAL.match(name)
        if not m or m.group("tag") != tag or _alive(int(m.group("pid"))):
            continue
        try:
            journal = json.loads((folder / name).read_text(encoding="utf-8"))
            _apply(folder, journal)
        except (OSError, ValueError):  # an unreadable journal was never committed (it is written atomically)
            pass
        (folder / name).unlink(missing_ok=True)
        removed.append(name)
    for name in entries:
        m = _TEMP.match(name)
        stale = m is not None and not _alive(int(m.group("pid")))
        if m is None:
            m = _LEGACY_TEMP.match(name)
            stale = m is not None
        if stale and owns(m.group("name")):
            try:
                (folder / name).unlink(missing_ok=True)
            except OSError:
                continue
            removed.append(name)
    return removed


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_set(
    folder: str | Path,
    files: dict[str, str | bytes],
    *,
    tag: str,
    remove: Iterable[str] = (),
    inputs: Sequence[Path] = (),
) -> list[Path]:
    """Write ``files`` (name -> content) into ``folder`` as one set: every file goes to a temp first; only when all
    are written is a journal committed (atomically) and the temps renamed over their targets, and the ``remove``
    names (outputs of an earlier run that this set replaces) deleted. A kill before the commit leaves the old files
    and stale temps (removed by :func:`recover` at the next start); a kill after it is finished by :func:`recover`.
    So readers never find a set half of one run and half of another once a run has started.

    No target may be one of ``inputs`` (an error before anything is written)."""
    folder = Path(folder)
    for name in [*files, *remove]:
        for src in inputs:
            if _same_file(folder / name, Path(src)):
                raise AssayError(
                    f"writing {folder / name} would overwrite the input {src}; choose another --out folder"
                )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssayError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc
    temps: list[tuple[str, str]] = []
    journal_path = folder / f".{tag}.{os.getpid()}.journal"
    try:
        for name, data in files.items():
            fd, tmp = temp_beside(folder / name)
            temps.append((Path(tmp).name, name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
            ordinary_permissions(tmp)
        keep = set(files)
        journal = {"rename": temps, "remove": sorted({n for n in remove if n not in keep})}
        write_atomic(journal_path, json.dumps(journal, ensure_ascii=False) + "\n")
    except BaseException as exc:
        for tmp, _ in temps:
            (folder / tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise AssayError(
                f"cannot write into {folder}: {exc.strerror or exc}; nothing was changed"
            ) from exc
        raise
    try:
        _apply(folder, journal)
    except OSError as exc:  # committed: the next run finishes it
        raise AssayError(
            f"cannot finish writing into {folder}: {exc.strerror or exc}; rerun to complete it"
        ) from exc
    journal_path.unlink(missing_ok=True)
    return [folder / name for name in files]


def unique_stems(paths: Sequence[Path]) -> list[str]:
    """One output stem per input path, distinct even on a case-insensitive file system and deterministic: the file's
    stem where that is unique; else its name with the extension (``x.md``, ``x.txt``); else as many parent folders
    as it takes (``a-report.txt``, ``b-report.txt``). The same file twice, or names no folder tells apart, are an
    error."""
    resolved = [Path(os.path.abspath(p)) for p in paths]
    seen: dict[Path, int] = {}
    for i, r in enumerate(resolved):
        if r in seen:
            raise AssayError(
                f"report {paths[i]} is given twice (arguments {seen[r] + 1} and {i + 1}); give it once"
            )
        seen[r] = i

    def key(s: str) -> str:
        return s.casefold()

    stems = [p.stem for p in resolved]
    for level in range(len(max((p.parts for p in resolved), key=len)) + 1):
        counts: dict[str, int] = {}
        for s in stems:
            counts[key(s)] = counts.get(key(s), 0) + 1
        clashing = [i for i, s in enumerate(stems) if counts[key(s)] > 1]
        if not clashing:
            return stems
        for i in clashing:
            p = resolved[i]
            parents = [q.name for q in p.parents if q.name][:level]
            stems[i] = "-".join([*reversed(parents), p.name])
    raise AssayError(
        "reports "
        + ", ".join(str(paths[i]) for i in clashing)
        + " would get the same output names; rename one or audit them separately"
    )
