"""Run the real Pulumi program offline and return its resource graph.

The program (``__main__.py``) runs unmodified under the SDK's mock monitor, with the stack's
config applied exactly as the CLI applies it, in preview mode by default so unknown outputs
behave as in ``pulumi preview``.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from obsgov.config.loader import PROJECT, EnvironmentConfig, load_environment
from obsgov.graph import ResourceGraph, sort_resources

from .mocked_run import SynthesisError, _relaxed_gc, install_mocks
from .monitor import ObsgovMocks, RecordingMonitor, output_form_invokes

__all__ = ["SynthesisError", "install_mocks", "synthesize", "synthesize_stack"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROGRAM = PROJECT_ROOT / "__main__.py"

# The SDK keeps its runtime state in module globals and context variables: one synthesis at a
# time per process.
_LOCK = threading.Lock()


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
) -> ResourceGraph:
    """Run ``program`` for ``env``'s stack under mocks and return the recorded graph."""
    with _LOCK:
        return _synthesize(env, preview, program, organization)


def _synthesize(
    env: EnvironmentConfig, preview: bool, program: Path, organization: str
) -> ResourceGraph:
    region = env.config_map.get("aws:region", env.settings.region)
    impl = ObsgovMocks(PROJECT, env.stack)
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
