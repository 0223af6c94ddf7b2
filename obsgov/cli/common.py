"""What every command shares: the consoles, the exit codes and the one place errors become
messages.

Exit codes (README and ``obsgov --help`` say the same):

* 0: pass;
* 1: a verdict: a mandatory policy violation, or a policy pack that failed (the gate fails
  closed);
* 2: bad input: config, registry, arguments, files, or a program that fails under the mocks;
  every problem names its file and key path or its option;
* 3: an internal error in obsgov itself: one line, and ``--debug`` shows the traceback;
* 4: AWS refused or could not be reached (credentials, permissions, endpoints).

Commands parse arguments and print; the decisions live in the library. A command function
wrapped in :func:`command` never lets an exception escape as a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperGroup, TyperOption

from obsgov.errors import InputError

EXIT_OK = 0
EXIT_VERDICT = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3
EXIT_AWS = 4

EXIT_CODES_HELP = (
    "Exit codes: 0 pass; 1 verdict (mandatory violation or failed pack); 2 bad input; "
    "3 internal error (rerun with --debug); 4 AWS refused or unreachable."
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., object])


class Settings:
    """Process-wide CLI switches set by the root callback."""

    debug: bool = False


class PlainArgument(TyperArgument):
    """A positional argument shown as Click shows it: its metavar alone. Typer 0.2x wraps a
    required one in braces and appends its Python type (``{ARN} <str>``)."""

    def display_type_rich(self, ctx: Any) -> None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


#: One vocabulary (the Pulumi CLI's where it has one): each option's name in help, and the old
#: spellings it still accepts without showing them. ``--stack/-s`` names the environment (a
#: stack of obsgov's program) everywhere; ``--output/-o`` names the file a command writes.
HIDDEN_ALIASES: dict[str, frozenset[str]] = {
    "--stack": frozenset({"--env", "-e"}),
    "--output": frozenset({"--out", "--json"}),
    "--out-dir": frozenset({"--out"}),
}


class AliasedOption(TyperOption):
    """An option whose old spellings (:data:`HIDDEN_ALIASES`) parse but are not shown in
    help or in error hints."""

    def _shown(self) -> list[str]:
        hidden = HIDDEN_ALIASES.get(self.opts[0], frozenset()) if self.opts else frozenset()
        return [o for o in self.opts if o not in hidden]

    def get_help_record(self, ctx: Any) -> Any:
        saved, self.opts = self.opts, self._shown()
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = saved

    def get_error_hint(self) -> str:
        saved, self.opts = self.opts, self._shown()
        try:
            return super().get_error_hint()
        finally:
            self.opts = saved


def _plain_arguments(command: Any) -> None:
    for param in getattr(command, "params", ()):
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is TyperOption and param.opts and param.opts[0] in HIDDEN_ALIASES:
            param.__class__ = AliasedOption


#: U+2011 NON-BREAKING HYPHEN: one column wide like "-", and not a place textwrap breaks.
_KEEP_HYPHEN = "\u2011"


class WholeWordHelpFormatter(HelpFormatter):
    """Click's help formatter wraps with textwrap's ``break_on_hyphens``, so at 80 columns
    help split options and names at their hyphens (``--window-`` / ``hours``). This one
    wraps only at spaces: hyphens are held as non-breaking while a text is wrapped and put
    back in what it wrote."""

    def _whole_words(self, write: Callable[[], None]) -> None:
        start = len(self.buffer)
        write()
        self.buffer[start:] = [chunk.replace(_KEEP_HYPHEN, "-") for chunk in self.buffer[start:]]

    def write_text(self, text: str) -> None:
        self._whole_words(lambda: super(WholeWordHelpFormatter, self).write_text(_held(text)))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        held = [(_held(term), _held(text)) for term, text in rows]
        self._whole_words(
            lambda: super(WholeWordHelpFormatter, self).write_dl(held, col_max, col_spacing)
        )

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        self._whole_words(
            lambda: super(WholeWordHelpFormatter, self).write_usage(prog, _held(args), prefix)
        )


def _held(text: str) -> str:
    return text.replace("-", _KEEP_HYPHEN)


class WholeWordContext(typer.Context):
    formatter_class = WholeWordHelpFormatter


class WrappingGroup(TyperGroup):
    """A command group whose command list wraps each command's first paragraph instead of
    cutting it at the terminal's width with "..." (click's default). Nested groups get the
    same listing, so a new command group needs nothing to look right."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        WrappingGroup._adopt(self)

    context_class = WholeWordContext

    @staticmethod
    def _adopt(group: Any) -> None:
        for command in group.commands.values():
            _plain_arguments(command)
            command.context_class = WholeWordContext
            if type(command) is TyperGroup:
                command.__class__ = WrappingGroup
                WrappingGroup._adopt(command)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.short_help or _first_paragraph(command.help or "")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n", 1)[0].split())


