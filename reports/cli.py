"""The `assay` command line: one entry point, a module per command area under reports/commands/.

Exit codes: 0 success, 1 the work found problems (e.g. ``audit --strict``), 2 bad usage or input (one line on
stderr, no traceback unless ``--debug``), 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback

import typer

from reports.commands import arxiv, audit, batch, claims, papers, replicate
from reports.commands import report as report_cmd
from reports.context import AppState

app = typer.Typer(
    name="assay",
    help="Read papers, extract and verify their claims, audit machine-written reports, re-run experiments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    home: str = typer.Option(
        None,
        "--home",
        envvar="ASSAY_HOME",
        help="Data folder: database, PDF cache, config.toml (default: the platform user data folder, e.g. ~/.local/share/assay).",
    ),
    offline: bool = typer.Option(None, "--offline/--online", help="Forbid (or allow) the network."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    ctx.obj = AppState(home=home, offline=offline, debug=debug)


for _module in (papers, arxiv, claims, audit, replicate, batch, report_cmd):
    _module.register(app)


def _user_error_types() -> tuple[type[BaseException], ...]:
    from replication.errors import ReplicationError
    from synthesis.errors import AssayError

    return (AssayError, ReplicationError)


def _is_click_error(exc: BaseException) -> bool:
    """Click's usage/parameter errors, whether click is vendored by typer or separate."""
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code") and hasattr(exc, "show")


def main(argv: list[str] | None = None) -> None:
    """Console entry point with the exit-code and error conventions.

    Every user error is one line on stderr (``error: ...``) with exit code 2; ``--debug`` adds the traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="assay", standalone_mode=False)
    except _user_error_types() as exc:
        if debug:
            traceback.print_exc()
        from reports.sanitize import for_message

        typer.echo(
            f"error: {for_message(str(exc), limit=2000)}", err=True
        )  # user values never reach the terminal raw
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _is_click_error(exc):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # help was printed already
            sys.exit(2)
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "assay"
        typer.echo(f"error: {message} (see '{where} --help')", err=True)
        if debug:
            traceback.print_exc()
        sys.exit(exc.exit_code if isinstance(exc.exit_code, int) and exc.exit_code != 1 else 2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
