"""``obsgov policy``: judge a deployed stack, write pack configs and publishable bundles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from .common import (
    EXIT_INPUT,
    EXIT_VERDICT,
    StackOption,
    StacksDirOption,
    command,
    default_stacks_dir,
    err,
    error,
    fail,
    load_stack,
    out,
)
from .gate import (
    FormatOption,
    OutputOption,
    PackConfigOption,
    PackOption,
    StartTimeoutOption,
    TimeoutOption,
    check_format,
    environment_sources,
    pack_projects,
    run_and_report,
    start_seconds,
)
from .output import check_output, check_output_folder

if TYPE_CHECKING:
    from obsgov.gate.project import PolicyPackProject

app = typer.Typer(
    help="Policy packs: judge a deployed stack, write pack configs for the Pulumi CLI, "
    "bundle packs for `pulumi policy publish`.",
    no_args_is_help=True,
)


@app.command("analyze")
@command
def analyze(
    file: Path = typer.Option(
        ...,
        "--file",
        metavar="STATE",
        dir_okay=False,
        help="`pulumi stack export` JSON of a deployed stack.",
    ),
    stack: str | None = typer.Option(
        None,
        "--stack",
        "-s",
        metavar="ENV",
        help="Environment whose config and pack list apply; must be the file's stack "
        "(default: the stack named in the file, when stacks/ has it).",
    ),
    policy_pack: list[Path] | None = PackOption,
    policy_pack_config: list[Path] | None = PackConfigOption,
    fmt: str = FormatOption,
    output: Path | None = OutputOption,
    pack_timeout: float = TimeoutOption,
    pack_start_timeout: float | None = StartTimeoutOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Judge a deployed stack from its `pulumi stack export` file.

    As `pulumi policy analyze --file`: Analyze runs on each live resource's inputs,
    AnalyzeStack on outputs with parents and dependencies; resources pending deletion are
    skipped; a file of several stacks is judged whole. Secrets are decrypted for a passphrase
    stack with PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE); unlike the CLI,
    which judges secrets it cannot decrypt as [secret], obsgov refuses such a file (exit 2):
    give the passphrase or export with --show-secrets.
    """
    from obsgov.gate.engine import run_gate
    from obsgov.gate.selection import select_packs
    from obsgov.gate.state import load_state
    from obsgov.reports.findings import environment_suppressions

    check_format(fmt, output, [], check_path=False)  # the path once the inputs are known
    graph, warnings = load_state(file, stack)
    for line in warnings:
        err.print(f"warning: {escape(line)}")
    if not len(graph):
        # policy_analyze.go: nothing to judge is not a failure
        err.print(f"File {escape(str(file))} has no resources; nothing to analyze.")
        raise typer.Exit(0)
    directory = stacks_dir or default_stacks_dir()
    name = stack or graph.stack
    env = None
    if stack is not None or (directory / f"Pulumi.{name}.yaml").exists():
        env = load_stack(name, directory)
        graph.accounts = {a.id: a.name for a in env.registry.accounts}
    chosen = select_packs(env, policy_pack, policy_pack_config)
    if output is not None:  # the environment's own files and the packs are known now
        check_output(
            output,
            "--output",
            [file, *(policy_pack_config or []), *(env.input_files if env else [])],
            stacks_dir=env.stack_file.parent if env is not None else directory,
            packs=pack_projects(chosen),
        )
    run_and_report(
        lambda options: run_gate(graph, chosen, options),
        env,
        fmt,
        output,
        # results point at the environment's files; the state file is rarely in the repository
        environment_sources(env) if env is not None else file,
        pack_timeout,
        pack_start_timeout,
        analyze_file=True,
        suppressions=environment_suppressions(env) if env is not None else (),
    )


