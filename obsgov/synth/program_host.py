"""The process a team's program runs in: the team's own interpreter, under obsgov's monitor.

It does what the Python language host's ``pulumi-language-python-exec`` does before it runs a
program (sdk/python/cmd/pulumi-language-python-exec): stop with the host's own message when
the environment has no Pulumi SDK, apply the config, set project, stack, organization and root
directory, change to the program's folder (``--pwd``: ``main``'s folder, or ``main`` itself when
it is one) and ``runpy`` the entry point (``.`` for a folder) as ``__main__``. Then the mocks
stand in for the engine. It imports only the standard library, the Pulumi SDK and obsgov's
monitor modules, which is all a team's virtualenv is expected to hold besides the program's own
dependencies. The parent (:mod:`.project_runner`) sends a JSON request and reads a JSON result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# The language host's words (pulumi-language-python-exec) when the SDK is not installed.
SDK_MISSING = (
    "It looks like the Pulumi SDK has not been installed. Have you run pip install?\n"
    "If you are running in a virtualenv, you must run pip install -r requirements.txt from "
    "inside the virtualenv."
)
# The oldest SDK whose mock monitor has everything obsgov's monitor relies on (output-form
# invokes, invoke dependencies, set_mocks' organization, secret config keys).
MINIMUM_SDK = (3, 150, 0)


class HostError(Exception):
    """The program could not be run, or failed; the message is shown as it is."""


def _where(exc: BaseException, directory: Path) -> str:
    """The innermost line of the team's own code the exception passed through."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(directory)
        except (ValueError, OSError):
            continue
        if relative.parts and relative.parts[0].startswith("."):
            continue
        if "site-packages" in relative.parts or "venv" in relative.parts:
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


def _sdk_version() -> tuple[int, ...] | None:
    from importlib import metadata

    try:
        text = metadata.version("pulumi")
    except metadata.PackageNotFoundError:
        return None
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def check_sdk() -> None:
    try:
        import pulumi  # noqa: F401
        import pulumi.runtime  # noqa: F401
    except ImportError as exc:
        raise HostError(f"{type(exc).__name__}: {exc}\n\n{SDK_MISSING}") from None
    version = _sdk_version()
    if version is not None and version < MINIMUM_SDK:
        shown = ".".join(map(str, version))
        needed = ".".join(map(str, MINIMUM_SDK))
        raise HostError(
            f"the program's environment has pulumi {shown}; obsgov runs programs under the "
            f"SDK's mocks, which needs pulumi >= {needed} there (pip install -U pulumi)"
        )


def _register_stack_outputs() -> None:
    """The program's exports, registered on the root stack once it has run, as
    ``run_in_stack`` registers them (the mocks finished the stack when they set it up)."""
    from pulumi.runtime import settings
    from pulumi.runtime.stack import massage

    root = settings.get_root_resource()
    outputs = getattr(root, "outputs", None)
    register = getattr(root, "register_outputs", None)
    if register is not None and outputs:
        register(massage(outputs, []))


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """Run the program of ``request`` (a :class:`.project_runner.ProgramRun` as JSON) and
    return its graph as JSON."""
    check_sdk()
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from obsgov.graph import ResourceGraph, sort_resources

    from .mocked_run import _relaxed_gc, install_mocks
    from .monitor import ObsgovMocks, RecordingMonitor, output_form_invokes

    directory = Path(request["directory"]).resolve()
    impl = ObsgovMocks(request["project"], request["stack"])
    impl.stack_outputs = dict(request.get("stack_outputs") or {})
    monitor = RecordingMonitor(
        preview=bool(request["preview"]),
        default_region=request["region"],
        mock_impl=impl,
        provider_config=request.get("provider_config") or {},
        config=request.get("config") or {},
    )
    errors = install_mocks(
        impl,
        monitor,
        project=request["project"],
        stack=request["stack"],
        preview=bool(request["preview"]),
        organization=request.get("organization") or "organization",
        config=request.get("config") or {},
        secret_keys=request.get("secret_keys") or [],
        root_directory=str(directory),
    )
    entry = request.get("entry") or "."
    sys.argv = [entry]
    os.chdir(request.get("pwd") or directory)

    def body() -> None:
        runpy.run_path(entry, run_name="__main__")
        _register_stack_outputs()

    sites: dict[tuple[str, str], str] = {}
    try:
        with output_form_invokes(), creation_sites(directory, sites), _relaxed_gc():
            _sync_await(run_pulumi_func(body))
    except Exception as exc:  # the program's own bug, or a RunError: its type, message and line
        where = _where(exc, directory)
        at = f" at {where}" if where else ""
        raise HostError(f"{type(exc).__name__}{at}: {exc}{impl.invokes.empty_note()}") from exc
    if errors.messages:
        raise HostError("\n".join(errors.messages) + impl.invokes.empty_note())
    sources = {
        urn: sites[(record.type, record.name)]
        for urn, record in monitor.records.items()
        if (record.type, record.name) in sites
    }
    graph = ResourceGraph(
        project=request["project"],
        stack=request["stack"],
        preview=bool(request["preview"]),
        resources=sort_resources(monitor.records.values()),
        unanswered_invokes=dict(impl.invokes.unanswered),
        derived_invokes=dict(impl.invokes.derived),
        stack_references=dict(impl.stack_references),
        sources=sources,
    )
    return graph.to_dict()


def main(argv: Sequence[str]) -> int:
    request_file, result_file = Path(argv[0]), Path(argv[1])
    request = json.loads(request_file.read_text(encoding="utf-8"))
    # ``-m`` put the starting folder first on sys.path; the language host runs the program
    # from a script elsewhere, so only runpy's entry (a folder ``main``) is importable
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    captured = io.StringIO()
    payload: dict[str, Any]
    try:
        with contextlib.redirect_stdout(captured):
            payload = {"graph": run(request)}
    except HostError as exc:
        payload = {"error": str(exc)}
    finally:
        sys.stdout.write(captured.getvalue())
        sys.stdout.flush()
    result_file.write_text(json.dumps(payload), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
