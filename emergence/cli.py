"""Command-line interface: ``emergence COMMAND ...``.

Each subcommand lives in ``emergence/commands/<name>.py`` and is imported only when it runs, so
``emergence --help`` stays fast. Errors the user can fix print one line and exit with status 2.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

import click

from . import __version__, progress
from .errors import InputError

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
    "report": "Analyse the inputs and write one self-contained HTML report (start here).",
    "rescore": "Score the same items under every metric, with bootstrap intervals.",
    "simulate": "Write simulated results with known truth, to try the tool on.",
    "summary": "Load and validate inputs; list families, models, sizes and tasks.",
}

EPILOG = """Run 'emergence COMMAND --help' for the inputs, options and examples of a command.

\b
Examples:
  emergence report                       # bundled demo data -> reports/emergence-report.html
  emergence summary benchmarks_data/
  emergence simulate reports/sim/ --seed 1
  emergence report reports/sim/ -o reports/sim.html --title "Simulated suite"
  emergence detect reports/sim/ -o reports/verdicts.csv
  emergence rescore reports/sim/ -o reports/scores.csv --bootstrap 1000
  emergence fit chinchilla reports/sim/losses.csv --family sim-a --bootstrap 1000
"""


def printable(message: str) -> str:
    """``message`` with characters a terminal would act on or hide shown as escapes.

    Messages quote what the data hold: a binary file read as CSV put raw NUL and escape bytes
    on the terminal. Control, format and separator characters become ``\\xNN``/``\\uNNNN``;
    bytes that were not UTF-8 (decoded as lone surrogates) become ``\\xNN`` of the byte. Line
    breaks and tabs are kept (a message may list things on lines of its own).
    """
    out = []
    for ch in message:
        if ch.isprintable() or ch in "\n\t":
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # surrogateescape: the undecodable byte itself
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


class _UserError(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - click API
        click.echo(f"error: {printable(self.format_message())}", err=True)


# `emergence` or `emergence fit` alone prints the help (click >= 8.2 raises this usage error)
_HELP_INSTEAD = getattr(click.exceptions, "NoArgsIsHelpError", ())


_INNERMOST = "emergence.innermost_context"


class _Context(click.Context):
    """A context that records itself as the innermost one of the run (``meta`` is shared).

    Click raises some usage errors without a context (``Option '--seed' requires an
    argument``); this names the command they belong to.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.meta[_INNERMOST] = self


def _did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean --x, --y or --z?)``, closest first, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(name, known)
    if not close:
        return ""
    listed = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f" (did you mean {listed}?)"


def _unknown_command(err: click.UsageError) -> str | None:
    """The name in a "no such command" error (an attribute only from click 8.4 on)."""
    name = getattr(err, "command_name", None)
    if name is None and err.message.startswith("No such command"):
        name = err.message.removeprefix("No such command").strip(" :.'\"")
    return name


def usage_line(err: click.UsageError, ctx: click.Context) -> str:
    """One line for a usage error: the command, what was wrong and where its help is.

    For example ``emergence fit bnsl: no such option --bootstrp (did you mean --bootstrap?);
    see 'emergence fit bnsl --help'``. ``ctx`` stands in when click attached no context to
    ``err``. Click's suggestions for a mistyped option are kept; a mistyped command gets them too.
    """
    ctx = err.ctx or ctx
    where = ctx.command_path
    command = _unknown_command(err)
    if isinstance(err, click.NoSuchOption):
        what = f"no such option {err.option_name}"
        what += _did_you_mean(err.option_name, err.possibilities or [])
    elif command is not None and isinstance(ctx.command, click.Group):
        what = f"no such command {command}"
        what += _did_you_mean(command, ctx.command.list_commands(ctx))
    else:
        what = " ".join(err.format_message().split()).rstrip(".")
        if what[:1].isupper() and what[1:2].islower():  # click's "Missing argument ..."
            what = what[0].lower() + what[1:]
    return f"{where}: {what}; see '{where} --help'"


def _one_line(err: click.UsageError, ctx: click.Context) -> click.ClickException:
    """``err`` as a one-line error, or itself when it stands for printing the help."""
    if isinstance(err, _HELP_INSTEAD):
        return err
    return _UserError(usage_line(err, ctx))


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    # the top level sets the state for this run; a subcommand's flag can only turn it on
    if value or ctx.parent is None:
        progress.set_quiet(value)


