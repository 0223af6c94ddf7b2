"""Property tests: random YAML documents and random state files never crash the loaders.

Whatever the file holds, ``obsgov validate`` exits 0 (valid) or 2 (a worded problem naming
the file), never 1 (a false verdict) or 3 (a crash), and prints no traceback; the state
loader returns a graph or raises ``InputError``, nothing else.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.errors import InputError

from ..support.environments import STACKS

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
    st.binary(max_size=8),
    st.sampled_from(["dev", "prod", "200000000001", "CC-2100", "a@example.com", "[secret]"]),
)
keys = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "accounts",
            "workloads",
            "id",
            "name",
            "config",
            "obsgov:environment",
            "aws:region",
            "kind",
            "tags",
        ]
    ),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=25,
)
TARGETS = ("stacks/accounts.yaml", "stacks/organization.yaml", "stacks/Pulumi.dev.yaml")


_BASE: dict[str, Path] = {}


def _workspace() -> Path:
    """One copy of stacks/ per process; each example replaces one file and restores it."""
    if "root" not in _BASE:
        root = Path(tempfile.mkdtemp(prefix="obsgov-properties-"))
        shutil.copytree(STACKS, root / "stacks")
        atexit.register(shutil.rmtree, root, True)
        _BASE["root"] = root
    return _BASE["root"]


def _validate_with(target: str, content: bytes | str) -> tuple[int, str]:
    root = _workspace()
    path = root / target
    original = (STACKS / path.name).read_bytes()
    try:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        result = CliRunner().invoke(
            app, ["validate", "--stack", "dev", "--stacks-dir", str(root / "stacks")]
        )
    finally:
        path.write_bytes(original)
    return result.exit_code, result.output


def _assert_clean(code: int, output: str, target: str) -> None:
    assert code in (0, 2), output
    assert "Traceback" not in output
    assert "internal error" not in output
    if code == 2:
        assert output.startswith("error: "), output


@SETTINGS
@given(document=documents, target=st.sampled_from(TARGETS))
def test_random_documents_as_a_whole_file(document, target):
    text = yaml.dump(document, allow_unicode=True)
    code, output = _validate_with(target, text)
    _assert_clean(code, output, target)


@SETTINGS
@given(
    value=documents,
    key=st.sampled_from(
        [
            "obsgov:alarmDefaults",
            "obsgov:notifications",
            "obsgov:modelApproval",
            "obsgov:logRetentionDays",
            "obsgov:policyPacks",
            "obsgov:environment",
            "aws:region",
        ]
    ),
)
def test_random_values_for_stack_settings(value, key):
    stack = yaml.safe_load((STACKS / "Pulumi.dev.yaml").read_text())
    stack["config"][key] = value
    code, output = _validate_with("stacks/Pulumi.dev.yaml", yaml.dump(stack))
    _assert_clean(code, output, "Pulumi.dev.yaml")
    if code == 2:
        assert "Pulumi.dev.yaml" in output


@SETTINGS
@given(entry=documents, section=st.sampled_from(["accounts", "workloads"]))
def test_random_registry_entries(entry, section):
    registry = yaml.safe_load((STACKS / "accounts.yaml").read_text())
    registry[section].append(entry)
    code, output = _validate_with("stacks/accounts.yaml", yaml.dump(registry))
    _assert_clean(code, output, "accounts.yaml")
    if code == 2:
        assert "accounts.yaml" in output


YAML_ALPHABET = st.sampled_from(
    list("ab:-[]{},&*!|>?'\"#%@` \n\t\\<=")
    + [
        "<<",
        "!!binary",
        "!!set",
        "&x",
        "*x",
        "---",
        "...",
        "2024-01-01",
        ".inf",
        "é",
        "\x00",
        "\ufeff",
    ]
)


@SETTINGS
@given(pieces=st.lists(YAML_ALPHABET, max_size=60), target=st.sampled_from(TARGETS))
def test_random_yaml_text(pieces, target):
    code, output = _validate_with(target, "".join(pieces))
    _assert_clean(code, output, target)


@SETTINGS
@given(data=st.binary(max_size=200), target=st.sampled_from(TARGETS))
def test_random_bytes(data, target):
    code, output = _validate_with(target, data)
    _assert_clean(code, output, target)


# --------------------------------------------------------------------------- state files


def _valid_state() -> dict:
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:dev::obsgov::pulumi:pulumi:Stack::obsgov-dev",
                    "custom": False,
                    "type": "pulumi:pulumi:Stack",
                },
                {
                    "urn": "urn:pulumi:dev::obsgov::aws:sns/topic:Topic::t",
                    "custom": True,
                    "type": "aws:sns/topic:Topic",
                    "id": "t",
                    "inputs": {"name": "t"},
                    "outputs": {"arn": "arn:aws:sns:eu-west-1:200000000001:t"},
                    "parent": "urn:pulumi:dev::obsgov::pulumi:pulumi:Stack::obsgov-dev",
                    "dependencies": [],
                    "propertyDependencies": {},
                },
            ]
        },
    }


RESOURCE_FIELDS = [
    "urn",
    "custom",
    "type",
    "id",
    "inputs",
    "outputs",
    "parent",
    "provider",
    "dependencies",
    "propertyDependencies",
    "delete",
    "external",
]
json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=15,
)


def _load(text: str):
    from obsgov.gate.state import load_state

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.json"
        path.write_text(text, encoding="utf-8")
        try:
            return load_state(path)[0]
        except InputError as exc:
            problems = exc.problems
    assert problems
    assert all(p.file for p in problems)
    return None


def test_the_base_state_loads():
    graph = _load(json.dumps(_valid_state()))
    assert graph is not None
    assert graph.stack == "dev"


@SETTINGS
@given(
    field=st.sampled_from(RESOURCE_FIELDS),
    value=json_values,
    index=st.integers(min_value=0, max_value=1),
)
def test_random_values_in_a_state_resource(field, value, index):
    state = _valid_state()
    state["deployment"]["resources"][index][field] = value
    _load(json.dumps(state))


@SETTINGS
@given(document=json_values)
def test_random_json_documents_as_state(document):
    _load(json.dumps(document))


@SETTINGS
@given(version=json_values, deployment=json_values)
def test_random_top_level_state_fields(version, deployment):
    _load(json.dumps({"version": version, "deployment": deployment}))


@pytest.mark.parametrize("text", ["", "null", "[]", '{"version": 3}', "{" * 50])
def test_degenerate_state_files(text):
    assert _load(text) is None
