"""``--project``: what ``obsgov preview`` and ``obsgov synth`` share to run any team's Python
Pulumi project instead of obsgov's own program."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from obsgov.errors import InputError, Problem

from .common import EXIT_INPUT, err, fail, load_stack

ENVIRONMENT_TAG = "obsgov:environment"
REMOTE_CHOICES = ("fail", "warn")


def _finite_seconds(value: float | None) -> float | None:
    import math

    if value is not None and (not math.isfinite(value) or value <= 0):
        raise typer.BadParameter("must be a finite number of seconds above 0")
    return value


ProgramTimeoutOption = typer.Option(
    900.0,
    "--program-timeout",
    metavar="SECONDS",
    callback=_finite_seconds,
    help="With --project: seconds the team's program may run before it and every process it "
    "started are killed and the run fails.",
)
RemoteComponentsOption = typer.Option(
    "fail",
    "--remote-components",
    metavar="fail|warn",
    help="With --project: what a multi-language component (awsx, eks, ...) does to the "
    "verdict. Its provider builds its children, which obsgov cannot run offline, so they "
    "are not judged: fail (default) refuses to pass the stack; warn judges the rest and says "
    "what was left out.",
)

ProjectOption = typer.Option(
    None,
    "--project",
    metavar="DIR",
    file_okay=False,
    help="Run this Python Pulumi project (its Pulumi.yaml and Pulumi.<STACK>.yaml) instead "
    "of obsgov's own program.",
)
ConfigOption = typer.Option(
    None,
    "--config",
    "-c",
    metavar="KEY=VALUE",
    help="With --project: a config value, as `pulumi preview --config` (bare keys take the "
    "project's name). Repeatable; wins over the stack's file.",
)
ConfigFileOption = typer.Option(
    None,
    "--config-file",
    metavar="FILE",
    dir_okay=False,
    help="With --project: read the stack's config from FILE instead of Pulumi.<STACK>.yaml.",
)
StackOutputsOption = typer.Option(
    None,
    "--stack-outputs",
    metavar="STACKREF=FILE",
    help="With --project: the outputs of the stack a StackReference names, from the JSON of "
    "`pulumi stack output --json`. Repeatable. Without it they are unknown.",
)
EnvironmentOption = typer.Option(
    None,
    "--environment",
    "-e",
    metavar="ENV",
    help="With --project: the obsgov environment whose rules judge it (stacks/Pulumi.<ENV>"
    ".yaml). Default: the stack's tag obsgov:environment (config pulumi:tags).",
)


@dataclass
class TeamRun:
    """A team's project and stack, ready to run."""

    project: Any  # obsgov.synth.project.PulumiProject
    stack: Any  # obsgov.synth.stack_file.StackConfig
    program: Any  # obsgov.synth.project_runner.ProgramRun
    outputs_files: list[Path]

    @property
    def input_files(self) -> list[Path]:
        return [self.project.file, self.stack.file, *self.outputs_files]


def refuse_without_project(project: Path | None, **given: Any) -> None:
    """The team options mean nothing for obsgov's own program: say so, not ignore them."""
    if project is not None:
        return
    problems = [
        Problem(f"--{name.replace('_', '-')}", "", "needs --project DIR")
        for name, value in given.items()
        if value
    ]
    if problems:
        raise InputError(problems)


def parse_stack_outputs(items: Sequence[str]) -> tuple[dict[str, Any], list[Path]]:
    """``STACKREF=FILE`` pairs: each file must hold a JSON object of output name to value."""
    from obsgov.io import display_path, read_json

    outputs: dict[str, Any] = {}
    files: list[Path] = []
    problems: list[Problem] = []
    for item in items:
        name, sep, file = item.partition("=")
        if not sep or not name or not file:
            problems.append(Problem("--stack-outputs", "", f"{item!r}: expected STACKREF=FILE"))
            continue
        if name in outputs:
            problems.append(Problem("--stack-outputs", "", f"{name!r} is given twice"))
            continue
        path = Path(file)
        try:
            data = read_json(path)
        except InputError as exc:
            problems += exc.problems
            continue
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    display_path(path),
                    "",
                    "must be a JSON object of output name to value "
                    "(what `pulumi stack output --json` prints)",
                )
            )
            continue
        outputs[name] = data
        files.append(path)
    if problems:
        raise InputError(problems)
    return outputs, files


