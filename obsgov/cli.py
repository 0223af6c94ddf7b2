"""The ``obsgov`` command line.

Exit codes: 0 success, 1 policy violations or a failing program, 2 bad input (config, registry,
arguments, files). Bad input never prints a traceback: every problem is listed with its file and
key path.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console

from obsgov.config.loader import display_path, load_environment, stack_file_for
from obsgov.errors import InputError

F = TypeVar("F", bound=Callable[..., object])

app = typer.Typer(
    name="obsgov",
    help=(
        "Govern ML and data observability across AWS accounts: synthesize an environment's "
        "Pulumi stack offline, judge it with the CrossGuard policy packs, onboard accounts."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def default_stacks_dir() -> Path:
    local = Path.cwd() / "stacks"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[1] / "stacks"


StackOption = typer.Option(
    ..., "--stack", "-s", help="Environment to use: reads stacks/Pulumi.<stack>.yaml."
)
StacksDirOption = typer.Option(
    None, "--stacks-dir", help="Folder with Pulumi.<stack>.yaml, organization.yaml and "
    "accounts.yaml (default: ./stacks, else the project's stacks/).",
    file_okay=False,
)


def handles_input_errors(fn: F) -> F:
    """Turn InputError into the error list and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            err.print(f"[bold red]error:[/bold red] {exc.report()}", markup=True)
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def load_stack(stack: str, stacks_dir: Optional[Path]):
    directory = stacks_dir or default_stacks_dir()
    return load_environment(stack, stack_file_for(directory, stack))


@app.command()
@handles_input_errors
def validate(
    stack: str = StackOption,
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Validate an environment's config, organization file and accounts registry.

    Every problem is listed with its file and key path; exit code 2 when any is found.
    """
    env = load_stack(stack, stacks_dir)
    out.print(
        f"[green]ok[/green] {display_path(env.stack_file)}: environment {env.environment}, "
        f"{len(env.member_accounts)} member accounts, "
        f"{sum(len(env.workloads_for(a)) for a in env.member_accounts)} workloads"
    )


@app.command()
@handles_input_errors
def synth(
    stack: str = StackOption,
    json_file: Optional[Path] = typer.Option(
        None, "--json", help="Write the resource graph as JSON (deterministic) to this file; "
        "'-' writes to stdout.", dir_okay=False,
    ),
    preview: bool = typer.Option(
        True, "--preview/--no-preview",
        help="--preview (default) leaves computed outputs unknown, as `pulumi preview` does; "
        "--no-preview resolves them to realistic ARNs and ids, as after `pulumi up`.",
    ),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Run the Pulumi program offline (SDK mocks) and summarize the resource graph.

    No Pulumi CLI, no AWS credentials: the real __main__.py runs with the stack's config
    applied as the CLI would apply it.
    """
    from obsgov.summary import render_summary
    from obsgov.synth import SynthesisError, synthesize

    env = load_stack(stack, stacks_dir)
    try:
        graph = synthesize(env, preview=preview)
    except SynthesisError as exc:
        err.print(f"[bold red]error:[/bold red] the program failed: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    if json_file is not None:
        if str(json_file) == "-":
            sys.stdout.write(graph.to_json())
            return
        _check_writable(json_file, "--json")
        graph.write_json(json_file)
        err.print(f"wrote {len(graph)} resources to {json_file}")
    render_summary(graph, out)


def _check_writable(path: Path, option: str) -> None:
    if not path.parent.exists():
        raise InputError.single(option, "", f"folder {path.parent} does not exist")


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
