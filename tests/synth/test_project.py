"""A team's Pulumi.yaml and stack file read as the Pulumi CLI reads them (config.go and
project.go in sdk/go/common/workspace), with the CLI's words for what it refuses."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from obsgov.errors import InputError
from obsgov.synth.project import ProjectError, load_project, value_has_type
from obsgov.synth.stack_file import load_stack_config


def make(tmp_path: Path, project: str, stack: str | None = None, **files: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(textwrap.dedent(project))
    (tmp_path / "__main__.py").write_text("")
    if stack is not None:
        (tmp_path / "Pulumi.dev.yaml").write_text(textwrap.dedent(stack))
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def config(tmp_path, project, stack=None, flags=(), **files):
    loaded = load_project(make(tmp_path, project, stack, **files))
    return load_stack_config(loaded, "dev", flags=flags)


def test_shorthand_is_a_default_for_the_project_and_a_value_for_other_namespaces(tmp_path):
    result = config(
        tmp_path,
        """
        name: api
        runtime: python
        config:
          size: small
          zones: [a, b]
          aws:region: eu-west-1
          replicas: {type: integer, default: 2}
          debug: {type: boolean, default: false}
        """,
        "config:\n  api:size: large\n",
    )
    assert result.config == {
        "api:debug": "false",
        "api:replicas": "2",
        "api:size": "large",
        "api:zones": '["a","b"]',
        "aws:region": "eu-west-1",
    }
    assert result.region == "eu-west-1"
    assert result.tags == {"pulumi:project": "api", "pulumi:runtime": "python"}


def test_stack_values_are_passed_as_the_cli_passes_them(tmp_path):
    result = config(
        tmp_path,
        "name: api\nruntime: python\n",
        """
        config:
          count: 3
          ratio: 1.5
          enabled: true
          nested: {b: 1, a: [x]}
          aws:defaultTags: {tags: {owner: me}}
          password: {secure: AAAA}
          creds: {user: u, key: {secure: BBBB}}
          pulumi:tags: {obsgov:environment: prod, team: web}
        """,
        flags=["count=4", "aws:region=us-west-2"],
    )
    assert result.config == {
        "api:count": "4",
        "api:creds": '{"key":"[secret]","user":"u"}',
        "api:nested": '{"a":["x"],"b":1}',
        "api:enabled": "true",
        "api:password": "[secret]",
        "api:ratio": "1.5",
        "aws:defaultTags": '{"tags":{"owner":"me"}}',
        "aws:region": "us-west-2",
        "pulumi:tags": '{"obsgov:environment":"prod","team":"web"}',
    }
    assert result.secret_keys == ["api:creds", "api:password"]
    assert result.provider_config() == {
        "defaultTags": '{"tags":{"owner":"me"}}',
        "region": "us-west-2",
    }
    assert result.tags["obsgov:environment"] == "prod"
    assert result.tags["team"] == "web"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["a"], "Stack 'dev' is missing configuration value 'a'"),
        (["b", "a"], "Stack 'dev' is missing configuration values 'a' and 'b'"),
        (["c", "a", "b"], "Stack 'dev' is missing configuration values 'a', 'b' and 'c'"),
    ],
)
def test_missing_keys_are_worded_as_the_cli_words_them(tmp_path, missing, message):
    declared = "\n".join(f"  {key}: {{type: string}}" for key in missing)
    with pytest.raises(ProjectError) as raised:
        config(tmp_path, f"name: api\nruntime: python\nconfig:\n{declared}\n", "config: {}\n")
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("declared", "given", "message"),
    [
        ("{type: integer}", "'3.5'", "must be of type 'integer'"),
        ("{type: boolean}", "'yes'", "must be of type 'boolean'"),
        (
            "{type: array, items: {type: string}}",
            "[1, 2]",
            "must be of type 'array<string>'",
        ),
        ("{type: object}", "[1]", "must be of type 'object'"),
        ("{type: string, secret: true}", "plain", "must be encrypted as it's secret"),
    ],
)
def test_typed_keys_are_checked_against_their_type(tmp_path, declared, given, message):
    with pytest.raises(ProjectError) as raised:
        config(
            tmp_path,
            f"name: api\nruntime: python\nconfig:\n  k: {declared}\n",
            f"config:\n  api:k: {given}\n",
        )
    assert str(raised.value) == f"Stack 'dev' with configuration key 'k' {message}"


def test_values_the_cli_accepts_for_their_types():
    assert value_has_type("integer", None, "12")
    assert value_has_type("integer", None, 3.0)
    assert not value_has_type("integer", None, True)
    assert value_has_type("boolean", None, "false")
    assert value_has_type("boolean", None, True)
    assert value_has_type("array", {"type": "array", "items": {"type": "integer"}}, [[1], []])


def test_a_secret_is_handed_over_without_its_type_checked(tmp_path):
    result = config(
        tmp_path,
        "name: api\nruntime: python\nconfig:\n  port: {type: integer, secret: true}\n",
        "config:\n  api:port: {secure: AAAA}\n",
    )
    assert result.config == {"api:port": "[secret]"}
    assert result.secret_keys == ["api:port"]


@pytest.mark.parametrize(
    ("project", "problem"),
    [
        (
            "name: api\nruntime: python\nconfig:\n  k: {default: 1, value: 2}\n",
            "config.k: project config 'k' cannot have both a 'default' and 'value' attribute",
        ),
        (
            "name: api\nruntime: python\nconfig:\n  k: {type: array}\n",
            "config.k: The configuration key 'k' declares an array but does not specify the "
            "underlying type via the 'items' attribute",
        ),
        (
            "name: api\nruntime: python\nconfig:\n  k: {type: integer, default: x}\n",
            "config.k: The default value specified for configuration key 'k' is not of the "
            "expected type 'integer'",
        ),
        (
            "name: api\nruntime: python\nconfig:\n  aws:region: {type: string}\n",
            "config.aws:region: Configuration key 'aws:region' is not namespaced by the "
            "project and should not define a type",
        ),
        (
            "name: api\nruntime: python\nconfig:\n  k: {tipe: string}\n",
            "config.k: 'tipe' not allowed; the allowed attributes are 'type', 'description', "
            "'items', 'default', 'value', 'secret'",
        ),
        ("runtime: python\n", "name: project is missing a non-empty string 'name' attribute"),
        ("name: api\n", "runtime: project is missing a 'runtime' attribute"),
        (
            "name: api\nruntime: {name: go}\n",
            "runtime: is 'go'; obsgov runs only Python programs (runtime: python)",
        ),
        ("name: api\nruntime: python\nmain: src/app.py\n", "main: src/app.py does not exist"),
    ],
)
def test_project_files_the_cli_would_refuse(tmp_path, monkeypatch, project, problem):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as raised:
        load_project(make(tmp_path, project))
    assert [str(p) for p in raised.value.problems] == [f"Pulumi.yaml: {problem}"]


def test_main_and_stack_config_dir_locate_the_program_and_the_stack_file(tmp_path):
    folder = make(
        tmp_path,
        "name: api\nruntime: python\nmain: src/app.py\nstackConfigDir: stacks\n",
        **{"src/app.py": "", "stacks/Pulumi.dev.yaml": "config:\n  api:k: v\n"},
    )
    project = load_project(folder)
    assert project.program == folder / "src" / "app.py"
    assert load_stack_config(project, "org/api/dev").config == {"api:k": "v"}


def test_a_stack_file_with_unknown_keys_or_esc_environments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as raised:
        config(tmp_path, "name: api\nruntime: python\n", "config: {}\nconifg: {}\n")
    assert [str(p) for p in raised.value.problems] == [
        "Pulumi.dev.yaml: conifg: is not a key of a Pulumi stack file (expected config, "
        "secretsprovider, encryptedkey, encryptionsalt, environment)"
    ]
    result = load_stack_config(
        load_project(make(tmp_path, "name: api\nruntime: python\n", "environment: [team/prod]\n")),
        "dev",
    )
    assert result.notes == [
        "Pulumi.dev.yaml: environment: Pulumi ESC environments cannot be opened offline; "
        "give the config they would add with --config or --config-file"
    ]
    assert json.loads(json.dumps(result.config)) == {}


def test_a_main_file_runs_from_its_folder_and_cannot_import_its_neighbours(tmp_path):
    """As the language host runs it: ``getPwdMain`` (pkg/engine/project.go) makes ``main``'s
    folder the working folder and passes the file's name, and pulumi-language-python-exec
    ``runpy.run_path``s that file, which puts no folder on sys.path: a sibling module cannot
    be imported (pulumi/pulumi#7360, open). obsgov used to add the folder, running programs
    the CLI cannot."""
    from obsgov.synth import SynthesisError
    from obsgov.synth.project_runner import ProgramRun, synthesize_program

    folder = make(
        tmp_path,
        "name: api\nruntime: python\nmain: src/app.py\n",
        "config:\n  api:prefix: team\n",
        **{
            "src/app.py": "import os, pulumi\n"
            "import pulumi_aws as aws\n"
            "aws.sns.Topic('t', name=f\"{pulumi.Config().require('prefix')}-\"\n"
            '    f"{os.path.basename(os.getcwd())}-{pulumi.get_stack()}")\n',
            "src/uses_neighbour.py": "import names\n",
            "src/names.py": "",
        },
    )
    project = load_project(folder)
    stack = load_stack_config(project, "dev")
    run = ProgramRun(
        directory=str(folder),
        program=str(project.main),
        project=project.name,
        stack=stack.stack,
        config=stack.config,
        secret_keys=stack.secret_keys,
        region=stack.region,
        provider_config=stack.provider_config(),
    )
    graph = synthesize_program(run)
    (topic,) = graph.of_type("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "team-src-dev"  # ran from src/
    assert topic.urn == "urn:pulumi:dev::api::aws:sns/topic:Topic::t"

    run.program = str(folder / "src" / "uses_neighbour.py")
    with pytest.raises(SynthesisError, match="ModuleNotFoundError at src/uses_neighbour.py:1"):
        synthesize_program(run)
