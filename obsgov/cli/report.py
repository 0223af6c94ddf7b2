"""``obsgov report``: what an environment deploys where, which controls it meets, and what it
costs, from one offline synthesis and gate run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from obsgov.errors import InputError

from .common import (
    EXIT_INPUT,
    EXIT_OK,
    StackOption,
    StacksDirOption,
    aws_errors,
    command,
    err,
    error,
    fail,
    load_stack,
    out,
    project_root,
)
from .gate import PreviewModeOption, StartTimeoutOption, TimeoutOption, start_seconds
from .output import check_output
from .team_project import (
    ConfigFileOption,
    ConfigOption,
    EnvironmentOption,
    ProjectOption,
    StackOutputsOption,
    load_team,
    refuse_without_project,
    team_environment,
)

REPORT_FORMATS = ("html", "json", "md")


def _read_previous(path: Path) -> dict[str, Any]:
    """A report JSON written earlier, checked for the fields a diff reads."""
    from obsgov.io.jsondoc import read_json
    from obsgov.io.paths import display_path

    data = read_json(path)
    shown = display_path(path)
    cost = data.get("cost") if isinstance(data, dict) else None
    problems = []
    if not isinstance(cost, dict):
        problems.append(("cost", "must be the cost object of an `obsgov report --format json`"))
    else:
        if not isinstance(cost.get("byAccount"), dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in cost["byAccount"].values()
        ):
            problems.append(("cost.byAccount", "must map account ids to monthly USD numbers"))
        if not isinstance(cost.get("monthlyUsd"), (int, float)) or isinstance(
            cost.get("monthlyUsd"), bool
        ):
            problems.append(("cost.monthlyUsd", "must be a number"))
    controls = data.get("controls") if isinstance(data, dict) else None
    if not isinstance(controls, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("control"), str)
        and isinstance(c.get("status"), str)
        for c in controls
    ):
        problems.append(("controls", "must be a list of {control, status} objects"))
    if problems:
        from obsgov.errors import Problem

        raise InputError([Problem(shown, key, message) for key, message in problems])
    return data


def _refuse_another_stack(previous: dict[str, Any], project: str, stack: str, path: Path) -> None:
    """A diff against another stack's report would show every difference between two
    environments as this change's: refuse it."""
    from obsgov.io.paths import display_path

    was = (str(previous.get("project", "obsgov")), str(previous.get("stack", "")))
    if was != (project, stack):
        raise InputError.single(
            "--against",
            "",
            f"{display_path(path)} reports {was[0]}/{was[1]}, not {project}/{stack}: compare "
            "a stack with an earlier report of the same stack",
        )


def _check_format(fmt: str, out_file: Path | None) -> None:
    if fmt not in REPORT_FORMATS:
        raise InputError.single(
            "--format", "", f"{fmt!r} is not one of {', '.join(REPORT_FORMATS)}"
        )
    if fmt == "html" and out_file is None:
        raise InputError.single("--output", "", "--format html needs --output FILE")


