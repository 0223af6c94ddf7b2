"""``obsgov preview``: synthesize a stack offline and judge it with the policy packs.

Also the options and the report step that ``obsgov policy analyze`` shares.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from obsgov.errors import InputError
from obsgov.io import write_atomic

from .common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_VERDICT,
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
from .team_project import (
    ConfigFileOption,
    ConfigOption,
    EnvironmentOption,
    ProgramTimeoutOption,
    ProjectOption,
    RemoteComponentsOption,
    StackOutputsOption,
    check_remote_choice,
    load_team,
    parse_stack_outputs,
    refuse_without_project,
    report_remote_components,
    team_environment,
    warn_unused_outputs,
)

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
PreviewModeOption = typer.Option(
    True,
    "--preview/--no-preview",
    help="Judge the graph as `pulumi preview` sees it (unknown outputs) or as after an update.",
)


def finite_seconds(value: float | None) -> float | None:
    """A timeout is a number of seconds: ``inf`` would wait forever and ``nan`` compares
    false with every limit, so both are refused as the bad input they are."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a number of seconds")
    return value


TimeoutOption = typer.Option(
    300.0,
    "--pack-timeout",
    min=1.0,
    metavar="SECONDS",
    callback=finite_seconds,
    help="Seconds a pack may take to answer one call before the gate fails closed.",
)
StartTimeoutOption = typer.Option(
    None,
    "--pack-start-timeout",
    min=1.0,
    metavar="SECONDS",
    callback=finite_seconds,
    help="Seconds a pack may take to start (print its port and accept a connection) before "
    "the gate fails closed (default: 60, or --pack-timeout when shorter).",
)


def start_seconds(pack_timeout: float, start_timeout: float | None) -> float:
    return start_timeout if start_timeout is not None else min(pack_timeout, 60.0)


