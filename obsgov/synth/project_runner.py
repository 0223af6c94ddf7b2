"""Run a team's Pulumi program under the mocks, in a process of its own.

The program runs as the Python language host runs it (``pulumi-language-python-exec``): from
its project folder, ``main`` run with ``runpy`` as ``__main__``, its own modules importable.
A process of its own keeps the team's modules, working directory and the SDK's global state
away from obsgov and from the next program (two teams may both have a ``components`` package).
The parent sends a JSON request file and reads a JSON result file; the program's own output
is shown only when it fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from obsgov.graph import ResourceGraph, sort_resources

from .runner import SynthesisError, _relaxed_gc, install_mocks

DEFAULT_TIMEOUT = 900.0


@dataclass
class ProgramRun:
    """Everything the program's process needs, as JSON."""

    directory: str
    program: str
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    region: str
    provider_config: dict[str, str]
    preview: bool = True
    organization: str = "organization"
    stack_outputs: dict[str, Any] = field(default_factory=dict)


def synthesize_program(run: ProgramRun, timeout: float = DEFAULT_TIMEOUT) -> ResourceGraph:
    """The program's resource graph; :class:`SynthesisError` when the program fails."""
    with tempfile.TemporaryDirectory(prefix="obsgov-program-") as scratch:
        request, result = Path(scratch, "request.json"), Path(scratch, "result.json")
        request.write_text(json.dumps(asdict(run)), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        try:
            done = subprocess.run(
                [sys.executable, "-m", __name__, str(request), str(result)],
                cwd=run.directory,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SynthesisError(
                f"the program did not finish within {timeout:.0f} seconds"
            ) from None
        if not result.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SynthesisError(
                f"the program's process ended (exit {done.returncode}) without a result: {tail[0]}"
            )
        payload = json.loads(result.read_text(encoding="utf-8"))
    if "error" in payload:
        output = (done.stdout + done.stderr).strip()
        message = payload["error"]
        if output:
            message += "\nthe program printed:\n" + "\n".join(output.splitlines()[-20:])
        raise SynthesisError(message)
    return ResourceGraph.from_dict(payload["graph"])


def _where(exc: BaseException, directory: Path) -> str:
    """The innermost line of the team's own code the exception passed through."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(directory)
        except (ValueError, OSError):
            continue
        if ".venv" in relative.parts or "site-packages" in relative.parts:
            continue
        found = f"{relative.as_posix()}:{frame.lineno}"
    return found


def _own_file(filename: str, directory: Path) -> str | None:
    """``filename`` when it is the team's own code under ``directory`` (not a virtualenv)."""
    try:
        relative = Path(filename).resolve().relative_to(directory)
    except (ValueError, OSError):
        return None
    if relative.parts and relative.parts[0].startswith(".") or "site-packages" in relative.parts:
        return None
    return str(directory / relative)


@contextlib.contextmanager
def creation_sites(directory: Path, sites: dict[tuple[str, str], str]) -> Iterator[None]:
    """Record where in the team's own code each resource is made (``file:line`` of the
    innermost frame in the project), keyed by type and name: code scanning shows a finding
    on the line that made the resource."""
    import pulumi.resource

    original = pulumi.resource.Resource.__init__

    def recording(self: Any, t: str, name: str, *args: Any, **kwargs: Any) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            own = _own_file(frame.f_code.co_filename, directory)
            if own is not None:
                sites.setdefault((t, name), f"{own}:{frame.f_lineno}")
                break
            frame = frame.f_back  # type: ignore[assignment]
        original(self, t, name, *args, **kwargs)

    pulumi.resource.Resource.__init__ = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        pulumi.resource.Resource.__init__ = original  # type: ignore[method-assign]


def run_in_this_process(run: ProgramRun) -> ResourceGraph:
    """Run the program here (the child process's side)."""
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from .monitor import ObsgovMocks, RecordingMonitor, output_form_invokes

    directory = Path(run.directory).resolve()
    program = Path(run.program)
    impl = ObsgovMocks(run.project, run.stack)
    impl.stack_outputs = dict(run.stack_outputs)
    monitor = RecordingMonitor(
        preview=run.preview,
        default_region=run.region,
        mock_impl=impl,
        provider_config=run.provider_config,
    )
    errors = install_mocks(
        impl,
        monitor,
        project=run.project,
        stack=run.stack,
        preview=run.preview,
        organization=run.organization,
        config=run.config,
        secret_keys=run.secret_keys,
    )
    if program.is_file():
        # runpy puts a folder it runs on sys.path itself, never a file's folder
        sys.path.insert(0, str(program.parent))
    sys.argv = [str(program)]

    def body() -> None:
        runpy.run_path(str(program), run_name="__main__")

    sites: dict[tuple[str, str], str] = {}
    try:
        with output_form_invokes(), creation_sites(directory, sites), _relaxed_gc():
            _sync_await(run_pulumi_func(body))
    except Exception as exc:  # the program's own bug, or a RunError: its type, message and line
        where = _where(exc, directory)
        at = f" at {where}" if where else ""
        raise SynthesisError(f"{type(exc).__name__}{at}: {exc}") from exc
    if errors.messages:
        raise SynthesisError("\n".join(errors.messages))
    sources = {
        urn: sites[(record.type, record.name)]
        for urn, record in monitor.records.items()
        if (record.type, record.name) in sites
    }
    return ResourceGraph(
        project=run.project,
        stack=run.stack,
        preview=run.preview,
        resources=sort_resources(monitor.records.values()),
        unanswered_invokes=dict(impl.invokes.unanswered),
        derived_invokes=dict(impl.invokes.derived),
        stack_references=dict(impl.stack_references),
        sources=sources,
    )


def main(argv: Sequence[str]) -> int:
    request, result = Path(argv[0]), Path(argv[1])
    run = ProgramRun(**json.loads(request.read_text(encoding="utf-8")))
    payload: Mapping[str, Any]
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            graph = run_in_this_process(run)
        payload = {"graph": graph.to_dict()}
    except SynthesisError as exc:
        payload = {"error": str(exc)}
    finally:
        sys.stdout.write(captured.getvalue())
    result.write_text(json.dumps(payload), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
