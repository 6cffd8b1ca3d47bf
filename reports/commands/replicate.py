"""`assay replicate ...` and `assay demo`: the replication harness's commands.

The group is assembled here; its commands live in replicate_plans.py (plan, run, status), replicate_results.py
(results), replicate_bind.py (bind) and replicate_demo.py (demo), each with a ``register(group, app)`` function.
"""

from __future__ import annotations

import importlib

import typer

group = typer.Typer(
    name="replicate",
    help="Re-run the XLM-R intermediate-task experiments (arXiv 2005.13013): plan, run, status, results, bind, design, demo.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the `replicate` group (and the top-level `demo`) to the root app."""
    for name in (
        "replicate_plans",
        "replicate_results",
        "replicate_bind",
        "replicate_demo",
        "replicate_design",
    ):
        try:
            module = importlib.import_module(f"reports.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reports.commands.{name}":
                raise
            continue
        module.register(group, app)
    app.add_typer(group, name="replicate")
