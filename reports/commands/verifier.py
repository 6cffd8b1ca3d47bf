"""`assay train-verifier`: train the verifier's cross-encoder (synthesis.train_verifier) from the public sets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train_verifier_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for the model and its card.")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Folder holding verification/ and covidfact/ (default ../shared/data)."),
    ] = None,
    backbone: Annotated[
        str | None,
        typer.Option(
            "--backbone", help="Pretrained encoder: local folder or hub name (default all-MiniLM-L6-v2)."
        ),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or auto.")] = "cpu",
    epochs: Annotated[int, typer.Option("--epochs")] = 1,
    scale: Annotated[
        float, typer.Option("--scale", help="Multiply every per-set cap on training pairs.")
    ] = 1.0,
    threads: Annotated[int, typer.Option("--threads")] = 2,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many training pairs (a quick trial).")
    ] = 0,
) -> None:
    """Fine-tune the (claim, evidence) cross-encoder with fixed seeds and write it with a model card."""
    from synthesis.train_verifier import main

    argv = [
        "--out",
        str(out),
        "--device",
        device,
        "--epochs",
        str(epochs),
        "--scale",
        str(scale),
        "--threads",
        str(threads),
        "--limit",
        str(limit),
    ]
    if data is not None:
        argv += ["--data", str(data)]
    if backbone:
        argv += ["--backbone", backbone]
    main(argv)