def check_format(
    fmt: str,
    output: Path | None,
    inputs: list[Path],
    *,
    stacks_dir: Path | None = None,
    packs: Sequence[Any] = (),
    team: Any = None,
    check_path: bool = True,
) -> None:
    """The report format is known and its output path may be written (see
    :func:`~obsgov.cli.output.check_output`: never an input nor a project file); with
    ``check_path`` false, the caller checks the path itself once it knows every input."""
    if fmt not in FORMATS:
        raise InputError.single("--format", "", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt != "text" and output is None:
        raise InputError.single("--output", "", f"--format {fmt} needs --output FILE")
    if output is not None and check_path:
        check_output(output, "--output", inputs, stacks_dir=stacks_dir, packs=packs, team=team)


def pack_projects(chosen: Sequence[Any]) -> list[Any]:
    return [project for project, _ in chosen]


SeverityOption = typer.Option(
    None,
    "--severity",
    metavar="LEVEL",
    help="Judge and show only findings of this severity or above (low, medium, high, "
    "critical); findings below are counted, never shown, and never fail the gate.",
)
BaselineOption = typer.Option(
    None,
    "--baseline",
    metavar="FILE",
    dir_okay=False,
    help="Findings listed in FILE (written by --write-baseline) are reported as baseline "
    "and do not fail the gate: only new ones do.",
)
WriteBaselineOption = typer.Option(
    None,
    "--write-baseline",
    metavar="FILE",
    dir_okay=False,
    help="Write every finding of this run to FILE, to pass as --baseline later.",
)
CompactOption = typer.Option(
    False, "--compact", help="One line per finding, with the file and line it points at."
)
QuietOption = typer.Option(
    False,
    "--quiet",
    "-q",
    help="Print only what fails the gate (one line each) and the verdict.",
)


@dataclass
class ReviewOptions:
    """How findings are judged and shown beyond the packs' own verdict."""

    severity: str | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    compact: bool = False
    quiet: bool = False

    def check(self, inputs: Sequence[Path]) -> None:
        from obsgov.reports.findings import SEVERITY_ORDER

        if self.severity is not None and self.severity not in SEVERITY_ORDER:
            raise InputError.single(
                "--severity", "", f"{self.severity!r} is not one of {', '.join(SEVERITY_ORDER)}"
            )
        if self.write_baseline is not None:
            check_output(self.write_baseline, "--write-baseline", [*inputs])


def report(
    run,
    fmt: str,
    output: Path | None,
    sources,
    suppressions: Sequence[Any] = (),
    options: ReviewOptions | None = None,
) -> bool:
    """Review the run, print the text report, write the ``--format`` report and the baseline;
    whether the gate failed."""
    from obsgov.clock import utc_today
    from obsgov.reports import render_text, review, write_report
    from obsgov.reports.findings import baseline_text, read_baseline

    options = options or ReviewOptions()
    baseline = None
    if options.write_baseline is not None:
        write_atomic(options.write_baseline, baseline_text(run))
        err.print(f"wrote the baseline to {options.write_baseline}", markup=False)
        baseline = (options.write_baseline, read_baseline(options.write_baseline))
    elif options.baseline is not None:
        baseline = (options.baseline, read_baseline(options.baseline))
    checked = review(
        run,
        sources,
        today=utc_today(),
        suppressions=suppressions,
        baseline=baseline,
        severity=options.severity,
    )
    render_text(run, out, checked, compact=options.compact, quiet=options.quiet)
    if fmt != "text":
        assert output is not None
        write_report(run, fmt, output, checked=checked)
        err.print(f"wrote {fmt} report to {output}", markup=False)
    elif output is not None:
        # Rendered whole, then replaced atomically: an interrupted run keeps the old report.
        buffer = io.StringIO()
        render_text(
            run,
            Console(file=buffer, width=200, highlight=False, soft_wrap=True),
            checked,
            compact=options.compact,
            quiet=options.quiet,
        )
        write_atomic(output, buffer.getvalue())
    return checked.failed


def run_and_report(
    gate: Callable,
    env,
    fmt: str,
    output: Path | None,
    sources,
    timeout: float,
    start_timeout: float | None = None,
    analyze_file: bool = False,
    stack_config: Mapping[str, str] | None = None,
    stack_tags: Mapping[str, str] | None = None,
    organization: str = "organization",
    secret_keys: list[str] | None = None,
    suppressions: Sequence[Any] = (),
    review_options: ReviewOptions | None = None,
) -> None:
    """Run ``gate(options)``, report, and exit with the verdict. ``analyze_file`` runs
    packs as ``pulumi policy analyze --file`` does: no ConfigureStack, no stack environment.
    ``stack_config`` and ``stack_tags`` are those of the stack judged when it is not one of
    obsgov's environments (``--project``). ``sources`` are the files findings point at."""
    from obsgov.gate.engine import GateOptions, PolicyConfigError
    from obsgov.gate.project import builtin_stack_tags

    if stack_config is None:
        stack_config = env.config_map if env is not None else {}
    options = GateOptions(
        stack_config=stack_config,
        start_timeout=start_seconds(timeout, start_timeout),
        call_timeout=timeout,
        configure_stack=not analyze_file,
        apply_remediations=not analyze_file,
        organization=organization,
        stack_secret_keys=list(secret_keys or []),
    )
    if not analyze_file:
        options.stack_tags = (
            dict(stack_tags)
            if stack_tags is not None
            else builtin_stack_tags(project_root() / "Pulumi.yaml")
        )
    try:
        run = gate(options)
    except PolicyConfigError as exc:
        for line in exc.lines:
            error(line)
        raise typer.Exit(EXIT_INPUT) from None
    for pack in run.packs:
        for line in pack.warnings:
            err.print(f"warning: {escape(line)}")
    failed = report(run, fmt, output, sources, suppressions, review_options)
    raise typer.Exit(EXIT_VERDICT if failed else EXIT_OK)


def environment_sources(env):
    """The files an obsgov environment's findings point at."""
    from obsgov.reports import SourceFiles

    return SourceFiles(
        config=[env.stack_file, env.organization_file],
        registry=env.registry_file,
        stack_file=env.stack_file,
        program_root=project_root(),
    )


def team_sources(team):
    """The files a team project's findings point at: its stack file and Pulumi.yaml."""
    from obsgov.reports import SourceFiles

    stack_file = team.stack.file if team.stack.file.is_file() else None
    return SourceFiles(
        config=[p for p in (stack_file, team.project.file) if p is not None],
        stack_file=stack_file or team.project.file,
    )


PreviewStackOption = typer.Option(
    ...,
    "--stack",
    "-s",
    metavar="STACK",
    help="The obsgov environment (reads stacks/Pulumi.<STACK>.yaml); with --project, the "
    "project's stack (reads its Pulumi.<STACK>.yaml).",
)
AllStacksOption = typer.Option(
    False,
    "--all-stacks",
    help="Judge every stack of the environment --stack names (its stack and its member "
    "shards, obsgov:memberShards) in parallel processes, with one verdict.",
)
ChangedSinceOption = typer.Option(
    None,
    "--changed-since",
    metavar="REF",
    help="With --all-stacks (implied): judge only the stacks whose inputs (program, packs, pack config, their "
    "stack files, their accounts) changed since the git revision REF.",
)
VerdictCacheOption = typer.Option(
    None,
    "--verdict-cache",
    metavar="DIR",
    file_okay=False,
    help="Reuse a pack's answer for a resource judged before with the same request, pack "
    "code and pack config (kept in DIR; default: $OBSGOV_VERDICT_CACHE, else off).",
)
WorkersOption = typer.Option(
    None,
    "--workers",
    min=1,
    metavar="N",
    help="With --all-stacks: stacks judged at once (default: bounded by cores and by 1 GiB of free "
    "memory per stack).",
)


@command
def preview(
    stack: str = PreviewStackOption,
    all_stacks: bool = AllStacksOption,
    changed_since: str | None = ChangedSinceOption,
    workers: int | None = WorkersOption,
    verdict_cache: Path | None = VerdictCacheOption,
    policy_pack: list[Path] | None = PackOption,
    policy_pack_config: list[Path] | None = PackConfigOption,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    preview_mode: bool = PreviewModeOption,
    pack_timeout: float = TimeoutOption,
    pack_start_timeout: float | None = StartTimeoutOption,
    stacks_dir: Path | None = StacksDirOption,
    project: Path | None = ProjectOption,
    config: list[str] | None = ConfigOption,
    config_file: Path | None = ConfigFileOption,
    stack_outputs: list[str] | None = StackOutputsOption,
    environment: str | None = EnvironmentOption,
    program_timeout: float = ProgramTimeoutOption,
    remote_components: str = RemoteComponentsOption,
    severity: str | None = SeverityOption,
    baseline: Path | None = BaselineOption,
    write_baseline: Path | None = WriteBaselineOption,
    compact: bool = CompactOption,
    quiet: bool = QuietOption,
) -> None:
    """Synthesize a stack offline and judge it with the CrossGuard policy packs.

    The packs run unmodified, driven over Pulumi's Analyzer gRPC protocol as `pulumi preview
    --policy-pack` drives them. Exit 1 when any mandatory violation is found (or a pack
    fails), 0 otherwise, 2 for usage or config errors.

    With --project DIR any team's Python Pulumi project is judged instead: its Pulumi.yaml
    and stack config read as the CLI reads them, its program run from its own folder, the
    organisation's packs configured for the obsgov environment the stack names.
    """
    from obsgov.gate.engine import synthesize_and_gate
    from obsgov.gate.selection import select_packs
    from obsgov.gate.verdict_cache import ENVIRONMENT_VARIABLE
    from obsgov.synth import SynthesisError

    if verdict_cache is not None:
        # read by every pack session of this process and of the --all-stacks processes
        os.environ[ENVIRONMENT_VARIABLE] = str(verdict_cache.resolve())
    if all_stacks or changed_since is not None:
        _preview_environment(
            stack,
            project,
            changed_since,
            workers,
            stacks_dir,
            policy_pack,
            policy_pack_config,
            fmt,
            output,
            preview_mode,
            pack_timeout,
            pack_start_timeout,
            stack_outputs or [],
        )
        return
    if workers is not None:
        fail("--workers goes with --all-stacks", EXIT_INPUT)
    refuse_without_project(
        project,
        config=config,
        config_file=config_file,
        environment=environment,
    )
    review_options = ReviewOptions(severity, baseline, write_baseline, compact, quiet)
    if project is not None:
        _preview_project(
            project,
            stack,
            config or [],
            config_file,
            stack_outputs or [],
            environment,
            stacks_dir,
            policy_pack,
            policy_pack_config,
            fmt,
            output,
            preview_mode,
            pack_timeout,
            pack_start_timeout,
            program_timeout,
            remote_components,
            review_options,
        )
        return

    env = load_stack(stack, stacks_dir)
    chosen = select_packs(env, policy_pack, policy_pack_config)
    check_format(
        fmt,
        output,
        [*env.input_files, *(policy_pack_config or [])],
        stacks_dir=env.stack_file.parent,
        packs=pack_projects(chosen),
    )
    review_options.check(
        [*env.input_files, *(policy_pack_config or []), *([output] if output else [])]
    )

    given, _ = parse_stack_outputs(stack_outputs or [])

    def gate(options):
        try:
            return synthesize_and_gate(
                env, chosen, options, preview=preview_mode, stack_outputs=given
            )
        except SynthesisError as exc:
            fail(f"the program failed: {exc}", EXIT_INPUT)

    from obsgov.reports.findings import environment_suppressions

    run_and_report(
        gate,
        env,
        fmt,
        output,
        environment_sources(env),
        pack_timeout,
        pack_start_timeout,
        suppressions=environment_suppressions(env),
        review_options=review_options,
    )


def _preview_environment(
    env_name: str,
    project: Path | None,
    changed_since: str | None,
    workers: int | None,
    stacks_dir: Path | None,
    policy_pack: list[Path] | None,
    policy_pack_config: list[Path] | None,
    fmt: str,
    output: Path | None,
    preview_mode: bool,
    pack_timeout: float,
    pack_start_timeout: float | None,
    stack_outputs: list[str],
) -> None:
    """``--all-stacks``: every stack of the environment, each in its own process."""
    import json
    import tempfile

    from obsgov.gate import environment_gate as eg
    from obsgov.synth import SynthesisError

    if project is not None:
        fail("--all-stacks and --changed-since judge obsgov's own stacks, not --project", 2)
    if fmt not in ("text", "json"):
        fail(f"--all-stacks writes text or json reports, not {fmt}", EXIT_INPUT)
    env = load_stack(env_name, stacks_dir)
    check_format(fmt, output, [*env.input_files], stacks_dir=env.stack_file.parent)
    stacks = eg.environment_stacks(env)
    if changed_since is not None:
        stacks = eg.changed_stacks(env, changed_since, eg.repository_of(env.stack_file.parent))
    options: list[str] = ["--stacks-dir", str(env.stack_file.parent)]
    for pack in policy_pack or []:
        options += ["--policy-pack", str(pack)]
    for pack_config in policy_pack_config or []:
        options += ["--policy-pack-config", str(pack_config)]
    options += ["--pack-timeout", str(pack_timeout)]
    if pack_start_timeout is not None:
        options += ["--pack-start-timeout", str(pack_start_timeout)]
    if not preview_mode:
        options.append("--no-preview")
    for given in stack_outputs:
        options += ["--stack-outputs", given]
    with tempfile.TemporaryDirectory(prefix="obsgov-outputs-") as folder, eg.sigterm_interrupts():
        if stacks:
            # the referenced stacks (the organisation stack) synthesized once for every
            # stack's process instead of once in each
            outputs, _ = parse_stack_outputs(stack_outputs)
            try:
                options += eg.shared_stack_outputs(env, stacks, Path(folder), outputs)
            except SynthesisError as exc:
                fail(f"the program failed: {exc}", EXIT_INPUT)
        verdict = eg.judge_environment(env, stacks, options, workers)
    for judged in verdict.judged:
        out.print(f"== {judged.stack} (exit {judged.exit_code})", soft_wrap=False)
        out.print(escape(judged.text.rstrip()), soft_wrap=False)
        if judged.exit_code not in (EXIT_OK, EXIT_VERDICT):
            err.print(escape(judged.errors.rstrip()))
    if verdict.skipped:
        out.print(f"unchanged since {changed_since}, not judged: {', '.join(verdict.skipped)}")
    state = "failed" if verdict.exit_code else "passed"
    out.print(f"environment {env.stack}: {len(verdict.judged)} stack(s) judged, {state}")
    if output is not None:
        write_atomic(output, json.dumps(verdict.to_json(), indent=2, sort_keys=True) + "\n")
        err.print(f"wrote {fmt} report to {output}")
    raise typer.Exit(verdict.exit_code)


def _preview_project(
    project: Path,
    stack: str,
    config: list[str],
    config_file: Path | None,
    stack_outputs: list[str],
    environment: str | None,
    stacks_dir: Path | None,
    policy_pack: list[Path] | None,
    policy_pack_config: list[Path] | None,
    fmt: str,
    output: Path | None,
    preview_mode: bool,
    pack_timeout: float,
    pack_start_timeout: float | None,
    program_timeout: float = 900.0,
    remote_components: str = "fail",
    review_options: ReviewOptions | None = None,
) -> None:
    from obsgov.gate.engine import synthesize_program_and_gate
    from obsgov.gate.selection import select_packs
    from obsgov.reports.findings import stack_suppressions
    from obsgov.synth import SynthesisError

    check_remote_choice(remote_components)
    team = load_team(project, stack, config, config_file, stack_outputs, preview_mode)
    env = team_environment(team, environment, stacks_dir)
    if env is None and not policy_pack:
        fail(
            "name the obsgov environment whose rules judge this stack: tag it in "
            f"{team.stack.file.name} (config: pulumi:tags: obsgov:environment: prod) or "
            "pass --environment ENV",
            EXIT_INPUT,
        )
    review_options = review_options or ReviewOptions()
    review_options.check(
        [*team.input_files, *(policy_pack_config or []), *([output] if output else [])]
    )
    suppressions = stack_suppressions(team.stack.config, team.stack.file)
    chosen = select_packs(env, policy_pack, policy_pack_config)
    check_format(
        fmt,
        output,
        [*team.input_files, *(policy_pack_config or [])],
        stacks_dir=env.stack_file.parent if env is not None else stacks_dir,
        packs=pack_projects(chosen),
        team=team,
    )

    def on_graph(graph) -> None:
        warn_unused_outputs(team, graph)
        report_remote_components(graph, remote_components)

    def gate(options):
        try:
            return synthesize_program_and_gate(
                team.program, chosen, options, on_graph, timeout=program_timeout
            )
        except SynthesisError as exc:
            fail(f"the program failed: {exc}", EXIT_INPUT)

    run_and_report(
        gate,
        env,
        fmt,
        output,
        team_sources(team),
        pack_timeout,
        pack_start_timeout,
        stack_config=team.stack.config,
        stack_tags=team.stack.tags,
        organization=team.program.organization,
        secret_keys=team.stack.secret_keys,
        suppressions=suppressions,
        review_options=review_options,
    )


@command
def deploy(
    env_name: str = typer.Option(
        ..., "--stack", "-s", metavar="ENV", help="The environment: its stack, then its shards."
    ),
    workers: int = typer.Option(4, "--workers", min=1, metavar="N", help="Shards at once."),
    shards_only: bool = typer.Option(
        False,
        "--shards-only",
        help="Only the environment's member shards (its stack deployed already, as the deploy "
        "workflow does in the steps before). None in the single-stack mode: nothing to do.",
    ),
    only: list[str] | None = typer.Option(
        None,
        "--only",
        metavar="STACK",
        help="Only this stack of the environment (repeatable): a failed shard again, say.",
    ),
    secrets_provider: str | None = typer.Option(
        None,
        "--secrets-provider",
        metavar="URL",
        help="Secrets provider of a stack the backend does not have yet (created with it, as "
        "`pulumi stack init --secrets-provider`); default: the backend's.",
    ),
    skip_org_check: bool = typer.Option(
        False,
        "--skip-org-check",
        help="Deploy without `obsgov org check` first. Risk: a missing prerequisite "
        "(trusted access, a policy type, a service-linked role, a principal a policy names) "
        "fails `pulumi up` part-way, with the stack partly updated.",
    ),
    access_role: str = typer.Option(
        "OrganizationAccountAccessRole",
        "--access-role",
        metavar="ROLE",
        help="Role the org check assumes in the central accounts.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Run `pulumi up` on every stack of an environment (Pulumi Automation API).

    For users outside GitHub Actions, and the deploy workflow's shards step (--shards-only).
    First the checks of `obsgov org check` (read-only): if the organization lacks what the
    stacks need (the deploy-readiness pack's prerequisites), nothing is deployed and the
    exit code is 1; AWS refusing the checks exits as `obsgov org` does. Then the
    environment's stack; if it fails nothing else runs. Then its member shards, --workers
    at once: a failed shard does not stop the others and is reported. --shards-only and
    --only STACK choose fewer (nothing to deploy: no check either). Each stack runs with the
    policy packs and configs `obsgov policy config` writes; a stack the backend lacks is
    created. Needs the Pulumi CLI, a backend and AWS credentials. Exit 1 when any stack
    failed.
    """
    import subprocess
    import sys
    import tempfile
    from functools import partial

    from obsgov.gate import deploy as dg

    from .org import organization_ready

    env = load_stack(env_name, stacks_dir)
    stacks = dg.chosen_stacks(env, only or [], shards_only)
    if not stacks:
        out.print(f"{env.stack} has no member shards (the single-stack mode): nothing to deploy")
        raise typer.Exit(EXIT_OK)
    if skip_org_check:
        out.print(
            "[yellow]warning:[/yellow] --skip-org-check: the organization was not checked;\n"
            "a missing prerequisite fails `pulumi up` part-way"
        )
    elif not organization_ready(env.environment, stacks_dir, access_role):
        out.print(
            "not deploying: make what is missing (`obsgov org prepare --env "
            f"{env.environment}`,\nthen create the missing principals), or pass "
            "--skip-org-check"
        )
        raise typer.Exit(EXIT_VERDICT)
    folder = Path(tempfile.mkdtemp(prefix="obsgov-deploy-"))

    def policy_args(stack: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "obsgov.cli", "policy", "config", "--stack", stack,
             "--stacks-dir", str(env.stack_file.parent), "--out-dir", str(folder / stack)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.split()

    up = partial(dg.automation_up, secrets_provider=secrets_provider or None)
    results = dg.deploy_environment(
        env, project_root(), policy_args, up=up, workers=workers, stacks=stacks
    )
    for result in results:
        state = "updated" if result.ok else "FAILED"
        out.print(f"{result.stack}: {state}: {escape(result.detail)}", soft_wrap=False)
    skipped = len(stacks) - len(results)
    if skipped:
        out.print(f"{skipped} shard(s) not run: the environment's stack failed")
    failed = [r.stack for r in results if not r.ok]
    if failed:
        err.print(f"failed: {', '.join(failed)}")
    raise typer.Exit(EXIT_VERDICT if failed or skipped else EXIT_OK)
