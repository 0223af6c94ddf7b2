"""``obsgov policy``: judge a deployed stack, write pack configs and publishable bundles."""

from __future__ import annotations

import json
from pathlib import Path

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
    TimeoutOption,
    check_format,
    environment_sources,
    run_and_report,
)
from .output import check_output

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
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Judge a deployed stack from its `pulumi stack export` file.

    As `pulumi policy analyze --file`: Analyze runs on each live resource's inputs,
    AnalyzeStack on outputs with parents and dependencies; resources pending deletion are
    skipped. Secrets are decrypted for a passphrase stack when PULUMI_CONFIG_PASSPHRASE (or
    PULUMI_CONFIG_PASSPHRASE_FILE) is set; otherwise they show as [secret].
    """
    from obsgov.gate.engine import run_gate
    from obsgov.gate.selection import select_packs
    from obsgov.gate.state import load_state
    from obsgov.reports.findings import environment_suppressions

    check_format(fmt, output, [file, *(policy_pack_config or [])])
    graph, warnings = load_state(file, stack)
    directory = stacks_dir or default_stacks_dir()
    name = stack or graph.stack
    env = None
    if stack is not None or (directory / f"Pulumi.{name}.yaml").exists():
        env = load_stack(name, directory)
        graph.accounts = {a.id: a.name for a in env.registry.accounts}
        if output is not None:  # the environment's own files are inputs too
            check_output(output, "--output", [file, *(policy_pack_config or []), *env.input_files])
    chosen = select_packs(env, policy_pack, policy_pack_config)
    for line in warnings:
        err.print(f"warning: {escape(line)}")
    run_and_report(
        lambda options: run_gate(graph, chosen, options),
        env,
        fmt,
        output,
        # results point at the environment's files; the state file is rarely in the repository
        environment_sources(env) if env is not None else file,
        pack_timeout,
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
        "every pack under policies/); prints one '--policy-pack ... --policy-pack-config ...' "
        "line per pack.",
    ),
    stacks_dir: Path | None = StacksDirOption,
) -> None:
    """Write the environment's pack config for `pulumi preview --policy-pack-config`.

    Each file holds what obsgov derives from stacks/ (enforcement level, tag schema,
    thresholds) merged with the pack's per-environment config file, in the CLI's format: the
    same single document the gate reconciles. A file the pack would reject is not written
    (exit 2).
    """
    from concurrent.futures import ThreadPoolExecutor

    from obsgov.gate.engine import PolicyConfigError
    from obsgov.gate.plugin import PackError
    from obsgov.gate.project import load_policy_pack
    from obsgov.gate.selection import environment_pack_config, stack_pack_projects
    from obsgov.io import write_atomic

    if (policy_pack is None) == (out_dir is None):
        fail("give either --policy-pack DIR with --output FILE, or --out-dir DIR", EXIT_INPUT)
    if policy_pack is not None and output is None:
        fail("--policy-pack needs --output FILE", EXIT_INPUT)
    if out_dir is not None and output is not None:
        fail("--output goes with --policy-pack; --out-dir names its files itself", EXIT_INPUT)
    env = load_stack(stack, stacks_dir)
    inputs = [env.stack_file, env.organization_file, env.registry_file]
    if policy_pack is not None:
        assert output is not None
        projects = [load_policy_pack(policy_pack)]
        targets = [output]
    else:
        assert out_dir is not None
        if out_dir.exists() and not out_dir.is_dir():
            fail(f"--out-dir: {out_dir} is not a folder", EXIT_INPUT)
        projects = stack_pack_projects(env)
        names = [p.directory.name for p in projects]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            fail(
                f"--out-dir: two packs share the folder name {clash[0]!r}; their files "
                "would collide",
                EXIT_INPUT,
            )
        targets = [out_dir / f"{name}.json" for name in names]
        out_dir.mkdir(parents=True, exist_ok=True)
    for target in targets:
        check_output(target, "--output" if out_dir is None else "--out-dir", inputs)

    with ThreadPoolExecutor(max_workers=min(len(projects), 4) or 1) as pool:
        futures = [pool.submit(environment_pack_config, env, p) for p in projects]
        documents, problems = [], []
        for future in futures:
            try:
                documents.append(future.result())
            except (PackError, PolicyConfigError) as exc:
                problems.append(exc)
    for problem in problems:
        if isinstance(problem, PolicyConfigError):
            for line in problem.lines:
                error(line)
    if any(isinstance(p, PolicyConfigError) for p in problems):
        raise typer.Exit(EXIT_INPUT)
    if problems:
        fail(str(problems[0]), EXIT_VERDICT)
    for project, target, document in zip(projects, targets, documents, strict=True):
        write_atomic(target, json.dumps(document, indent=2, sort_keys=True) + "\n")
        if out_dir is not None:
            out.print(f"--policy-pack {project.directory} --policy-pack-config {target}")
        else:
            err.print(f"wrote {target}")


@app.command("bundle")
@command
def bundle(
    out_dir: Path = typer.Option(
        Path("dist/policies"),
        "--out",
        metavar="DIR",
        file_okay=False,
        help="Folder to write one self-contained pack folder per pack into.",
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
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"--out: {out_dir} is not a folder", EXIT_INPUT)
    for project in projects:
        if out_dir.resolve() == project.directory or project.directory in out_dir.resolve().parents:
            fail(f"--out: {out_dir} is inside the pack {project.directory}", EXIT_INPUT)
    out_dir.mkdir(parents=True, exist_ok=True)
    for project in projects:
        written = write_bundle(project, out_dir)
        out.print(str(written.directory))
