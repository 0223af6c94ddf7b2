"""``obsgov policy``: judge a deployed stack, write pack configs for the Pulumi CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import (
    EXIT_VERDICT,
    StackOption,
    StacksDirOption,
    command,
    default_stacks_dir,
    err,
    fail,
    load_stack,
)
from .gate import (
    FormatOption,
    OutputOption,
    PackConfigOption,
    PackOption,
    TimeoutOption,
    check_format,
    run_and_report,
)
from .output import check_output

app = typer.Typer(
    help="Policy packs: judge a deployed stack, write pack configs for the Pulumi CLI.",
    no_args_is_help=True,
)


@app.command("analyze")
@command
def analyze(
    file: Path = typer.Option(..., "--file", metavar="STATE", dir_okay=False,
                              help="`pulumi stack export` JSON of a deployed stack."),
    stack: Optional[str] = typer.Option(
        None, "--stack", "-s", metavar="ENV",
        help="Environment whose config and pack list apply (default: the stack named in the "
        "file, when stacks/ has it)."),
    policy_pack: Optional[list[Path]] = PackOption,
    policy_pack_config: Optional[list[Path]] = PackConfigOption,
    fmt: str = FormatOption,
    output: Optional[Path] = OutputOption,
    pack_timeout: float = TimeoutOption,
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Judge a deployed stack from its `pulumi stack export` file.

    Analyze runs on each live resource's inputs, AnalyzeStack on outputs with parents and
    dependencies; resources pending deletion are skipped; secrets show as [secret].
    """
    from obsgov.gate.engine import run_gate
    from obsgov.gate.selection import select_packs
    from obsgov.gate.state import load_state

    check_format(fmt, output, [file, *(policy_pack_config or [])])
    graph = load_state(file)
    directory = stacks_dir or default_stacks_dir()
    name = stack or graph.stack
    env = None
    if stack is not None or (directory / f"Pulumi.{name}.yaml").exists():
        env = load_stack(name, directory)
        graph.accounts = {a.id: a.name for a in env.registry.accounts}
    chosen = select_packs(env, policy_pack, policy_pack_config)
    run_and_report(lambda options: run_gate(graph, chosen, options), env, fmt, output, file,
                   pack_timeout)


@app.command("config")
@command
def config(
    stack: str = StackOption,
    policy_pack: Path = typer.Option(..., "--policy-pack", metavar="DIR", file_okay=False,
                                     help="The pack folder."),
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE", dir_okay=False,
                                help="JSON file to write."),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Write the environment's config for one pack, for `pulumi preview --policy-pack-config`.

    The file holds what obsgov derives from stacks/ (enforcement level, tag schema,
    thresholds) merged with the pack's per-environment config file, in the CLI's format.
    """
    from obsgov.files import write_atomic
    from obsgov.gate.plugin import PackError
    from obsgov.gate.project import load_policy_pack
    from obsgov.gate.selection import environment_pack_config

    env = load_stack(stack, stacks_dir)
    check_output(output, "--output", [env.stack_file, env.organization_file, env.registry_file])
    project = load_policy_pack(policy_pack)
    try:
        document = environment_pack_config(env, project)
    except PackError as exc:
        fail(str(exc), EXIT_VERDICT)
    write_atomic(output, json.dumps(document, indent=2, sort_keys=True) + "\n")
    err.print(f"wrote {output}")
