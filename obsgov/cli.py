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



# --------------------------------------------------------------------------- policy gate

policy_app = typer.Typer(
    help="Policy packs: judge a deployed stack, write pack configs for the Pulumi CLI.",
    no_args_is_help=True,
)
app.add_typer(policy_app, name="policy")

PackOption = typer.Option(
    None, "--policy-pack", help="A policy pack folder (PulumiPolicy.yaml). Repeatable. Default: "
    "the packs the stack's config lists, else every pack under policies/.",
)
PackConfigOption = typer.Option(
    None, "--policy-pack-config", help="Policy config JSON in the Pulumi CLI's format (keys: "
    "policy names or 'all'; values: a level or an object with enforcementLevel and properties). "
    "Repeatable: one per --policy-pack, in the same order.", dir_okay=False,
)
FormatOption = typer.Option(
    "text", "--format", "-f", help="Report format written to --output: text, json, sarif "
    "(SARIF 2.1.0 for GitHub code scanning) or junit (JUnit XML).",
)
OutputOption = typer.Option(
    None, "--output", "-o", help="File for the --format report (the text block is always "
    "printed).", dir_okay=False,
)
FORMATS = ("text", "json", "sarif", "junit")


def _stack_pack_files(env, directory: Path) -> list:
    """The per-environment config files the stack's policyPacks list gives for a pack."""
    from obsgov.gate.config import load_pack_config_file

    layers = []
    for i, ref in enumerate(env.settings.policy_packs):
        if ref.config and (env.stack_file.parent / ref.path).resolve() == directory.resolve():
            layers.append(load_pack_config_file(
                (env.stack_file.parent / ref.config).resolve(),
                f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].config"))
    return layers


def _resolve_packs(env, packs: Optional[list[Path]], configs: Optional[list[Path]]):
    from obsgov.gate.config import load_pack_config_file
    from obsgov.gate.envconfig import EnvironmentLayer
    from obsgov.gate.project import discover_policy_packs, load_policy_pack

    packs, configs = packs or [], configs or []
    if configs and len(configs) != len(packs):
        raise InputError.single(
            "--policy-pack-config", "",
            f"got {len(configs)} config file(s) for {len(packs)} --policy-pack folder(s); "
            "give one --policy-pack-config per --policy-pack, in the same order",
        )
    base_layers = [EnvironmentLayer(env)] if env is not None else []
    chosen = []
    if packs:
        for i, directory in enumerate(packs):
            project = load_policy_pack(directory)
            layers = list(base_layers)
            if env is not None:
                layers += _stack_pack_files(env, project.directory)
            if configs:
                layers.append(load_pack_config_file(configs[i]))
            chosen.append((project, layers))
        return chosen
    if env is not None and env.settings.policy_packs:
        for i, ref in enumerate(env.settings.policy_packs):
            directory = (env.stack_file.parent / ref.path).resolve()
            option = f"{display_path(env.stack_file)}: config.obsgov:policyPacks[{i}].path"
            project = load_policy_pack(directory, option)
            chosen.append((project, [*base_layers, *_stack_pack_files(env, directory)]))
        return chosen
    root = Path(__file__).resolve().parents[1] / "policies"
    for directory in discover_policy_packs(root):
        chosen.append((load_policy_pack(directory), list(base_layers)))
    if not chosen:
        raise InputError.single("--policy-pack", "", f"no policy packs found under {root}")
    return chosen


def _report(run, fmt: str, output: Optional[Path], location_file: Optional[Path]) -> None:
    from obsgov.gate.report import render_text, write_report

    render_text(run, out)
    if fmt != "text":
        assert output is not None
        write_report(run, fmt, output, location_file)
        err.print(f"wrote {fmt} report to {output}")
    elif output is not None:
        with output.open("w", encoding="utf-8") as handle:
            render_text(run, Console(file=handle, width=200, highlight=False, soft_wrap=True))


def _check_format(fmt: str, output: Optional[Path]) -> None:
    if fmt not in FORMATS:
        raise InputError.single("--format", "", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt != "text" and output is None:
        raise InputError.single("--output", "", f"--format {fmt} needs --output FILE")
    if output is not None:
        _check_writable(output, "--output")


TimeoutOption = typer.Option(
    300.0, "--pack-timeout", min=1.0,
    help="Seconds a pack may take to start or to answer one call before the gate fails closed.",
)


def _run_gate(gate, env, fmt, output, location_file, timeout: float) -> None:
    """Run ``gate(options)``, report, and exit with the gate's verdict."""
    from obsgov.gate.engine import GateOptions, PolicyConfigError

    options = GateOptions(stack_config=env.config_map if env is not None else {},
                          start_timeout=min(timeout, 60.0), call_timeout=timeout)
    try:
        run = gate(options)
    except PolicyConfigError as exc:
        for line in exc.lines:
            err.print(f"[bold red]error:[/bold red] {line}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    _report(run, fmt, output, location_file)
    raise typer.Exit(EXIT_FAILED if run.failed else EXIT_OK)


@app.command()
@handles_input_errors
def preview(
    stack: str = StackOption,
    policy_pack: Optional[list[Path]] = PackOption,
    policy_pack_config: Optional[list[Path]] = PackConfigOption,
    fmt: str = FormatOption,
    output: Optional[Path] = OutputOption,
    preview_mode: bool = typer.Option(
        True, "--preview/--no-preview",
        help="Judge the graph as `pulumi preview` sees it (unknown outputs) or as after an update.",
    ),
    pack_timeout: float = TimeoutOption,
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Synthesize a stack offline and judge it with the CrossGuard policy packs.

    The packs run unmodified, driven over Pulumi's Analyzer gRPC protocol as `pulumi preview
    --policy-pack` drives them. Exit 1 when any mandatory violation is found (or a pack fails),
    0 otherwise, 2 for usage or config errors.
    """
    from obsgov.gate.engine import synthesize_and_gate
    from obsgov.synth import SynthesisError

    _check_format(fmt, output)
    env = load_stack(stack, stacks_dir)
    chosen = _resolve_packs(env, policy_pack, policy_pack_config)

    def gate(options):
        try:
            return synthesize_and_gate(env, chosen, options, preview=preview_mode)
        except SynthesisError as exc:
            err.print(f"[bold red]error:[/bold red] the program failed: {exc}")
            raise typer.Exit(EXIT_FAILED) from None

    _run_gate(gate, env, fmt, output, env.registry_file, pack_timeout)


@policy_app.command("analyze")
@handles_input_errors
def policy_analyze(
    file: Path = typer.Option(..., "--file", help="`pulumi stack export` JSON of a deployed "
                              "stack.", dir_okay=False),
    stack: Optional[str] = typer.Option(
        None, "--stack", "-s", help="Environment whose config and pack list apply (default: the "
        "stack named in the file, when stacks/ has it)."),
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
    from obsgov.gate.state import load_state

    _check_format(fmt, output)
    graph = load_state(file)
    directory = stacks_dir or default_stacks_dir()
    name = stack or graph.stack
    env = None
    if stack is not None or (directory / f"Pulumi.{name}.yaml").exists():
        env = load_stack(name, directory)
        graph.accounts = {a.id: a.name for a in env.registry.accounts}
    chosen = _resolve_packs(env, policy_pack, policy_pack_config)
    _run_gate(lambda options: run_gate(graph, chosen, options), env, fmt, output, file, pack_timeout)


@policy_app.command("config")
@handles_input_errors
def policy_config(
    stack: str = StackOption,
    policy_pack: Path = typer.Option(..., "--policy-pack", help="The pack folder.", file_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="JSON file to write.", dir_okay=False),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Write the environment's config for one pack, for `pulumi preview --policy-pack-config`.

    The file holds what obsgov derives from stacks/ (enforcement level, tag schema, thresholds)
    merged with the pack's per-environment config file, in the CLI's format.
    """
    import json

    from google.protobuf import empty_pb2

    from obsgov.config.loader import PROJECT
    from obsgov.files import write_atomic
    from obsgov.gate.config import policies_from_info
    from obsgov.gate.engine import GateOptions, launch_pack
    from obsgov.gate.envconfig import environment_layer, pack_config_document
    from obsgov.gate.plugin import PackError
    from obsgov.gate.project import load_policy_pack

    env = load_stack(stack, stacks_dir)
    _check_writable(output, "--output")
    project = load_policy_pack(policy_pack)
    try:
        with launch_pack(project, env.stack, PROJECT, True,
                         GateOptions(stack_config=env.config_map)) as plugin:
            schemas = policies_from_info(plugin.call("GetAnalyzerInfo", empty_pb2.Empty()))
    except PackError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    layers = [environment_layer(env, schemas), *_stack_pack_files(env, project.directory)]
    write_atomic(output, json.dumps(pack_config_document(layers), indent=2, sort_keys=True) + "\n")
    err.print(f"wrote {output}")


# --------------------------------------------------------------------------- model registry

registry_app = typer.Typer(help="The SageMaker model registry, as the model-governance pack sees it.",
                           no_args_is_help=True)
app.add_typer(registry_app, name="registry")


@registry_app.command("snapshot")
@handles_input_errors
def registry_snapshot(
    env_name: str = typer.Option(..., "--env", "--stack", "-s",
                                 help="Environment whose modelApproval settings name the registry."),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", dir_okay=False,
        help="Snapshot file (default: the environment's modelApproval.snapshotFile)."),
    assume_role: bool = typer.Option(
        True, "--assume-role/--no-assume-role",
        help="Assume the deployment role in the registry account (default) or use the current "
             "credentials as they are."),
    stacks_dir: Optional[Path] = StacksDirOption,
) -> None:
    """Record every model package's approval status and metadata with boto3.

    The offline gate verifies model approval against this file; commit it with the change
    that deploys the model.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    from obsgov.model_registry import registry_client, take_snapshot, write_snapshot

    env = load_stack(env_name, stacks_dir)
    approval = env.settings.model_approval
    key = f"{display_path(env.stack_file)}: config.obsgov:modelApproval"
    if not approval.registry_account_id:
        raise InputError.single(key, "registryAccountId", "is not set: the environment has no model registry")
    target = output
    if target is None:
        if not approval.snapshot_file:
            raise InputError.single("--output", "", f"give --output or set snapshotFile in {key}")
        target = (env.stack_file.parent / approval.snapshot_file).resolve()
    _check_writable(target, "--output")
    role = env.role_arn(approval.registry_account_id) if assume_role else None
    try:
        client = registry_client(env.settings.region, role)
        snapshot = take_snapshot(client, approval.registry_account_id, env.settings.region)
    except NoCredentialsError:
        err.print("[bold red]error:[/bold red] no AWS credentials: set AWS_PROFILE or "
                  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
        raise typer.Exit(EXIT_FAILED) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        err.print(f"[bold red]error:[/bold red] AWS refused {exc.operation_name}: "
                  f"{error.get('Code')}: {error.get('Message')}")
        raise typer.Exit(EXIT_FAILED) from None
    except BotoCoreError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    write_snapshot(snapshot, target)
    out.print(f"wrote {len(snapshot['packages'])} model packages to {display_path(target)}")


def _check_writable(path: Path, option: str) -> None:
    if not path.parent.exists():
        raise InputError.single(option, "", f"folder {path.parent} does not exist")


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
