"""The command line as a package: help written for users, one error wrapper, quick imports."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from therapy_outcomes.cli import reports
from therapy_outcomes.cli.app import app
from therapy_outcomes.cli.batch import batch
from therapy_outcomes.cli.data import data_app
from therapy_outcomes.cli.errors import new_app, run
from therapy_outcomes.errors import ParameterError, TherapyOutcomesError

ROOT = typer.main.get_command(app)
runner = CliRunner()
TERMINAL = {"COLUMNS": "80"}  # a common terminal width: example lines must not wrap


def _paths(command, path=()):
    """Every command and group below ``command``, as the words that name it."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


PATHS = list(_paths(ROOT))


def _command(path):
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


def _examples(path) -> list[str]:
    """The example command lines in a command's help text."""
    text = _command(path).help or ""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("therapy-")]


def test_the_command_tree():
    names = sorted(" ".join(p) for p in PATHS if p)
    assert names == [
        "batch",
        "demo-data",
        "export",
        "export fhir",
        "export research",
        "import",
        "instruments",
        "report",
        "report client",
        "report cohort",
        "report monthly",
        "summary",
        "validate",
        "version",
    ]
    # the report group runs alone too, with the same commands
    assert sorted(c.name for c in reports.app.registered_commands) == [
        "client",
        "cohort",
        "monthly",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "therapy-outcomes")
def test_help_has_examples_and_no_doctests(path):
    done = runner.invoke(app, [*path, "--help"], env=TERMINAL)
    assert done.exit_code == 0, done.output
    assert "Usage" in done.output
    assert ">>>" not in done.output
    shown = [line.strip() for line in done.output.splitlines()]
    examples = _examples(path)
    assert 1 <= len(examples) <= 3
    for example in examples:
        assert example in shown  # each on a line of its own, whole in 80 columns
        assert f"{example} ".startswith(" ".join(("therapy-outcomes", *path, "")))


@pytest.mark.parametrize("path", [p for p in PATHS if p], ids=" ".join)
def test_examples_are_real_command_lines(path):
    """Each example names real options with values of the right type (parsed, not run)."""
    for example in _examples(path):
        words = shlex.split(example)[1:]
        command = ROOT
        while hasattr(command, "commands"):
            command = command.commands[words.pop(0)]
        command.make_context("therapy-outcomes", words)  # raises on a bad option or value


@pytest.mark.parametrize(
    ("target", "args"),
    [
        (reports.app, ["cohort", "--help"]),
        (reports.app, ["monthly", "--help"]),
        (data_app, ["export", "--help"]),
    ],
)
def test_groups_run_alone_show_help(target, args):
    done = runner.invoke(target, args, env=TERMINAL)
    assert done.exit_code == 0
    assert ">>>" not in done.output and "therapy-outcomes " in done.output


def test_batch_mounts_on_any_app():
    alone = typer.Typer()
    alone.command("batch")(batch)
    assert runner.invoke(alone, ["--help"]).exit_code == 0


class _Refused(TherapyOutcomesError):
    exit_code = 3


def _failing(error: Exception) -> typer.Typer:
    demo = new_app()

    @demo.command()
    def fail() -> None:
        raise error

    return demo


@pytest.mark.parametrize(
    ("error", "code"),
    [(ParameterError("month 'Oct' is not a month"), 2), (_Refused("not [bold]now[/bold]"), 3)],
)
def test_run_prints_one_line_and_the_errors_exit_code(capsys, error, code):
    with pytest.raises(SystemExit) as done:
        run(_failing(error), [])
    assert done.value.code == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {error}\n"  # the message as written, markup and all


def test_run_leaves_a_bug_with_its_traceback():
    with pytest.raises(ZeroDivisionError):
        run(_failing(ZeroDivisionError("a bug")), [])
    script = (
        "from therapy_outcomes.cli.errors import new_app, run\n"
        "app = new_app()\n"
        "@app.command()\n"
        "def fail() -> None:\n"
        "    1 / 0\n"
        "run(app, [])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ZeroDivisionError" in done.stderr
    assert "error:" not in done.stderr


def test_the_command_line_imports_no_renderer(tiny):
    """--help and validate stay quick: papermill, nbconvert, plotly and scipy are not imported."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import therapy_outcomes.cli\n"
        "from therapy_outcomes.cli.app import app\n"
        "from therapy_outcomes.cli.errors import run\n"
        "runner = CliRunner()\n"
        "codes = [runner.invoke(app, args).exit_code for args in sys.argv[1:]]\n"
        "heavy = ('papermill', 'nbconvert', 'plotly', 'scipy')\n"
        "print(codes, sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    helps = [" ".join([*p, "--help"]) for p in PATHS]
    args = [*helps, f"validate {tiny} --as-of 2026-06-30", f"summary {tiny} --as-of 2026-06-30"]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"{[0] * len(args)} []"
