"""Run the real Pulumi program offline and return its resource graph.

The program (``__main__.py``) runs unmodified under the SDK's mock monitor, with the stack's
config applied exactly as the CLI applies it, in preview mode by default so unknown outputs
behave as in ``pulumi preview``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import runpy
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from obsgov.config.loader import PROJECT, EnvironmentConfig, load_environment
from obsgov.errors import InputError, Problem
from obsgov.graph import ResourceGraph, sort_resources
from obsgov.io import display_path

from .mocked_run import SynthesisError, _relaxed_gc, install_mocks
from .monitor import ObsgovMocks, RecordingMonitor, output_form_invokes

__all__ = ["SynthesisError", "install_mocks", "synthesize", "synthesize_stack"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROGRAM = PROJECT_ROOT / "__main__.py"

# The SDK keeps its runtime state in module globals and context variables: one synthesis at a
# time per process.
_LOCK = threading.Lock()


@contextlib.contextmanager
def _own_event_loop() -> Iterator[None]:
    """An event loop for this synthesis alone, closed with its executor afterwards, and the
    thread's own loop given back. The SDK sends every registration through the loop's default
    executor; on the thread's long-lived loop those executor threads (six, idle) outlived every
    synthesis."""
    policy = asyncio.get_event_loop_policy()
    try:
        previous = policy.get_event_loop()
    except RuntimeError:  # a thread that has none
        previous = None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            asyncio.set_event_loop(previous)


@contextlib.contextmanager
def _program_context(program: Path, stacks_dir: Path) -> Iterator[None]:
    """The program's folder on sys.path (it imports components/) and OBSGOV_STACKS_DIR set to
    the environment's folder (where the program reads its stack files)."""
    root = str(program.parent)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    previous = os.environ.get("OBSGOV_STACKS_DIR")
    os.environ["OBSGOV_STACKS_DIR"] = str(stacks_dir)
    try:
        yield
    finally:
        if added:
            sys.path.remove(root)
        if previous is None:
            os.environ.pop("OBSGOV_STACKS_DIR", None)
        else:
            os.environ["OBSGOV_STACKS_DIR"] = previous


def synthesize(
    env: EnvironmentConfig,
    *,
    preview: bool = True,
    program: Path = DEFAULT_PROGRAM,
    organization: str = "organization",
    stack_outputs: Mapping[str, Any] | None = None,
) -> ResourceGraph:
    """Run ``program`` for ``env``'s stack under mocks and return the recorded graph.

    The stacks it references (the organisation stack, a shard's central stack) are read as
    deployed: ``stack_outputs`` (``pulumi stack output --json`` by fully qualified name) where
    given, else the outputs of that stack synthesized as after ``pulumi up``."""
    outputs = referenced_outputs(env, program, organization, stack_outputs or {})
    with _LOCK, _own_event_loop():
        return _synthesize(env, preview, program, organization, outputs)


#: The outputs obsgov's program reads from a referenced stack (components/environment/
#: stacks.py: the OAM sink the organisation stack, or a shard's central stack, exports).
REQUIRED_OUTPUTS = ("sinkArn",)


