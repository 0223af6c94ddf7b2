"""``obsgov validate`` and ``obsgov synth``: an environment's config and its resource graph."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from obsgov.errors import InputError, Problem

from .common import (
    EXIT_INPUT,
    EnvStackOption,
    StacksDirOption,
    command,
    err,
    error,
    fail,
    load_stack,
    out,
)
from .output import check_output
from .team_project import (
    ConfigFileOption,
    ConfigOption,
    ProgramTimeoutOption,
    ProjectOption,
    StackOutputsOption,
    load_team,
    parse_stack_outputs,
    refuse_without_project,
    report_remote_components,
    warn_unused_outputs,
)


@command
def validate(
    stack: str = EnvStackOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Validate an environment's config, organization file and registry.

    Every problem is listed with its file and key path, then the line and column of that
    key (file:line:column); in a GitHub Actions job each is also an error annotation on its
    line. Exit code 2 when any is found.
    """
    from obsgov.io import display_path

    try:
        env = load_stack(stack, stacks_dir)
    except InputError as exc:
        _report_with_positions(exc)
        raise typer.Exit(EXIT_INPUT) from None
    workloads = sum(len(env.workloads_for(a)) for a in env.member_accounts)
    out.print(
        f"[green]ok[/green] {escape(display_path(env.stack_file))}: environment "
        f"{env.environment}, {len(env.member_accounts)} member accounts, {workloads} workloads"
    )


def _report_with_positions(exc: InputError) -> None:
    """The problem list as every command prints it, each problem followed by where its key
    is, and, when GitHub Actions runs the command (``GITHUB_ACTIONS=true``), one error
    annotation per problem on stdout, where the runner reads workflow commands."""
    from obsgov.config.positions import Position, github_annotation, locate

    cache: dict[str, dict[str, tuple[int, int]]] = {}
    lines = [exc.report().split("\n", 1)[0]]
    placed: list[tuple[Problem, Position | None]] = []
    for problem in exc.problems:
        position = locate(problem, cache)
        placed.append((problem, position))
        lines.append(f"  {problem}")
        if position is not None:
            lines.append(f"    at {position}")
    error("\n".join(lines))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem, position in placed:
            sys.stdout.write(github_annotation(problem, position) + "\n")
        sys.stdout.flush()


@command
def synth(
    stack: str = typer.Option(
        ...,
        "--stack",
        "-s",
        metavar="STACK",
        help="The obsgov environment (reads stacks/Pulumi.<STACK>.yaml); with --project, the "
        "project's stack (reads its Pulumi.<STACK>.yaml).",
    ),
    json_file: Path | None = typer.Option(
        None,
        "--output",
        "-o",
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
    project: Path | None = ProjectOption,
    config: list[str] | None = ConfigOption,
    config_file: Path | None = ConfigFileOption,
    stack_outputs: list[str] | None = StackOutputsOption,
    program_timeout: float = ProgramTimeoutOption,
) -> None:
    """Run the Pulumi program offline (SDK mocks) and summarize its resources.

    No Pulumi CLI, no AWS credentials: the real __main__.py runs with the stack's config
    applied as the CLI would apply it. With --project DIR, any team's Python Pulumi project
    runs instead, from its own folder with its stack's config.
    """
    from obsgov.io import display_path
    from obsgov.reports.guesses import guess_lines
    from obsgov.summary import render_summary
    from obsgov.synth import SynthesisError, synthesize
    from obsgov.synth.project_runner import synthesize_program

    refuse_without_project(project, config=config, config_file=config_file)
    to_stdout = json_file is not None and str(json_file) == "-"
    team = None
    if project is not None:
        team = load_team(project, stack, config or [], config_file, stack_outputs or [], preview)
        inputs = team.input_files
    else:
        env = load_stack(stack, stacks_dir)
        inputs = env.input_files
    if json_file is not None and not to_stdout:
        check_output(
            json_file,
            "--output",
            inputs=inputs,
            stacks_dir=env.stack_file.parent if team is None else stacks_dir,
            team=team,
        )
    try:
        if team is not None:
            graph = synthesize_program(team.program, timeout=program_timeout)
            warn_unused_outputs(team, graph)
            report_remote_components(graph, "warn", verdict=False)
        else:
            given, _ = parse_stack_outputs(stack_outputs or [])
            graph = synthesize(env, preview=preview, stack_outputs=given)
    except SynthesisError as exc:
        fail(f"the program failed: {exc}", EXIT_INPUT)
    if to_stdout:
        sys.stdout.write(graph.to_json())
        return
    if json_file is not None:
        graph.write_json(json_file)
        err.print(f"wrote {len(graph)} resources to {display_path(json_file)}", markup=False)
    render_summary(graph, out)
    for heading, items in guess_lines(graph):
        for line in [heading, *(f"    {item}" for item in items)]:
            out.print(line, markup=False, emoji=False)
