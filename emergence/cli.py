"""Command-line interface: ``emergence COMMAND ...``.

Each subcommand lives in ``emergence/commands/<name>.py`` and is imported only when it runs, so
``emergence --help`` stays fast. Errors the user can fix print one line and exit with status 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from . import __version__
from .errors import InputError
from .progress import set_quiet

# name -> "module:attribute"; a command is listed here only once it works.
COMMANDS: dict[str, str] = {
    "detect": "emergence.commands.detect:detect",
    "fit": "emergence.commands.fit:fit",
    "formats": "emergence.commands.formats:formats",
    "report": "emergence.commands.report:report",
    "rescore": "emergence.commands.rescore:rescore",
    "summary": "emergence.commands.summary:summary",
    "simulate": "emergence.commands.simulate:simulate",
}

# One line each for `emergence --help`, so listing the commands imports none of them.
SHORT_HELP: dict[str, str] = {
    "detect": "Verdict per (family, task): threshold, mirage, smooth, underpowered, ambiguous.",
    "fit": "Scaling-law fits: Chinchilla, power laws, isoFLOP, BNSL.",
    "formats": "List the input formats emergence reads.",
    "report": "Analyse PATH... and write one self-contained HTML report (the main job).",
    "rescore": "Score the same items under every metric, with bootstrap intervals.",
    "simulate": "Write simulated families with known truth.",
    "summary": "Load and validate inputs; list families, models, sizes and tasks.",
}

EPILOG = """\b
Examples:
  emergence report                       # bundled demo data -> reports/emergence-report.html
  emergence summary benchmarks_data/
  emergence simulate sim/ --seed 1
  emergence report sim/ -o reports/sim.html --title "Simulated suite"
  emergence detect sim/ -o verdicts.csv
  emergence rescore sim/ -o scores.csv --bootstrap 1000
  emergence fit chinchilla sim/losses.csv --family sim-a --bootstrap 1000
"""


class _UserError(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(f"error: {self.format_message()}", err=True)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as err:
            raise _UserError(str(err)) from None
        except click.MissingParameter:
            raise  # a missing argument is a usage slip: click's usage text helps
        except click.BadParameter as err:
            # a missing input file or a bad option value is bad input: one line, like the
            # errors found in the data (unknown options and commands keep click's usage text)
            raise _UserError(err.format_message()) from None
        except BrokenPipeError:
            raise  # `emergence ... | head`: click exits quietly on EPIPE
        except OSError as err:  # e.g. -o into a folder that cannot be created or written
            where = f"{err.filename}: " if getattr(err, "filename", None) else ""
            raise _UserError(f"{where}{err.strerror or err}") from None


@click.group(cls=LazyGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="emergence")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def cli(quiet: bool) -> None:
    """Genuine thresholds or metric mirages: analyse per-scale evaluation results."""
    set_quiet(quiet)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="emergence")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
