"""``obsgov preview``: synthesize a stack offline and judge it with the policy packs.

Also the options and the report step that ``obsgov policy analyze`` shares.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from obsgov.errors import InputError

from .common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_VERDICT,
    StackOption,
    StacksDirOption,
    command,
    err,
    error,
    fail,
    load_stack,
    out,
    project_root,
)
from .output import check_output

FORMATS = ("text", "json", "sarif", "junit")

PackOption = typer.Option(
    None,
    "--policy-pack",
    metavar="DIR",
    help="A policy pack folder (PulumiPolicy.yaml). Repeatable. Default: the packs the "
    "stack's config lists, else every pack under policies/.",
)
PackConfigOption = typer.Option(
    None,
    "--policy-pack-config",
    metavar="FILE",
    dir_okay=False,
    help="Policy config JSON in the Pulumi CLI's format (keys: policy names or 'all'; values: "
    "a level or an object with enforcementLevel and properties). Repeatable: one per "
    "--policy-pack, in the same order.",
)
FormatOption = typer.Option(
    "text",
    "--format",
    "-f",
    metavar="FORMAT",
    help="Report format written to --output: text, json, sarif (SARIF 2.1.0 for GitHub code "
    "scanning) or junit (JUnit XML).",
)
OutputOption = typer.Option(
    None,
    "--output",
    "-o",
    metavar="FILE",
    dir_okay=False,
    help="File for the --format report (the text block is always printed).",
)
TimeoutOption = typer.Option(
    300.0,
    "--pack-timeout",
    min=1.0,
    metavar="SECONDS",
    help="Seconds a pack may take to start or to answer one call before the gate fails closed.",
)


def check_format(fmt: str, output: Path | None, inputs: list[Path]) -> None:
    if fmt not in FORMATS:
        raise InputError.single("--format", "", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt != "text" and output is None:
        raise InputError.single("--output", "", f"--format {fmt} needs --output FILE")
    if output is not None:
        check_output(output, "--output", inputs)


def report(run, fmt: str, output: Path | None, location_file: Path | None) -> None:
    from obsgov.reports import render_text, write_report

    render_text(run, out)
    if fmt != "text":
        assert output is not None
        write_report(run, fmt, output, location_file)
        err.print(f"wrote {fmt} report to {output}")
    elif output is not None:
        with output.open("w", encoding="utf-8") as handle:
            render_text(run, Console(file=handle, width=200, highlight=False, soft_wrap=True))


def run_and_report(
    gate: Callable,
    env,
    fmt: str,
    output: Path | None,
    location_file: Path | None,
    timeout: float,
    analyze_file: bool = False,
) -> None:
    """Run ``gate(options)``, report, and exit with the gate's verdict. ``analyze_file`` runs
    packs as ``pulumi policy analyze --file`` does: no ConfigureStack, no stack environment."""
    from obsgov.gate.engine import GateOptions, PolicyConfigError
    from obsgov.gate.project import builtin_stack_tags

    options = GateOptions(
        stack_config=env.config_map if env is not None else {},
        start_timeout=min(timeout, 60.0),
        call_timeout=timeout,
        configure_stack=not analyze_file,
        apply_remediations=not analyze_file,
    )
    if not analyze_file:
        options.stack_tags = builtin_stack_tags(project_root() / "Pulumi.yaml")
    try:
        run = gate(options)
    except PolicyConfigError as exc:
        for line in exc.lines:
            error(line)
        raise typer.Exit(EXIT_INPUT) from None
    for pack in run.packs:
        for line in pack.warnings:
            err.print(f"warning: {escape(line)}")
    report(run, fmt, output, location_file)
    raise typer.Exit(EXIT_VERDICT if run.failed else EXIT_OK)


@command
def preview(
    stack: str = StackOption,
    policy_pack: list[Path] | None = PackOption,
    policy_pack_config: list[Path] | None = PackConfigOption,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    preview_mode: bool = typer.Option(
        True,
        "--preview/--no-preview",
        help="Judge the graph as `pulumi preview` sees it (unknown outputs) or as after an update.",
    ),
    pack_timeout: float = TimeoutOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Synthesize a stack offline and judge it with the CrossGuard policy packs.

    The packs run unmodified, driven over Pulumi's Analyzer gRPC protocol as `pulumi preview
    --policy-pack` drives them. Exit 1 when any mandatory violation is found (or a pack
    fails), 0 otherwise, 2 for usage or config errors.
    """
    from obsgov.gate.engine import synthesize_and_gate
    from obsgov.gate.selection import select_packs
    from obsgov.synth import SynthesisError

    env = load_stack(stack, stacks_dir)
    check_format(
        fmt,
        output,
        [env.stack_file, env.organization_file, env.registry_file, *(policy_pack_config or [])],
    )
    chosen = select_packs(env, policy_pack, policy_pack_config)

    def gate(options):
        try:
            return synthesize_and_gate(env, chosen, options, preview=preview_mode)
        except SynthesisError as exc:
            fail(f"the program failed: {exc}", EXIT_INPUT)

    run_and_report(gate, env, fmt, output, env.registry_file, pack_timeout)
