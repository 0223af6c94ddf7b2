"""``obsgov validate`` and ``obsgov synth``: an environment's config and its resource graph."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from .common import (
    EXIT_INPUT,
    StackOption,
    StacksDirOption,
    command,
    err,
    fail,
    load_stack,
    out,
)
from .output import check_output


@command
def validate(
    stack: str = StackOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Validate an environment's config, organization file and registry.

    Every problem is listed with its file and key path; exit code 2 when any is found.
    """
    from obsgov.io import display_path

    env = load_stack(stack, stacks_dir)
    workloads = sum(len(env.workloads_for(a)) for a in env.member_accounts)
    out.print(
        f"[green]ok[/green] {escape(display_path(env.stack_file))}: environment "
        f"{env.environment}, {len(env.member_accounts)} member accounts, {workloads} workloads"
    )


@command
def synth(
    stack: str = StackOption,
    json_file: Path | None = typer.Option(
        None,
        "--json",
        metavar="FILE",
        dir_okay=False,
        help="Write the resource graph as deterministic JSON to FILE; '-' writes to stdout.",
    ),
    preview: bool = typer.Option(
        True,
        "--preview/--no-preview",
        help="--preview (default) leaves computed outputs unknown, as `pulumi preview` does; "
        "--no-preview resolves them to realistic ARNs and ids, as after `pulumi up`.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Run the Pulumi program offline (SDK mocks) and summarize its resources.

    No Pulumi CLI, no AWS credentials: the real __main__.py runs with the stack's config
    applied as the CLI would apply it.
    """
    from obsgov.io import display_path
    from obsgov.summary import render_summary
    from obsgov.synth import SynthesisError, synthesize

    to_stdout = json_file is not None and str(json_file) == "-"
    env = load_stack(stack, stacks_dir)
    if json_file is not None and not to_stdout:
        check_output(json_file, "--json", inputs=env.input_files)
    try:
        graph = synthesize(env, preview=preview)
    except SynthesisError as exc:
        fail(f"the program failed: {exc}", EXIT_INPUT)
    if to_stdout:
        sys.stdout.write(graph.to_json())
        return
    if json_file is not None:
        graph.write_json(json_file)
        err.print(f"wrote {len(graph)} resources to {display_path(json_file)}", markup=False)
    render_summary(graph, out)