@app.command("config")
@command
def config(
    stack: str = StackOption,
    policy_pack: Path | None = typer.Option(
        None,
        "--policy-pack",
        metavar="DIR",
        file_okay=False,
        help="One pack folder; write its config to --output.",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        dir_okay=False,
        help="JSON file to write (with --policy-pack).",
    ),
    out_dir: Path | None = typer.Option(
        None,
        "--out-dir",
        metavar="DIR",
        file_okay=False,
        help="Folder to write DIR/<pack>.json into for every pack the stack lists (else "
        "every pack under policies/); prints the --policy-pack and --policy-pack-config "
        "arguments of each, one line per pack.",
    ),
    pack_timeout: float = TimeoutOption,
    pack_start_timeout: float | None = StartTimeoutOption,
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Write the environment's pack config for `pulumi preview --policy-pack-config`.

    Each file holds what obsgov derives from stacks/ (enforcement level, tag schema,
    thresholds) merged with the pack's per-environment config file, in the CLI's format: the
    same single document the gate reconciles. A file the pack would reject is not written
    (exit 2).
    """
    from concurrent.futures import ThreadPoolExecutor

    from obsgov.gate.engine import GateOptions, PolicyConfigError
    from obsgov.gate.plugin import PackError
    from obsgov.gate.project import load_policy_pack
    from obsgov.gate.selection import environment_pack_config, stack_pack_projects
    from obsgov.io import write_atomic

    _check_config_destination(policy_pack, output, out_dir)
    env = load_stack(stack, stacks_dir)
    inputs = env.input_files
    where = {"stacks_dir": env.stack_file.parent}
    if policy_pack is not None:
        assert output is not None
        projects = [load_policy_pack(policy_pack)]
        targets = [output]
    else:
        assert out_dir is not None
        projects = stack_pack_projects(env)
        # checked before it is created: a folder among the project's files, or one that
        # cannot be created, is bad input (exit 2), and nothing is left behind
        check_output_folder(out_dir, "--out-dir", packs=projects, **where)
        targets = _config_files_in(out_dir, projects)
    option = "--output" if out_dir is None else "--out-dir"
    if out_dir is None:
        for target in targets:
            check_output(target, option, inputs, packs=projects, **where)

    with ThreadPoolExecutor(max_workers=min(len(projects), 4) or 1) as pool:
        options = GateOptions(
            stack_config=env.config_map,
            start_timeout=start_seconds(pack_timeout, pack_start_timeout),
            call_timeout=pack_timeout,
        )
        futures = [pool.submit(environment_pack_config, env, p, options) for p in projects]
        documents, problems = [], []
        for future in futures:
            try:
                documents.append(future.result())
            except (PackError, PolicyConfigError) as exc:
                problems.append(exc)
    _stop_on_config_problems(problems)
    if out_dir is not None:
        make_folder(out_dir, "--out-dir")
        for target in targets:
            check_output(target, option, inputs, packs=projects, **where)
    for project, target, document in zip(projects, targets, documents, strict=True):
        write_atomic(target, json.dumps(document, indent=2, sort_keys=True) + "\n")
        if out_dir is not None:
            out.print(f"--policy-pack {project.directory} --policy-pack-config {target}")
        else:
            err.print(f"wrote {target}")


def _check_config_destination(
    policy_pack: Path | None, output: Path | None, out_dir: Path | None
) -> None:
    """`policy config` writes one pack's file (--policy-pack with --output) or every pack's
    into a folder (--out-dir), never both."""
    if (policy_pack is None) == (out_dir is None):
        fail("give either --policy-pack DIR with --output FILE, or --out-dir DIR", EXIT_INPUT)
    if policy_pack is not None and output is None:
        fail("--policy-pack needs --output FILE", EXIT_INPUT)
    if out_dir is not None and output is not None:
        fail("--output goes with --policy-pack; --out-dir names its files itself", EXIT_INPUT)


def _config_files_in(out_dir: Path, projects: list[PolicyPackProject]) -> list[Path]:
    """One ``<pack folder name>.json`` per pack; two packs of one name would collide."""
    names = [p.directory.name for p in projects]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        fail(
            f"--out-dir: two packs share the folder name {clash[0]!r}; their files would collide",
            EXIT_INPUT,
        )
    return [out_dir / f"{name}.json" for name in names]


def _stop_on_config_problems(problems: Sequence[Exception]) -> None:
    """A config a pack rejects is bad input (exit 2, every line of it); a pack that fails to
    answer is a failed run (exit 1)."""
    from obsgov.gate.engine import PolicyConfigError

    for problem in problems:
        if isinstance(problem, PolicyConfigError):
            for line in problem.lines:
                error(line)
    if any(isinstance(p, PolicyConfigError) for p in problems):
        raise typer.Exit(EXIT_INPUT)
    if problems:
        fail(str(problems[0]), EXIT_VERDICT)


def make_folder(folder: Path, option: str) -> None:
    """Create an output folder that was checked before the work started; a failure now (the
    disk filled, permissions changed meanwhile) is still the user's to fix, not a crash."""
    from obsgov.io import display_path

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{option}: {display_path(folder)} cannot be created ({exc.strerror})", EXIT_INPUT)


@app.command("bundle")
@command
def bundle(
    out_dir: Path = typer.Option(
        Path("policy-bundles"),
        "--out-dir",
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Folder to write one self-contained pack folder per pack into. No .gitignore "
        "above it may ignore it: `pulumi policy publish` honours them all.",
    ),
    policy_pack: list[Path] | None = typer.Option(
        None,
        "--policy-pack",
        metavar="DIR",
        file_okay=False,
        help="A pack folder to bundle. Repeatable. Default: every pack under policies/.",
    ),
) -> None:
    """Write each pack as a folder `pulumi policy publish` can publish.

    Each folder holds the pack's __main__.py, the obsgov_policies library vendored beside
    it, a requirements.txt pinned to this environment's versions and a PulumiPolicy.yaml
    declaring the venv virtualenv they are installed into.
    """
    from obsgov.gate.bundle import write_bundle
    from obsgov.gate.launch import refuse_duplicates
    from obsgov.gate.project import discover_policy_packs, load_policy_pack
    from obsgov.gate.selection import POLICIES_ROOT

    directories = list(policy_pack or discover_policy_packs(POLICIES_ROOT))
    if not directories:
        fail(f"no policy packs found under {POLICIES_ROOT}", EXIT_INPUT)
    projects = [load_policy_pack(d) for d in directories]
    refuse_duplicates(projects)
    check_output_folder(out_dir, "--out-dir", packs=projects)
    make_folder(out_dir, "--out-dir")
    for project in projects:
        written = write_bundle(project, out_dir)
        out.print(str(written.directory))


@app.command("inventory")
@command
def inventory(
    stacks_dir: Path | None = StacksDirOption,
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Inventory file to write (default: <stacks dir>/physical-names.json).",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Write nothing; exit 1 when the committed inventory is not what the stacks make now.",
    ),
) -> None:
    """Judge every environment's physical names and singletons together.

    Synthesizes each stacks/Pulumi.<ENV>.yaml, finds names two stacks both create and
    things AWS allows once per account and Region (an OAM sink) that several stacks create,
    and writes each stack's claims to the inventory file. The gate gives every environment
    the others' claims from that file (deploy-readiness pack, otherStacks). Exit 1 when
    stacks collide.
    """
    from obsgov.gate.inventory import (
        build_inventory,
        inventory_path,
        judge_all,
        load_inventory,
        write_inventory,
    )

    directory = stacks_dir or default_stacks_dir()
    target = output or inventory_path(directory)
    if not check:
        # the inventory file is this command's own output, the one file in stacks/ it may write
        check_output(
            target, "--output", [], stacks_dir=directory, allowed=[inventory_path(directory)]
        )
    current = build_inventory(directory)
    findings = judge_all(current)
    for finding in findings:
        out.print(escape(finding), soft_wrap=False)
    if check:
        committed = load_inventory(target)
        if committed is None or committed.to_json() != current.to_json():
            fail(
                f"{target} is not what the stacks make now; run `obsgov policy inventory`",
                EXIT_VERDICT,
            )
        err.print(f"{target} is current")
    else:
        write_inventory(current, target)
        err.print(f"wrote {target} ({len(current.stacks)} stacks)")
    if findings:
        raise typer.Exit(EXIT_VERDICT)