def load_team(
    directory: Path,
    stack: str,
    config: Sequence[str],
    config_file: Path | None,
    stack_outputs: Sequence[str],
    preview: bool,
) -> TeamRun:
    """Read the project and the stack's config the way the CLI does, before anything runs:
    bad input exits 2, with the CLI's words where the CLI would refuse it."""
    from obsgov.synth.project import ProjectError, load_project, stack_organization
    from obsgov.synth.project_runner import ProgramRun
    from obsgov.synth.stack_file import load_stack_config

    project = load_project(directory)
    outputs, files = parse_stack_outputs(stack_outputs)
    try:
        organization = stack_organization(stack, project.name)
        stack_config = load_stack_config(project, stack, config_file, config)
    except ProjectError as exc:
        for note in exc.notes:
            err.print(f"note: {note}", markup=False, emoji=False)
        fail(str(exc), EXIT_INPUT)
    for note in stack_config.notes:
        err.print(f"note: {note}", markup=False, emoji=False)
    program = ProgramRun(
        directory=str(project.directory.resolve()),
        program=str(project.main.resolve()),
        project=project.name,
        stack=stack_config.stack,
        config=stack_config.config,
        secret_keys=stack_config.secret_keys,
        region=stack_config.region,
        provider_config=stack_config.provider_config(),
        preview=preview,
        organization=organization,
        stack_outputs=outputs,
        options=dict(project.options),
    )
    return TeamRun(project, stack_config, program, files)


def team_environment(team: TeamRun, environment: str | None, stacks_dir: Path | None):
    """The obsgov environment whose config the packs get: ``--environment``, else the stack's
    ``obsgov:environment`` tag; None when neither names one."""
    if environment is not None:
        return load_stack(environment, stacks_dir, option="--environment")
    tagged = team.stack.tags.get(ENVIRONMENT_TAG)
    if tagged:
        return load_stack(
            tagged, stacks_dir, option=f"config.pulumi:tags.{ENVIRONMENT_TAG} of the stack"
        )
    return None


def check_remote_choice(choice: str) -> None:
    if choice not in REMOTE_CHOICES:
        raise InputError.single(
            "--remote-components", "", f"{choice!r} is not one of {', '.join(REMOTE_CHOICES)}"
        )


def remote_component_lines(graph) -> list[str]:
    """One line per multi-language component in ``graph``."""
    return [
        f"{r.type} {r.name!r}: a multi-language component; its provider builds its "
        "children, which obsgov cannot construct offline, so they are not judged"
        for r in graph.resources
        if r.remote
    ]


def report_remote_components(graph, choice: str, *, verdict: bool = True) -> None:
    """Say loudly that the graph lacks the children of its multi-language components; with
    ``fail`` (and a verdict to give) stop: what cannot be judged is never passed."""
    lines = remote_component_lines(graph)
    if not lines:
        return
    for line in lines:
        err.print(f"warning: {line}", markup=False, emoji=False)
    if verdict and choice == "fail":
        from .common import EXIT_VERDICT

        fail(
            f"{len(lines)} multi-language component(s) cannot be judged offline; the stack is "
            "not passed (--remote-components warn judges the rest)",
            EXIT_VERDICT,
        )


def warn_unused_outputs(team: TeamRun, graph) -> None:
    for name in sorted(set(team.program.stack_outputs) - set(graph.stack_references)):
        err.print(
            f"warning: --stack-outputs {name}: the program makes no StackReference of that name",
            markup=False,
            emoji=False,
        )
