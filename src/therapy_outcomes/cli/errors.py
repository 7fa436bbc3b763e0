"""How every entry point runs its app: the user's errors are one line, a bug keeps its traceback.

:func:`run` is the one place that turns a :class:`~therapy_outcomes.errors.TherapyOutcomesError`
into ``error: <message>`` on standard error and the error's exit code; :func:`new_app` makes
each Typer app with the same settings (no shell completion, plain tracebacks for bugs).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from therapy_outcomes.cli.output import err_console
from therapy_outcomes.errors import TherapyOutcomesError

__all__ = ["new_app", "run"]


def new_app(help: str | None = None, *, no_args_is_help: bool = True) -> typer.Typer:
    """A Typer app with the settings every ``therapy-outcomes`` app shares.

    Parameters
    ----------
    help : str, optional
        What the app or command group is for, and example command lines (shown by ``--help``).
        An app of one command shows that command's docstring instead.
    no_args_is_help : bool, default True
        Show the help when called without arguments (False for an app whose command
        takes no required argument).

    Returns
    -------
    typer.Typer
        An app that shows its help when called without arguments.

    Examples
    --------
    >>> new_app("Render reports.").info.no_args_is_help
    True
    """
    return typer.Typer(
        help=help,
        no_args_is_help=no_args_is_help,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


def run(app: typer.Typer, args: Sequence[str] | None = None) -> None:
    """Run ``app``; the user's errors print one line on standard error and exit with their code.

    A :class:`~therapy_outcomes.errors.TherapyOutcomesError` prints ``error: <message>``
    (never a traceback) and exits with the error's ``exit_code`` (2 for bad input). Any other
    exception is a bug: it propagates with its traceback.

    Parameters
    ----------
    app : typer.Typer
        The app to run.
    args : sequence of str, optional
        The command line after the program name. Default: ``sys.argv[1:]``.

    Raises
    ------
    SystemExit
        Always: with the command's exit code, or the error's.

    Examples
    --------
    >>> from therapy_outcomes.errors import ParameterError
    >>> demo = new_app("A demo.")
    >>> @demo.command()
    ... def month(value: str) -> None:
    ...     raise ParameterError(f"month {value!r} is not a month")
    >>> try:
    ...     run(demo, ["Oct"])  # prints "error: month 'Oct' is not a month" on stderr
    ... except SystemExit as done:
    ...     print(done.code)
    2
    """
    try:
        app(args=None if args is None else list(args))
    except TherapyOutcomesError as err:
        err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
