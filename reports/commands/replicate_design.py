"""`assay replicate design`: turn a research question into a plan variant with a rationale per axis.

The logic lives in `replication.design`; this module reads the options, writes the plan file(s) atomically (all of
them or none) and prints the summary. The synthetic CPU world is not offered here: its plans name encoders the demo
pretrains at run time and tasks it registers in-process, so a designed plan file could not run there; use
`assay demo` for the synthetic world.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from replication.errors import ReplicationError


def register(group: typer.Typer, app: typer.Typer) -> None:
    group.command("design")(design_cmd)


def plan_paths(out: Path, suffixes: list[str]) -> list[Path]:
    """Where each plan of a design goes: the first at ``out``, the others beside it as ``<stem>.<suffix><ext>``."""
    ext = out.suffix or ".yaml"
    paths = [out]
    for s in suffixes[1:]:
        paths.append(out.with_name(f"{out.stem}.{s}{ext}"))
    return paths


def _check_out(out: Path) -> None:
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ReplicationError(f"--out: {out} is a folder; give a plan file name such as {out / 'plan.yaml'}")
    if not parent.is_dir():
        raise ReplicationError(f"--out: folder {parent} does not exist (or is not a folder); create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ReplicationError(f"--out: cannot write in {parent} (permission denied)")


def write_all(files: list[tuple[Path, str]]) -> None:
    """Write every file or none: temporary files beside each target, fsynced, then renamed into place."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        for tmp, path in temps:
            os.replace(tmp, path)
    except OSError as exc:
        raise ReplicationError(f"--out: cannot write {files[len(temps) - 1][0] if temps else ''}: "
                               f"{exc.strerror or type(exc).__name__}") from None  # fmt: skip
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


def design_cmd(
    question: Annotated[str, typer.Option("--question", "-q", help="The research question, in plain words.")],
    source: Annotated[
        Path | None, typer.Option("--from", help="Plan to start from (default: the paper's grid, paper_v1).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the plan here (extra plans, if any, beside it as <stem>.<suffix>.yaml)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Map a research question's facets to plan axes and write a plan variant, with a rationale per axis.

    What the harness cannot vary (other modalities, human evaluation, unsupported architectures, non-English
    intermediate data) is stated plainly, in the output and in the plan's comments. Validate the result with
    `assay replicate plan OUT.yaml`.
    """
    from replication.design import design, render_text, render_yaml

    if out is not None:
        _check_out(out)
    d = design(question, source)
    paths = plan_paths(out, [p.suffix for p in d.plans]) if out is not None else []
    if out is not None:
        write_all([(path, render_yaml(d, p)) for path, p in zip(paths, d.plans, strict=True)])
    if as_json:
        data = d.to_dict()
        for i, p in enumerate(data["plans"]):
            p["file"] = str(paths[i]) if paths else None
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(render_text(d), nl=False)
    if out is not None:
        for path, p in zip(paths, d.plans, strict=True):
            typer.echo(
                f"wrote {path}"
                + (f" ({p.note})" if p.note else "")
                + f"; check it with `assay replicate plan {path}`"
            )
        return
    for p in d.plans:
        typer.echo("---")
        typer.echo(render_yaml(d, p), nl=False)