class CommandFailed(Exception):
    """A failure the command has already worded; ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def error(message: str) -> None:
    """Print ``error: <message>`` on stderr; the message is shown literally (no markup)."""
    # emoji=False: a key such as a:b:c must not come out as a:🅱c
    err.print(f"[bold red]error:[/bold red] {escape(message)}", emoji=False)


def fail(message: str, code: int) -> NoReturn:
    raise CommandFailed(message, code)


def command(fn: F) -> F:
    """Run a command body: input problems exit 2 with the problem list, worded failures exit
    with their code, anything unexpected exits 3 with one line (``--debug`` for the traceback).
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except InputError as exc:
            error(exc.report())
            raise typer.Exit(EXIT_INPUT) from None
        except CommandFailed as exc:
            error(str(exc))
            raise typer.Exit(exc.code) from None
        except KeyboardInterrupt:
            error("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # noqa: BLE001 - the one place that turns crashes into exit 3
            if Settings.debug:
                traceback.print_exc(file=sys.stderr)
            summary = (
                f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
            )
            error(f"internal error: {summary}")
            if not Settings.debug:
                err.print("rerun with --debug for the traceback, and report it as a bug")
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """AWS's refusals and outages as one worded line and exit 4, for every command that calls
    AWS (missing credentials, a refused call with its code, an endpoint that cannot be reached).

    A request botocore refuses before sending it (a parameter shorter than the API's
    minimum, of the wrong type, a region name that cannot be one) never reached AWS: it is
    bad input, exit 2."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        InvalidRegionError,
        NoCredentialsError,
        ParamValidationError,
    )

    try:
        yield
    except (ParamValidationError, InvalidRegionError) as exc:
        fail(" ".join(str(exc).split()), EXIT_INPUT)
    except NoCredentialsError:
        fail(
            "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            EXIT_AWS,
        )
    except ClientError as exc:
        detail = exc.response.get("Error", {})
        fail(
            f"AWS refused {exc.operation_name}: {detail.get('Code')}: {detail.get('Message')}",
            EXIT_AWS,
        )
    except BotoCoreError as exc:
        fail(str(exc), EXIT_AWS)


def default_stacks_dir() -> Path:
    """``./stacks`` when the working directory has one, else the project's ``stacks/``."""
    local = Path.cwd() / "stacks"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "stacks"


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


StackOption = typer.Option(
    ...,
    "--stack",
    "-s",
    metavar="ENV",
    help="Environment to use: reads stacks/Pulumi.<ENV>.yaml.",
)
#: ``--stack`` for a command without ``--project`` (where a stack is always an environment):
#: also accepts the old ``--env``/``-e``.
EnvStackOption = typer.Option(
    ...,
    "--stack",
    "-s",
    "--env",
    "-e",
    metavar="ENV",
    help="Environment to use: reads stacks/Pulumi.<ENV>.yaml.",
)
StacksDirOption = typer.Option(
    None,
    "--stacks-dir",
    metavar="DIR",
    file_okay=False,
    help="Folder with Pulumi.<ENV>.yaml, organization.yaml and accounts.yaml "
    "(default: ./stacks, else the project's stacks/).",
)


def load_stack(stack: str, stacks_dir: Path | None, option: str = "--stack"):
    """Validate the environment ``stack`` names; ``option`` is how the user gave it."""
    from obsgov.config.loader import load_environment, stack_file_for

    directory = stacks_dir or default_stacks_dir()
    return load_environment(stack, stack_file_for(directory, stack, option))


EnvOption = EnvStackOption  # the old name: commands that said --env now say --stack


def load_env(env_name: str, stacks_dir: Path | None) -> Any:
    """:func:`load_stack` under its old name."""
    return load_stack(env_name, stacks_dir)
