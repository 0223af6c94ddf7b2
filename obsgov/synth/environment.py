"""The Python environment a team's program runs in, chosen as the Python language host does.

``Pulumi.yaml``'s ``runtime.options`` are read as ``parseOptions`` reads them
(sdk/python/cmd/pulumi-language-python/main.go) and the toolchain is resolved as
``ResolveToolchain`` resolves it (sdk/python/toolchain/toolchain.go):

* ``toolchain`` unset: ``uv`` when a ``uv.lock`` is found searching up from the program's
  folder, else ``poetry`` for a ``poetry.lock``, else ``pip``;
* ``pip`` (pip.go): the ``virtualenv`` folder (relative to the project) must hold
  ``bin/python`` (``ValidateVenv``, ``NewVirtualEnvError``); without the option, the
  interpreter is ``PULUMI_PYTHON_CMD`` or ``python3``/``python`` on ``PATH`` (``CommandPath``);
* ``uv`` (uv.go): the ``virtualenv`` option, else ``UV_PROJECT_ENVIRONMENT`` or ``.venv``
  beside the nearest ``uv.lock`` or ``pyproject.toml``;
* ``poetry`` (poetry.go): the environment ``poetry env info --path`` names.

The interpreter runs with the environment activated (``ActivateVirtualEnv``: its ``bin``
first on ``PATH``, ``VIRTUAL_ENV`` set, ``PYTHONHOME`` dropped). A ``typechecker`` (mypy or
pyright) runs first, as ``Run`` runs it, and its failure fails the run.

One difference on purpose: before it runs a program, ``pulumi preview`` asks the language host
for the program's packages (``GetRequiredPackages``), which creates a missing or empty
virtualenv and installs ``requirements.txt`` into it (``EnsureVenv``); ``uv`` syncs the
environment before each run. obsgov never installs packages: it reports the environment
missing, with the commands the CLI suggests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOOLCHAINS = ("pip", "poetry", "uv")
TYPECHECKERS = ("mypy", "pyright")


class EnvironmentProblem(Exception):
    """The program's environment is not one the language host would run; worded as the
    host words it. ``notes`` say what obsgov does differently."""

    def __init__(self, message: str, notes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.notes = notes


@dataclass(frozen=True)
class RuntimeOptions:
    virtualenv: str = ""
    toolchain: str = ""  # "" is the host's Auto
    typechecker: str = ""


def parse_runtime_options(options: Mapping[str, Any] | None) -> RuntimeOptions:
    """``parseOptions``: its checks and its words."""
    options = options or {}
    virtualenv = options.get("virtualenv", "")
    if not isinstance(virtualenv, str):
        raise EnvironmentProblem("virtualenv option must be a string")
    typechecker = options.get("typechecker", "")
    if not isinstance(typechecker, str):
        raise EnvironmentProblem("typechecker option must be a string")
    if typechecker and typechecker not in TYPECHECKERS:
        raise EnvironmentProblem(f"unsupported typechecker option: {typechecker}")
    toolchain = options.get("toolchain", "")
    if not isinstance(toolchain, str):
        raise EnvironmentProblem("toolchain option must be a string")
    if toolchain and toolchain not in TOOLCHAINS:
        raise EnvironmentProblem(f"unsupported toolchain option: {toolchain}")
    return RuntimeOptions(virtualenv=virtualenv, toolchain=toolchain, typechecker=typechecker)


@dataclass(frozen=True)
class ProgramEnvironment:
    python: str
    environ: dict[str, str]
    toolchain: str
    virtualenv: Path | None = None
    typechecker: str = ""

    def describe(self) -> str:
        where = f"virtualenv {self.virtualenv}" if self.virtualenv else self.python
        return f"{self.toolchain}: {where}"


def _search_up(start: Path, name: str) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / name).exists():
            return folder
    return None


def is_virtualenv(folder: Path) -> bool:
    """``IsVirtualEnv``: the folder holds a ``bin/python`` file."""
    return (folder / "bin" / "python").is_file()


def activate(environ: Mapping[str, str], virtualenv: Path) -> dict[str, str]:
    """``ActivateVirtualEnv``."""
    activated = {
        k: v for k, v in environ.items() if k.upper() not in ("PYTHONHOME", "VIRTUAL_ENV", "PATH")
    }
    path = environ.get("PATH")
    bin_dir = str(virtualenv / "bin")
    activated["PATH"] = f"{bin_dir}{os.pathsep}{path}" if path is not None else bin_dir
    activated["VIRTUAL_ENV"] = str(virtualenv)
    return activated


def virtualenv_error(option: str, full_path: Path) -> EnvironmentProblem:
    """``NewVirtualEnvError`` (pip.go), with what obsgov does differently."""
    state = (
        "doesn't exist" if not full_path.exists() else "doesn't appear to be a virtual environment"
    )
    python = full_path / "bin" / "python"
    return EnvironmentProblem(
        f"The 'virtualenv' option in Pulumi.yaml is set to {option!r}, but {str(full_path)!r} "
        f"{state}; run the following commands to create the virtual environment and install "
        "dependencies into it:\n\n"
        f"    1. python3 -m venv {full_path}\n"
        f"    2. {python} -m pip install --upgrade pip setuptools wheel\n"
        f"    3. {python} -m pip install -r requirements.txt\n",
        notes=(
            "`pulumi preview` creates a missing or empty virtualenv and installs "
            "requirements.txt before it runs the program; obsgov installs nothing",
        ),
    )


def _command_path(environ: Mapping[str, str]) -> str:
    """``CommandPath`` (pip.go): ``PULUMI_PYTHON_CMD``, else ``python3``, else ``python``."""
    wanted = environ.get("PULUMI_PYTHON_CMD")
    names = [wanted] if wanted else ["python3", "python"]
    for name in names:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    listed = " ".join(f'"{n}"' for n in names)
    raise EnvironmentProblem(
        f"failed to locate any of [{listed}] on your PATH. Have you installed Python 3.6 or "
        "greater?"
    )


def _pip(root: Path, options: RuntimeOptions, environ: Mapping[str, str]) -> ProgramEnvironment:
    if not options.virtualenv:
        return ProgramEnvironment(
            python=_command_path(environ), environ=dict(environ), toolchain="pip"
        )
    virtualenv = Path(options.virtualenv)
    if not virtualenv.is_absolute():
        virtualenv = root / virtualenv
    if not is_virtualenv(virtualenv):
        raise virtualenv_error(options.virtualenv, virtualenv)
    return ProgramEnvironment(
        python=str(virtualenv / "bin" / "python"),
        environ=activate(environ, virtualenv),
        toolchain="pip",
        virtualenv=virtualenv,
    )


def _uv(
    root: Path, program_dir: Path, options: RuntimeOptions, environ: Mapping[str, str]
) -> ProgramEnvironment:
    if shutil.which("uv", path=environ.get("PATH")) is None:
        raise EnvironmentProblem(
            "Could not find `uv` executable.\nInstall uv and make sure it is in your PATH."
        )
    if options.virtualenv:
        virtualenv = Path(options.virtualenv)
        if not virtualenv.is_absolute():
            virtualenv = root / virtualenv
    else:
        project_dir = _search_up(program_dir, "uv.lock") or _search_up(
            program_dir, "pyproject.toml"
        )
        project_dir = project_dir or program_dir
        named = environ.get("UV_PROJECT_ENVIRONMENT")
        virtualenv = Path(named) if named else Path(".venv")
        if not virtualenv.is_absolute():
            virtualenv = project_dir / virtualenv
    if not is_virtualenv(virtualenv):
        raise EnvironmentProblem(
            f"'{virtualenv}' is not a virtualenv",
            notes=(
                "`pulumi preview` runs `uv sync` first, which creates it; obsgov installs "
                "nothing: run `uv sync` in the project",
            ),
        )
    return ProgramEnvironment(
        python=str(virtualenv / "bin" / "python"),
        environ=activate(environ, virtualenv),
        toolchain="uv",
        virtualenv=virtualenv,
    )


def _poetry(program_dir: Path, environ: Mapping[str, str]) -> ProgramEnvironment:
    poetry = shutil.which("poetry", path=environ.get("PATH"))
    if poetry is None:
        raise EnvironmentProblem(
            "Could not find `poetry` executable.\nInstall poetry and make sure it is in your "
            "PATH, or set the toolchain option in Pulumi.yaml to `pip`."
        )
    try:
        done = subprocess.run(
            [poetry, "env", "info", "--path"],
            cwd=program_dir,
            env=dict(environ),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(f"failed to get venv path: {exc}") from None
    path = done.stdout.strip()
    if done.returncode != 0:
        raise EnvironmentProblem(f"failed to get venv path: exit status {done.returncode}")
    if not path:
        raise EnvironmentProblem("expected a virtualenv path, got empty string")
    virtualenv = Path(path)
    if not is_virtualenv(virtualenv):
        raise EnvironmentProblem(f"'{virtualenv}' is not a virtualenv")
    return ProgramEnvironment(
        python=str(virtualenv / "bin" / "python"),
        environ=activate(environ, virtualenv),
        toolchain="poetry",
        virtualenv=virtualenv,
    )


def resolve_environment(
    root: Path,
    program_dir: Path,
    options: RuntimeOptions,
    environ: Mapping[str, str] = os.environ,
) -> ProgramEnvironment:
    toolchain = options.toolchain
    if not toolchain:
        if _search_up(program_dir, "uv.lock") is not None:
            toolchain = "uv"
        elif _search_up(program_dir, "poetry.lock") is not None:
            toolchain = "poetry"
        else:
            toolchain = "pip"
    if toolchain == "uv":
        found = _uv(root, program_dir, options, environ)
    elif toolchain == "poetry":
        found = _poetry(program_dir, environ)
    else:
        found = _pip(root, options, environ)
    return ProgramEnvironment(
        python=found.python,
        environ=found.environ,
        toolchain=found.toolchain,
        virtualenv=found.virtualenv,
        typechecker=options.typechecker,
    )


class TypecheckFailed(Exception):
    pass


def run_typechecker(environment: ProgramEnvironment, program_dir: Path, timeout: float) -> None:
    """What ``Run`` does before the program when ``typechecker`` is set: refuse a checker the
    environment lacks, run ``python -m mypy --exclude <virtualenv> <program folder>`` (or
    ``-m pyright <program folder>``) from the program's folder, and fail with its output."""
    checker = environment.typechecker
    if not checker:
        return
    probe = subprocess.run(
        [
            environment.python,
            "-c",
            f"import importlib.util,sys; sys.exit(importlib.util.find_spec({checker!r}) is None)",
        ],
        env=environment.environ,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        if environment.toolchain == "poetry":
            how = f"Please install it using `poetry add {checker}`."
        else:
            venv = environment.virtualenv or Path("")
            how = (
                f"Please add an entry for {checker} to requirements.txt and run "
                f"`{venv}/bin/pip install -r requirements.txt`"
            )
        raise TypecheckFailed(
            f"The typechecker option is set to {checker}, but {checker} is not installed. {how}"
        )
    args = [environment.python, "-m", checker]
    if checker == "mypy" and environment.virtualenv is not None:
        args += ["--exclude", os.path.relpath(environment.virtualenv, program_dir)]
    args.append(str(program_dir))
    try:
        done = subprocess.run(
            args,
            cwd=program_dir,
            env=environment.environ,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TypecheckFailed(f"{checker} did not finish within {timeout:g} seconds") from None
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        message = f"{checker} failed: exit status {done.returncode}"
        raise TypecheckFailed(f"{message}\n{output}" if output else message)