@command
def report(
    stack: str = StackOption,
    out_file: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Where to write the report (default: print Markdown or JSON; HTML needs --output).",
    ),
    fmt: str = typer.Option(
        "html",
        "--format",
        "-f",
        metavar="FORMAT",
        help="html (one self-contained page), json (for --against later) or md (for a pull "
        "request comment or job summary).",
    ),
    prices: str | None = typer.Option(
        None,
        "--prices",
        metavar="FILE|live",
        help="A price table in prices.yaml's format, or 'live' for the AWS Price List API "
        "(needs AWS credentials). Default: the table shipped with obsgov.",
    ),
    assumptions: Path | None = typer.Option(
        None,
        "--assumptions",
        metavar="FILE",
        dir_okay=False,
        help="YAML of usage assumptions (assumption: number) overriding the stack's "
        "obsgov:costAssumptions and the price table's defaults.",
    ),
    against: Path | None = typer.Option(
        None,
        "--against",
        metavar="FILE",
        dir_okay=False,
        help="A JSON report of the same stack before a change: the report then shows the "
        "cost change per resource and account, the controls whose status moved and the new "
        "violations.",
    ),
    preview_mode: bool = PreviewModeOption,
    pack_timeout: float = TimeoutOption,
    pack_start_timeout: float | None = StartTimeoutOption,
    stacks_dir: Path | None = StacksDirOption,
    project: Path | None = ProjectOption,
    config: list[str] | None = ConfigOption,
    config_file: Path | None = ConfigFileOption,
    stack_outputs: list[str] | None = StackOutputsOption,
    environment: str | None = EnvironmentOption,
) -> None:
    """Report an environment: inventory, compliance map and monthly cost estimate.

    Synthesizes the stack offline and judges it with its policy packs once (as `obsgov
    preview` does), then writes: resources per account and component with the registry entry
    each came from; for every Security Hub and CIS control the packs map to, the resources
    that passed, failed or could not be judged (controls no policy checks are gaps); and the
    monthly cost per account, service and resource at the prices of each resource's region,
    with every usage assumption shown. With --project DIR, a team's Python Pulumi project is
    reported instead. Exit 0 when the report is written, whatever the gate's verdict (the
    report shows it); 2 for bad input.
    """
    from obsgov.clock import utc_today
    from obsgov.environment_report.build import build_report, stack_assumptions
    from obsgov.environment_report.cost import PRICES, load_assumptions, load_prices
    from obsgov.environment_report.html import render
    from obsgov.environment_report.model import diff, markdown
    from obsgov.gate.engine import (
        GateOptions,
        PolicyConfigError,
        synthesize_and_gate,
        synthesize_program_and_gate,
    )
    from obsgov.gate.project import builtin_stack_tags
    from obsgov.gate.selection import select_packs
    from obsgov.io.writer import write_atomic
    from obsgov.reports import review
    from obsgov.reports.findings import environment_suppressions, stack_suppressions
    from obsgov.synth import SynthesisError

    from .gate import environment_sources, team_sources

    refuse_without_project(
        project,
        config=config,
        config_file=config_file,
        stack_outputs=stack_outputs,
        environment=environment,
    )
    _check_format(fmt, out_file)
    team = None
    if project is not None:
        team = load_team(
            project, stack, config or [], config_file, stack_outputs or [], preview_mode
        )
        env = team_environment(team, environment, stacks_dir)
        inputs = [*team.input_files]
        region = team.stack.region
    else:
        env = load_stack(stack, stacks_dir)
        inputs = list(env.input_files)
        region = env.settings.region
    live = prices == "live"
    table = load_prices(PRICES if prices is None or live else Path(prices))
    inputs += [p for p in (assumptions, against) if p is not None]
    if out_file is not None:
        check_output(
            out_file,
            "--output",
            inputs,
            stacks_dir=env.stack_file.parent if env is not None else stacks_dir,
            team=team,
        )
    overrides = {
        **(stack_assumptions(env, table) if env is not None and team is None else {}),
        **(load_assumptions(assumptions, table.assumptions) if assumptions else {}),
    }
    previous = _read_previous(against) if against is not None else None
    if previous is not None and against is not None:
        name = team.project.name if team is not None else "obsgov"
        _refuse_another_stack(previous, name, team.stack.stack if team else stack, against)
    notes: list[str] = []
    if live:
        from obsgov.environment_report.live_prices import live_table

        with aws_errors():
            table, notes = live_table(table, region)

    chosen = select_packs(env, None, None)
    options = GateOptions(
        stack_config=team.stack.config if team is not None else env.config_map,
        start_timeout=start_seconds(pack_timeout, pack_start_timeout),
        call_timeout=pack_timeout,
        stack_tags=(
            dict(team.stack.tags)
            if team is not None
            else builtin_stack_tags(project_root() / "Pulumi.yaml")
        ),
    )
    if team is not None:  # as `obsgov preview --project` judges the team's stack
        options.organization = team.program.organization
        options.stack_secret_keys = list(team.stack.secret_keys)
    try:
        if team is not None:
            run = synthesize_program_and_gate(team.program, chosen, options)
        else:
            run = synthesize_and_gate(env, chosen, options, preview=preview_mode)
    except SynthesisError as exc:
        fail(f"the program failed: {exc}", EXIT_INPUT)
    except PolicyConfigError as exc:
        for line in exc.lines:
            error(line)
        raise typer.Exit(EXIT_INPUT) from None

    if team is not None:
        checked = review(
            run,
            team_sources(team),
            today=utc_today(),
            suppressions=stack_suppressions(team.stack.config, team.stack.file),
        )
    else:
        checked = review(
            run,
            environment_sources(env),
            today=utc_today(),
            suppressions=environment_suppressions(env),
        )
    built = build_report(
        run, env if team is None else None, table, overrides, notes, checked, region
    )
    data = built.to_json()
    delta = diff(data, previous) if previous is not None else None
    if delta is not None:
        data["diff"] = delta
    if fmt == "json":
        import json

        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    elif fmt == "md":
        text = markdown(data, delta)
    else:
        text = render(data, run.graph.accounts, delta)
    if out_file is None:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
    else:
        write_atomic(out_file, text)
        err.print(
            # counted as `obsgov preview` counts them (every resource of the stack), then
            # the AWS resources the inventory lists
            f"wrote {fmt} report to {out_file}: {len(run.graph)} resources "
            f"({len(built.inventory)} in AWS), "
            f"${built.estimate.total:,.2f} a month, gate {data['verdict']}",
            markup=False,
        )
    raise typer.Exit(EXIT_OK)