def _quiet_option() -> click.Option:
    return click.Option(
        ["--quiet", "-q"],
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="Draw no progress bars (they appear only when stderr is a terminal).",
    )


def with_quiet_option(command: click.Command) -> click.Command:
    """Add ``-q/--quiet`` to ``command`` and, for a group, to each of its subcommands.

    So ``--quiet`` works before and after a subcommand's name without each command declaring
    it. Adding is idempotent: a command that has the option keeps its own. Its contexts record
    themselves, so that a usage error click raises without one names the right command.
    """
    if command.context_class is click.Context:
        command.context_class = _Context
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if not taken & {"--quiet", "-q"}:
        command.params.append(_quiet_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_quiet_option(sub)
    return command


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    context_class = _Context

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
        return with_quiet_option(getattr(importlib.import_module(module_name), attr))

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:  # noqa: D102
        try:  # `emergence --bogus ...`: an unknown option before the command
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            raise _one_line(err, err.ctx or click.Context(self, info_name=info_name)) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as err:
            raise _UserError(str(err)) from None
        except click.UsageError as err:
            # bad input on the command line (unknown option or command, missing argument, bad
            # value or missing file): one line, like the errors found in the data
            raise _one_line(err, ctx.meta.get(_INNERMOST, ctx)) from None
        except BrokenPipeError:
            raise  # `emergence ... | head`: click exits quietly on EPIPE
        except OSError as err:  # e.g. -o into a folder that cannot be created or written
            where = f"{err.filename}: " if getattr(err, "filename", None) else ""
            raise _UserError(f"{where}{err.strerror or err}") from None


@click.group(
    "emergence",
    cls=LazyGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="emergence")
def cli() -> None:
    """Genuine thresholds or metric mirages: analyse per-scale evaluation results."""


with_quiet_option(cli)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: raised in the main thread so that clean-up runs (temporary
    output files removed, worker processes stopped) before the process dies of the signal.

    A ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` may swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Seconds between repeats of a termination signal that has not yet stopped the command.
RESEND_SECONDS = 2.0


class _Termination:
    """The handler :func:`termination_raises` installs, and what it has seen.

    Python drops an exception raised where it cannot propagate (an at-fork hook while the pool
    starts its workers, a ``__del__``): it prints "Exception ignored" and the command runs on.
    So after the first signal a thread sends it again every :data:`RESEND_SECONDS` until the
    block is left, and leaving the block normally after a signal raises it there.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.done = threading.Event()

    def handler(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
            threading.Thread(target=self._resend, name="resend-termination", daemon=True).start()
        raise Terminated(signum)

    def _resend(self) -> None:
        while not self.done.wait(RESEND_SECONDS):
            os.kill(os.getpid(), self.signum)


@contextlib.contextmanager
def termination_raises() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (their default kills
    the process at once and leaves a temporary output file behind); handlers restored after.

    Does nothing outside the main thread, where Python cannot set signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    state = _Termination()
    signums = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, state.handler) for s in signums}
    previous_hook = sys.unraisablehook

    def quiet(unraisable) -> None:  # a dropped Terminated is sent again: no traceback for it
        if not isinstance(unraisable.exc_value, Terminated):
            previous_hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
    except Terminated:
        raise
    except BaseException:  # e.g. click's SystemExit at the end of a command
        if state.signum is None:
            raise
        raise Terminated(state.signum) from None  # every Terminated raised was dropped
    finally:
        state.done.set()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
    if state.signum is not None:  # every Terminated raised was dropped: stop now
        raise Terminated(state.signum)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    A SIGTERM or SIGHUP stops the command cleanly (no partial output, no workers left), then
    the process dies of that signal, as its caller expects.
    """
    try:
        with termination_raises():
            cli.main(args=argv, prog_name="emergence")
    except Terminated as stop:
        signal.signal(stop.signum, signal.SIG_DFL)
        os.kill(os.getpid(), stop.signum)
        raise SystemExit(128 + stop.signum) from None  # pragma: no cover - killed above


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
