"""The environment a team's program runs in, chosen as the Python language host chooses it
(sdk/python/cmd/pulumi-language-python/main.go parseOptions and Run; sdk/python/toolchain/
toolchain.go ResolveToolchain, pip.go, uv.go, poetry.go)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from obsgov.synth import SynthesisError
from obsgov.synth.environment import (
    EnvironmentProblem,
    RuntimeOptions,
    TypecheckFailed,
    activate,
    parse_runtime_options,
    resolve_environment,
    run_typechecker,
)
from obsgov.synth.project import load_project
from obsgov.synth.project_runner import ProgramRun, synthesize_program
from obsgov.synth.stack_file import load_stack_config

VENV = Path(sys.prefix)  # the tests' own virtualenv: it has the Pulumi SDK and mypy


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"virtualenv": 3}, "virtualenv option must be a string"),
        ({"typechecker": "pytype"}, "unsupported typechecker option: pytype"),
        ({"typechecker": ["mypy"]}, "typechecker option must be a string"),
        ({"toolchain": "conda"}, "unsupported toolchain option: conda"),
        ({"toolchain": 1}, "toolchain option must be a string"),
    ],
)
def test_runtime_options_are_checked_in_the_hosts_words(options, message):
    with pytest.raises(EnvironmentProblem, match=f"^{message}$"):
        parse_runtime_options(options)


def test_a_missing_virtualenv_is_refused_with_the_clis_commands(tmp_path):
    with pytest.raises(EnvironmentProblem) as caught:
        resolve_environment(tmp_path, tmp_path, RuntimeOptions(virtualenv="venv"), {})
    message = str(caught.value)
    assert message.startswith(
        f"The 'virtualenv' option in Pulumi.yaml is set to 'venv', but '{tmp_path}/venv' "
        "doesn't exist; run the following commands"
    )
    assert f"    1. python3 -m venv {tmp_path}/venv\n" in message
    assert caught.value.notes  # the CLI would create it; obsgov says it does not
    (tmp_path / "venv").mkdir()
    with pytest.raises(EnvironmentProblem, match="doesn't appear to be a virtual environment"):
        resolve_environment(tmp_path, tmp_path, RuntimeOptions(virtualenv="venv"), {})


def test_a_virtualenv_is_activated_as_the_host_activates_it(tmp_path):
    (tmp_path / "venv").symlink_to(VENV, target_is_directory=True)
    found = resolve_environment(
        tmp_path,
        tmp_path,
        RuntimeOptions(virtualenv="venv"),
        {"PATH": "/usr/bin", "PYTHONHOME": "/x", "VIRTUAL_ENV": "/other"},
    )
    assert found.python == f"{tmp_path}/venv/bin/python"
    assert found.environ == {
        "PATH": f"{tmp_path}/venv/bin:/usr/bin",
        "VIRTUAL_ENV": f"{tmp_path}/venv",
    }
    assert activate({}, tmp_path)["PATH"] == f"{tmp_path}/bin"


def test_without_a_virtualenv_the_interpreter_is_pulumi_python_cmd_or_python3(tmp_path):
    found = resolve_environment(
        tmp_path, tmp_path, RuntimeOptions(), {"PULUMI_PYTHON_CMD": sys.executable}
    )
    assert found.python == sys.executable
    assert found.toolchain == "pip"
    with pytest.raises(EnvironmentProblem) as caught:
        resolve_environment(tmp_path, tmp_path, RuntimeOptions(), {"PATH": str(tmp_path)})
    assert str(caught.value) == (
        'failed to locate any of ["python3" "python"] on your PATH. Have you installed '
        "Python 3.6 or greater?"
    )


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_lock_file_chooses_the_toolchain_and_its_executable_must_exist(tmp_path):
    (tmp_path / "uv.lock").write_text("")
    with pytest.raises(EnvironmentProblem, match=r"^Could not find `uv` executable\."):
        resolve_environment(tmp_path, tmp_path, RuntimeOptions(), {"PATH": str(tmp_path / "none")})
    (tmp_path / "uv.lock").unlink()
    (tmp_path / "poetry.lock").write_text("")
    with pytest.raises(EnvironmentProblem, match=r"^Could not find `poetry` executable\."):
        resolve_environment(tmp_path, tmp_path, RuntimeOptions(), {"PATH": str(tmp_path / "none")})


def test_uv_uses_dot_venv_beside_its_lock_file(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "uv", "#!/bin/sh\necho 'uv 0.5.0'\n")
    project = tmp_path / "project"
    (project / "infra").mkdir(parents=True)
    (project / "uv.lock").write_text("")
    env = {"PATH": str(bin_dir)}
    with pytest.raises(EnvironmentProblem, match=f"^'{project}/.venv' is not a virtualenv$"):
        resolve_environment(project, project / "infra", RuntimeOptions(), env)
    (project / ".venv").symlink_to(VENV, target_is_directory=True)
    found = resolve_environment(project, project / "infra", RuntimeOptions(), env)
    assert (found.toolchain, found.virtualenv) == ("uv", project / ".venv")


def test_poetry_runs_in_the_environment_poetry_names(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "poetry", f"#!/bin/sh\necho {VENV}\n")
    found = resolve_environment(
        tmp_path, tmp_path, RuntimeOptions(toolchain="poetry"), {"PATH": str(bin_dir)}
    )
    assert (found.toolchain, found.python) == ("poetry", f"{VENV}/bin/python")


def _project(tmp_path: Path, options: str, program: str) -> ProgramRun:
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: env\nruntime:\n  name: python\n  options:\n{options}"
    )
    (tmp_path / "__main__.py").write_text(program)
    project = load_project(tmp_path)
    stack = load_stack_config(project, "dev")
    return ProgramRun(
        directory=str(tmp_path),
        program=str(project.main),
        project=project.name,
        stack=stack.stack,
        config=stack.config,
        secret_keys=stack.secret_keys,
        region=stack.region,
        provider_config=stack.provider_config(),
        options=dict(project.options),
    )


def test_the_program_runs_with_its_virtualenvs_interpreter(tmp_path):
    (tmp_path / "venv").symlink_to(VENV, target_is_directory=True)
    run = _project(
        tmp_path,
        "    virtualenv: venv\n",
        "import os, sys, pulumi_aws as aws\n"
        "aws.sns.Topic('t', name=os.path.basename(os.environ['VIRTUAL_ENV'])"
        " + '-' + os.path.basename(os.path.dirname(os.path.dirname(sys.executable))))\n",
    )
    (topic,) = synthesize_program(run).of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "venv-venv"


def test_an_environment_without_the_sdk_gets_the_hosts_message(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True
    )
    run = _project(tmp_path, "    virtualenv: bare\n", "import pulumi\n")
    with pytest.raises(SynthesisError, match="It looks like the Pulumi SDK has not been installed"):
        synthesize_program(run)


def test_the_typechecker_runs_first_and_fails_the_run(tmp_path):
    (tmp_path / "venv").symlink_to(VENV, target_is_directory=True)
    run = _project(tmp_path, "    virtualenv: venv\n    typechecker: mypy\n", "x: int = 'text'\n")
    with pytest.raises(SynthesisError) as caught:
        synthesize_program(run)
    assert str(caught.value).startswith("mypy failed: exit status 1\n")
    assert "Incompatible types in assignment" in str(caught.value)


def test_a_typechecker_the_environment_lacks_is_refused(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    run = _project(tmp_path, "    virtualenv: venv\n    typechecker: pyright\n", "")
    environment = resolve_environment(
        tmp_path, tmp_path, parse_runtime_options(run.options), dict(os.environ)
    )
    with pytest.raises(TypecheckFailed) as caught:
        run_typechecker(environment, tmp_path, 60)
    assert str(caught.value) == (
        "The typechecker option is set to pyright, but pyright is not installed. Please add an "
        f"entry for pyright to requirements.txt and run `{tmp_path}/venv/bin/pip install -r "
        "requirements.txt`"
    )
