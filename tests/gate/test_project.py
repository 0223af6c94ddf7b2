"""Pack folders as the CLI reads them: PulumiPolicy.yaml, the interpreter, the stack tags."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from obsgov.errors import InputError, Problem
from obsgov.gate.project import (
    builtin_stack_tags,
    discover_policy_packs,
    load_policy_pack,
)
from tests.support.gate import PACKS, ROOT, SHIPPED_PACKS


def _pack(tmp_path: Path, manifest: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "strict-config", pack)
    (pack / "PulumiPolicy.yaml").write_text(manifest)
    return pack


def _problem(pack: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_policy_pack(pack)
    [problem] = caught.value.problems
    return str(problem)


def test_a_declared_virtualenv_that_is_missing_fails_with_the_cli_message(tmp_path):
    """sdk/python/toolchain/pip.go, NewVirtualEnvError: the language host's words when the
    virtualenv PulumiPolicy.yaml declares does not exist (the CLI never creates it at run
    time)."""
    pack = _pack(tmp_path, "runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    venv = pack / "venv"
    assert _problem(pack) == (
        f"{pack}/PulumiPolicy.yaml: runtime.options.virtualenv: The 'virtualenv' option in "
        f'Pulumi.yaml is set to "venv", but "{venv}" doesn\'t exist; run the following '
        "commands to create the virtual environment and install dependencies into it:\n\n"
        f"    1. python3 -m venv {venv}\n"
        f"    2. {venv}/bin/python -m pip install --upgrade pip setuptools wheel\n"
        f"    3. {venv}/bin/python -m pip install -r requirements.txt\n\n\n"
        "For more information see: "
        "https://www.pulumi.com/docs/intro/languages/python/#virtual-environments"
    )


def test_an_existing_folder_that_is_not_a_virtualenv_is_named_so(tmp_path):
    pack = _pack(tmp_path, "runtime:\n  name: python\n  options:\n    virtualenv: env\n")
    (pack / "env").mkdir()
    assert (
        f'but "{pack / "env"}" doesn\'t appear to be a virtual environment; run the following'
        in _problem(pack)
    )


def test_a_declared_virtualenv_is_the_interpreter(tmp_path):
    pack = _pack(tmp_path, "runtime:\n  name: python\n  options:\n    virtualenv: env\n")
    (pack / "env" / "bin").mkdir(parents=True)
    os.symlink(os.path.realpath(sys.executable), pack / "env" / "bin" / "python")
    project = load_policy_pack(pack)
    assert project.python() == str(pack / "env" / "bin" / "python")
    assert (project.runtime, project.runtime_options) == ("python", {"virtualenv": "env"})


def test_shipped_packs_declare_no_virtualenv_and_import_the_library_normally():
    """The team's decision (README): shipped packs run in the project's environment, where
    ``pip install -e .`` installed obsgov_policies; no sys.path edits."""
    for directory in discover_policy_packs(SHIPPED_PACKS):
        project = load_policy_pack(directory)
        assert project.virtualenv is None, directory
        main = (directory / "__main__.py").read_text()
        assert "sys.path" not in main
        assert "from obsgov_policies.packs import build_pack" in main


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "runtime:\n  name: python\n  options: [virtualenv, venv]\n",
            "runtime.options: must be a mapping of option name to value",
        ),
        (
            "runtime:\n  name: python\n  options:\n    virtualenv: 7\n",
            "runtime.options.virtualenv: virtualenv option must be a string",
        ),
        (
            "runtime: nodejs\n",
            "runtime: obsgov runs Python policy packs; this pack's runtime is 'nodejs'",
        ),
        ("- a\n- b\n", "must be a mapping"),
        ("runtime: python\nversion: [1]\n", "version: must be a string"),
        ("runtime: python\nmain: {file: a.py}\n", "main: must be a string"),
        ("runtime: python\ndescription: [a]\n", "description: must be a string"),
    ],
)
def test_bad_manifests_name_file_and_key(tmp_path, manifest, message):
    pack = _pack(tmp_path, manifest)
    assert _problem(pack) == f"{pack}/PulumiPolicy.yaml: {message}"


def test_a_pack_path_that_is_not_a_folder_is_named_under_the_option(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(InputError) as caught:
        load_policy_pack(missing)
    assert caught.value.problems == [Problem("--policy-pack", "", f"{missing} is not a folder")]
    with pytest.raises(InputError) as caught:
        load_policy_pack(missing, option="--bundle")
    assert str(caught.value.problems[0]) == f"--bundle: {missing} is not a folder"


def test_a_folder_without_a_manifest_is_not_a_policy_pack(tmp_path):
    with pytest.raises(InputError) as caught:
        load_policy_pack(tmp_path)
    assert caught.value.problems == [
        Problem(
            "--policy-pack", "", f"{tmp_path} is not a policy pack: it has no PulumiPolicy.yaml"
        )
    ]


def test_a_manifest_that_is_a_folder(tmp_path):
    pack = _pack(tmp_path, "")
    (pack / "PulumiPolicy.yaml").unlink()
    (pack / "PulumiPolicy.yaml").mkdir()
    assert "PulumiPolicy.yaml" in _problem(pack)
    assert "Traceback" not in _problem(pack)


def test_a_manifest_parse_error_is_one_line_with_its_line(tmp_path):
    pack = _pack(tmp_path, "runtime: python\nversion: [1\n")
    problem = _problem(pack)
    assert "\n" not in problem
    assert "line" in problem
    assert "<unicode string>" not in problem


def test_builtin_stack_tags_come_from_pulumi_yaml():
    assert builtin_stack_tags(ROOT / "Pulumi.yaml") == {
        "pulumi:project": "obsgov",
        "pulumi:runtime": "python",
        "pulumi:description": "Governed ML and data observability across an AWS organization",
    }


def test_a_project_file_that_is_not_a_mapping_is_named(tmp_path):
    project_file = tmp_path / "Pulumi.yaml"
    project_file.write_text("- name\n- runtime\n")
    with pytest.raises(InputError) as caught:
        builtin_stack_tags(project_file)
    assert caught.value.problems == [Problem(str(project_file), "", "must be a mapping")]
