"""Run a team's Pulumi program under the mocks, in its own environment and process.

The program runs as the Python language host runs it: with the interpreter of the project's
own environment (:mod:`.environment`: ``runtime.options`` virtualenv, toolchain, typechecker),
from ``main``'s folder, ``main`` run with ``runpy`` as ``__main__`` (:mod:`.program_host`, which
that interpreter runs with obsgov's monitor modules put on its path). A process of its own keeps
the team's modules, working directory and the SDK's global state away from obsgov and from the
next program. It runs in a session of its own with no standard input; when it outlives the
timeout, or leaves processes behind, the whole process group is killed. Its output goes to
files, not pipes, so a leftover grandchild cannot hold obsgov waiting. The program's own output
is shown only when it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from obsgov.graph import ResourceGraph

from .environment import (
    EnvironmentProblem,
    TypecheckFailed,
    parse_runtime_options,
    resolve_environment,
    run_typechecker,
)
from .mocked_run import SynthesisError

DEFAULT_TIMEOUT = 900.0
HOST_MODULE = "obsgov.synth.program_host"


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
    # Pulumi.yaml's runtime.options
    options: dict[str, Any] = field(default_factory=dict)

    def pwd_and_entry(self) -> tuple[str, str]:
        """``getPwdMain`` (pkg/engine/project.go): a folder ``main`` is the working folder
        and the entry point is ``.``; a file ``main`` runs from its own folder by name."""
        main = Path(self.program)
        if main.is_dir():
            return str(main), "."
        return str(main.parent), main.name


@contextlib.contextmanager
def host_path() -> Iterator[str]:
    """A folder holding only obsgov's two packages the host imports (links to them), for
    the program's ``PYTHONPATH``: the team's environment gets nothing else of obsgov's."""
    import obsgov
    import obsgov_policies

    with tempfile.TemporaryDirectory(prefix="obsgov-host-") as folder:
        for package in (obsgov, obsgov_policies):
            source = Path(package.__file__ or "").resolve().parent
            os.symlink(source, Path(folder, source.name), target_is_directory=True)
        yield folder


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the program's session: it and anything it started (a daemon holding files)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def program_environment(run: ProgramRun, environ: Mapping[str, str] = os.environ):
    """The interpreter and environment the language host would run ``run`` with."""
    pwd, _ = run.pwd_and_entry()
    try:
        options = parse_runtime_options(run.options)
        return resolve_environment(Path(run.directory), Path(pwd), options, environ)
    except EnvironmentProblem as exc:
        notes = "".join(f"\nnote: {n}" for n in exc.notes)
        raise SynthesisError(f"the program's environment: {exc}{notes}") from None


def synthesize_program(
    run: ProgramRun,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] = os.environ,
) -> ResourceGraph:
    """The program's resource graph; :class:`SynthesisError` when it cannot run or fails."""
    environment = program_environment(run, environ)
    pwd, entry = run.pwd_and_entry()
    try:
        run_typechecker(environment, Path(pwd), timeout)
    except TypecheckFailed as exc:
        raise SynthesisError(str(exc)) from None
    request_data = {**asdict(run), "pwd": pwd, "entry": entry}
    with tempfile.TemporaryDirectory(prefix="obsgov-program-") as scratch, host_path() as path:
        request, result = Path(scratch, "request.json"), Path(scratch, "result.json")
        out, err = Path(scratch, "stdout"), Path(scratch, "stderr")
        request.write_text(json.dumps(request_data), encoding="utf-8")
        env = {k: v for k, v in environment.environ.items() if not k.startswith("PULUMI_")}
        env["PYTHONPATH"] = os.pathsep.join(
            [path, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
        )
        with out.open("wb") as stdout, err.open("wb") as stderr:
            try:
                process = subprocess.Popen(
                    [environment.python, "-m", HOST_MODULE, str(request), str(result)],
                    cwd=pwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    start_new_session=True,
                )
            except OSError as exc:
                raise SynthesisError(
                    f"could not start {environment.python}: {exc.strerror or exc}"
                ) from None
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                process.wait()
                raise SynthesisError(
                    f"the program did not finish within {timeout:g} seconds (--program-timeout)"
                ) from None
            finally:
                _kill_group(process)
        printed = "\n".join(t for t in (_tail(out), _tail(err)) if t)
        if not result.exists():
            last = printed.splitlines()[-1:] or ["no output"]
            raise SynthesisError(
                f"the program's process ended (exit {returncode}) without a result: {last[0]}"
            )
        payload = json.loads(result.read_text(encoding="utf-8"))
    if "error" in payload:
        message = payload["error"]
        if printed:
            message += "\nthe program printed:\n" + printed
        raise SynthesisError(message)
    return ResourceGraph.from_dict(payload["graph"])
