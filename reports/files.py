"""Writing the files users asked for: atomically, with ordinary permissions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from synthesis.errors import AssayError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write to a temp file beside ``path``, fsync, rename: readers see the old file or the whole new one.

    An OS error (unwritable folder, full disk) becomes an AssayError: the CLI prints one line and exits 2.
    The file gets the permissions a plain ``open(path, "w")`` would give (0666 less the umask), not mkstemp's 0600.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise AssayError(f"cannot write {target}: {exc.strerror or exc}; choose a folder you can write to") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, a folder in the way: one line, and nothing half-written
        Path(tmp).unlink(missing_ok=True)
        raise AssayError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