def referenced_stacks(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """The stacks ``env``'s program reads through a StackReference (components/environment/
    stacks.py), each with the config key that names it."""
    return stacks_read_by(env.settings)


def stacks_read_by(settings: Any) -> list[tuple[str, str]]:
    """:func:`referenced_stacks` from a stack's settings alone (the environment gate asks it
    of every shard without loading the shard's registry)."""
    names = [(settings.organization_stack, "obsgov:organizationStack")]
    if settings.stack_role == "shard" and not settings.organization_stack:
        names.append((settings.shard_of, "obsgov:shardOf"))
    return [(n, key) for n, key in names if n]


def referenced_outputs(
    env: EnvironmentConfig, program: Path, organization: str, given: Mapping[str, Any]
) -> dict[str, Any]:
    """Every referenced stack's outputs: ``given`` (``--stack-outputs``) by fully qualified
    name, else the stack synthesized from its file in the stacks folder as ``pulumi up`` would
    leave it.

    The engine reads a StackReference in preview too (``ReadStep.Apply`` in pkg/resource/
    deploy/step.go: "Read steps run during previews"), through the builtin provider's
    ``readStackReference`` (pkg/resource/deploy/builtins.go), which fails with ``unknown stack``
    when the stack does not exist; ``require_output`` raises KeyError for a missing output
    (sdk/python/lib/pulumi/stack_reference.py). Offline, both are bad input named here."""
    outputs = dict(given)
    shown = display_path(env.stack_file)
    problems = []
    for stack, key in referenced_stacks(env):
        name = f"{organization}/{PROJECT}/{stack}"
        stack_file = env.stack_file.parent / f"Pulumi.{stack}.yaml"
        source = f"--stack-outputs {name}"
        if name not in outputs:
            if not stack_file.is_file():
                problems.append(
                    Problem(
                        shown,
                        f"config.{key}",
                        f"stack {stack!r} is read through a StackReference, but there is no "
                        f"{display_path(stack_file)} to synthesize it from and no "
                        f"--stack-outputs {name}=FILE (`pulumi stack output --json`)",
                    )
                )
                continue
            outputs[name] = deployed_outputs(stack_file, stack)
            source = display_path(stack_file)
        found = outputs[name]
        for output in REQUIRED_OUTPUTS:
            if not isinstance(found, Mapping) or output not in found:
                have = ", ".join(sorted(found)) if isinstance(found, Mapping) else "none"
                problems.append(
                    Problem(
                        source,
                        output,
                        f"stack {stack!r} ({key} of {shown}) has no output {output!r} "
                        f"(its outputs: {have or 'none'})",
                    )
                )
    if problems:
        raise InputError(problems)
    return outputs


_DEPLOYED: dict[tuple[str, str], dict[str, Any]] = {}


def deployed_outputs(stack_file: Path, stack: str) -> dict[str, Any]:
    """A referenced stack's outputs as ``pulumi up`` would leave them (synthesized once per
    process and content of its input files)."""
    referenced = load_environment(stack, stack_file)
    digest = hashlib.sha256(
        b"".join(p.read_bytes() for p in referenced.input_files if p.is_file())
    ).hexdigest()
    key = (str(stack_file.resolve()), digest)
    if key not in _DEPLOYED:
        graph = synthesize(referenced, preview=False)
        _DEPLOYED[key] = stack_exports(graph)
    return _DEPLOYED[key]


def stack_exports(graph: ResourceGraph) -> dict[str, Any]:
    """The stack's exported outputs (the root ``pulumi:pulumi:Stack`` resource's)."""
    for resource in graph.resources:
        if resource.type == "pulumi:pulumi:Stack":
            return dict(resource.outputs)
    return {}


def _synthesize(
    env: EnvironmentConfig,
    preview: bool,
    program: Path,
    organization: str,
    stack_outputs: Mapping[str, Any],
) -> ResourceGraph:
    region = env.config_map.get("aws:region", env.settings.region)
    impl = ObsgovMocks(PROJECT, env.stack)
    impl.stack_outputs = dict(stack_outputs)
    monitor = RecordingMonitor(preview=preview, default_region=region, mock_impl=impl)
    errors = install_mocks(
        impl,
        monitor,
        project=PROJECT,
        stack=env.stack,
        preview=preview,
        organization=organization,
        config=env.config_map,
    )

    def run() -> None:
        runpy.run_path(str(program), run_name="__main__")
        # the exports, on the root stack as `pulumi up` records them (what a StackReference
        # to this stack reads)
        from .program_host import _register_stack_outputs

        _register_stack_outputs()

    from .program_host import creation_sites

    stdout = io.StringIO()
    sites: dict[tuple[str, str], str] = {}
    try:
        with (
            _program_context(program, env.stack_file.parent),
            # the program's own line that made each resource, for findings to point at
            creation_sites(program.parent.resolve(), sites),
            output_form_invokes(),
            _relaxed_gc(),
            contextlib.redirect_stdout(stdout),
        ):
            _sync_await(run_pulumi_func(run))
    except pulumi.RunError as exc:
        raise SynthesisError(str(exc)) from None
    except Exception as exc:  # the program's own bug: report it with its type, not a traceback
        raise SynthesisError(f"{program.name} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        settings.ROOT.set(None)
    if errors.messages:
        raise SynthesisError("\n".join(errors.messages))

    accounts = {
        env.org.organization.management_account_id: "management",
        env.org.organization.observability_account_id: "observability",
        env.org.organization.log_archive_account_id: "log-archive",
    }
    accounts.update({a.id: a.name for a in env.registry.accounts})
    return ResourceGraph(
        project=PROJECT,
        stack=env.stack,
        preview=preview,
        resources=sort_resources(monitor.records.values()),
        accounts=accounts,
        unanswered_invokes=dict(impl.invokes.unanswered),
        derived_invokes=dict(impl.invokes.derived),
        stack_references=dict(impl.stack_references),
        # relative to the program's folder, so the graph is the same wherever it runs
        sources={
            urn: os.path.relpath(sites[(record.type, record.name)], program.parent.resolve())
            for urn, record in monitor.records.items()
            if (record.type, record.name) in sites
        },
    )


def synthesize_stack(
    stack: str, stack_file: Path, *, preview: bool = True, program: Path | None = None
) -> ResourceGraph:
    env = load_environment(stack, stack_file)
    return synthesize(env, preview=preview, program=program or DEFAULT_PROGRAM)
