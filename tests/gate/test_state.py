"""State files (`pulumi stack export`): what ``pulumi policy analyze --file`` accepts, and
its secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.errors import InputError
from obsgov.gate.state import REDACTED, decrypt_value, load_state, passphrase_key
from obsgov.graph import SECRET_SIG, SIG_KEY
from tests.support.gate import PACKS

STACK = "urn:pulumi:dev::obsgov::pulumi:pulumi:Stack::obsgov-dev"
TOPIC = "urn:pulumi:dev::obsgov::aws:sns/topic:Topic::plain"


def _resources(**topic) -> list[dict]:
    return [
        {"urn": STACK, "type": "pulumi:pulumi:Stack", "custom": False},
        {
            "urn": TOPIC,
            "type": "aws:sns/topic:Topic",
            "custom": True,
            "parent": STACK,
            "inputs": {"name": "plain"},
            "outputs": {"name": "plain", "arn": "arn:aws:sns:x"},
            **topic,
        },
    ]


def _write(tmp_path, document) -> os.PathLike:
    path = tmp_path / "state.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def _problems(tmp_path, document, stack=None) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, document), stack)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ({"type": 5}, "deployment.resources[1].type: must be a resource type token (a string)"),
        (
            {"dependencies": 7},
            "deployment.resources[1].dependencies: must be a list of strings, not 7",
        ),
        ({"inputs": ["a"]}, 'deployment.resources[1].inputs: must be an object, not ["a"]'),
        ({"delete": "yes"}, 'deployment.resources[1].delete: must be true or false, not "yes"'),
        (
            {"propertyDependencies": {"arn": "x"}},
            "deployment.resources[1].propertyDependencies.arn: must be a list of URNs",
        ),
        (
            {"urn": "urn:pulumi:dev::obsgov::plain"},
            "deployment.resources[1].urn: state file {file} contains a resource with an invalid "
            'URN "urn:pulumi:dev::obsgov::plain"',
        ),
    ],
)
def test_wrong_field_types_name_the_resource_and_key(tmp_path, topic, problem):
    """Invalid URNs are refused with the CLI's words (policy_analyze.go)."""
    problems = _problems(tmp_path, {"version": 3, "deployment": {"resources": _resources(**topic)}})
    file = tmp_path / "state.json"
    assert problems == [f"{file}: {problem.format(file=file)}"]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"version": 2, "deployment": {"resources": []}},
            "version: this stack's deployment is too old (version 2; obsgov reads versions 3 and 4)",
        ),
        (
            {"version": 9, "deployment": {"resources": []}},
            "version: this stack's deployment version is too new (version 9; obsgov reads versions 3 and 4)",
        ),
        (
            {"deployment": {"resources": []}},
            "version: must be the deployment's schema version (a number, 3 or 4)",
        ),
        (
            {"version": 3, "deployment": {"resources": []}},
            "deployment.resources: is empty: the stack has no resources to judge",
        ),
        (
            {"version": 3, "deployment": {"resources": {"a": 1}}},
            "deployment.resources: must be a list",
        ),
        ({}, "deployment: is missing: expected the output of `pulumi stack export`"),
    ],
)
def test_unsupported_or_empty_deployments(tmp_path, document, problem):
    """UnmarshalUntypedDeployment (pkg/resource/stack/deployment.go) refuses versions it does
    not know in these words."""
    assert _problems(tmp_path, document) == [f"{tmp_path / 'state.json'}: {problem}"]


def test_an_empty_file_and_deep_nesting_are_input_errors(tmp_path):
    assert len(_problems(tmp_path, "")) == 1
    text = json.dumps({"version": 3, "deployment": {"resources": _resources(inputs={})}})
    text = text.replace('"inputs": {}', '"inputs": ' + '{"a": ' * 5000 + "{}" + "}" * 5000)
    [problem] = _problems(tmp_path, text)
    assert str(tmp_path / "state.json") in problem


def test_another_stacks_state_is_refused(tmp_path):
    document = {"version": 3, "deployment": {"resources": _resources()}}
    assert _problems(tmp_path, document, stack="prod") == [
        f"--stack: is 'prod' but {tmp_path / 'state.json'} is the state of stack 'dev'; "
        "give --stack dev or the prod stack's export"
    ]


def test_the_cli_reports_bad_state_with_exit_2_and_no_traceback(tmp_path):
    path = _write(tmp_path, {"version": 3, "deployment": {"resources": _resources(type=5)}})
    result = CliRunner().invoke(
        app, ["policy", "analyze", "--file", str(path), "--policy-pack", str(PACKS / "probe")]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "deployment.resources[1].type: must be a resource type token" in result.output


# --------------------------------------------------------------------------- secrets


def _encrypt(key: bytes, plaintext: str, nonce: bytes) -> str:
    """symmetricCrypter.EncryptValue (sdk/go/common/resource/config/crypt.go)."""
    body = AESGCM(key).encrypt(nonce, plaintext.encode(), None)
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(body).decode()}"


PASSPHRASE = "correct horse battery staple"
SALT = b"saltsalt"


@pytest.fixture(scope="module")
def key() -> bytes:
    return hashlib.pbkdf2_hmac("sha256", PASSPHRASE.encode(), SALT, 1_000_000, 32)


def _salt_state(key: bytes) -> str:
    """The passphrase manager's state: ``v1:<salt>:`` and "pulumi" encrypted
    (pkg/secrets/passphrase/manager.go)."""
    return f"v1:{base64.b64encode(SALT).decode()}:{_encrypt(key, 'pulumi', b'n' * 12)}"


def _secret_state(key: bytes) -> dict:
    topic = {
        "inputs": {
            "name": {
                SIG_KEY: SECRET_SIG,
                "ciphertext": _encrypt(key, json.dumps("obsgov-plain"), b"x" * 12),
            }
        }
    }
    return {
        "version": 3,
        "deployment": {
            "secrets_providers": {"type": "passphrase", "state": {"salt": _salt_state(key)}},
            "resources": _resources(**topic),
        },
    }


def test_passphrase_secrets_are_decrypted_as_the_cli_does(tmp_path, key):
    assert (
        decrypt_value(
            passphrase_key(PASSPHRASE, _salt_state(key)), _encrypt(key, "hello", b"y" * 12)
        )
        == "hello"
    )
    graph, warnings = load_state(
        _write(tmp_path, _secret_state(key)), environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    )
    assert warnings == []
    assert graph.get(TOPIC).inputs["name"] == {SIG_KEY: SECRET_SIG, "value": "obsgov-plain"}


def test_the_passphrase_may_come_from_a_file(tmp_path, key):
    phrase = tmp_path / "phrase"
    phrase.write_text(PASSPHRASE + "\n")
    graph, warnings = load_state(
        _write(tmp_path, _secret_state(key)), environ={"PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase)}
    )
    assert warnings == [] and graph.get(TOPIC).inputs["name"]["value"] == "obsgov-plain"


@pytest.mark.parametrize("environ", [{}, {"PULUMI_CONFIG_PASSPHRASE": "wrong"}])
def test_without_the_passphrase_secrets_are_redacted_with_the_cli_warning(tmp_path, key, environ):
    """policy_analyze.go: when secrets cannot be decrypted every secret becomes ``[secret]``
    and the CLI warns on stderr."""
    path = _write(tmp_path, _secret_state(key))
    graph, warnings = load_state(path, environ=environ)
    assert graph.get(TOPIC).inputs["name"] == REDACTED
    assert warnings == [
        f"could not decrypt secrets in {path}; analyzing with secret values redacted"
    ]


def test_pending_deletes_are_skipped_by_the_gate(tmp_path):
    resources = _resources()
    doomed = dict(resources[1], urn=TOPIC.replace("::plain", "::doomed"), delete=True)
    path = _write(tmp_path, {"version": 3, "deployment": {"resources": [*resources, doomed]}})
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        [
            "policy",
            "analyze",
            "--file",
            str(path),
            "--policy-pack",
            str(PACKS / "probe"),
            "--format",
            "json",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output  # the file's stack, dev, is advisory
    names = {v["name"] for v in json.loads(out.read_text())["packs"][0]["violations"]}
    assert "plain" in names and "doomed" not in names


def _secret(**fields) -> dict:
    return {SIG_KEY: SECRET_SIG, **fields}


def test_secrets_exported_with_show_secrets_are_read_from_their_plaintext(tmp_path):
    """`pulumi stack export --show-secrets` writes each secret's JSON text as ``plaintext``;
    text that is not JSON stays text, and secrets inside lists are revealed too."""
    topic = {
        "inputs": {
            "name": _secret(plaintext=json.dumps("shown")),
            "tags": [_secret(plaintext=json.dumps({"team": "ml"})), _secret(plaintext="raw text")],
            "policy": _secret(value={"already": "plain"}),
        }
    }
    path = _write(tmp_path, {"version": 3, "deployment": {"resources": _resources(**topic)}})
    graph, warnings = load_state(path)
    assert warnings == []
    assert graph.get(TOPIC).inputs == {
        "name": _secret(value="shown"),
        "tags": [_secret(value={"team": "ml"}), _secret(value="raw text")],
        "policy": _secret(value={"already": "plain"}),
    }


def test_a_secret_inside_a_list_is_decrypted_and_one_without_a_passphrase_is_redacted(
    tmp_path, key
):
    state = _secret_state(key)
    topic = state["deployment"]["resources"][1]
    inner = _secret(ciphertext=_encrypt(key, json.dumps(["a", "b"]), b"z" * 12))
    topic["inputs"]["subscribers"] = [{"endpoints": inner}]
    path = _write(tmp_path, state)
    graph, warnings = load_state(path, environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert warnings == []
    assert graph.get(TOPIC).inputs["subscribers"] == [{"endpoints": _secret(value=["a", "b"])}]
    del topic["inputs"]["name"]  # the list's secret alone must trigger the warning
    graph, warnings = load_state(_write(tmp_path, state), environ={})
    assert graph.get(TOPIC).inputs["subscribers"] == [{"endpoints": REDACTED}]
    assert warnings == [
        f"could not decrypt secrets in {path}; analyzing with secret values redacted"
    ]


def test_a_state_without_secrets_gives_no_warning_without_a_passphrase(tmp_path):
    topic = {"inputs": {"name": "plain", "tags": [{"k": "v"}, 3, None], "n": 1.5}}
    path = _write(tmp_path, {"version": 3, "deployment": {"resources": _resources(**topic)}})
    assert load_state(path, environ={})[1] == []


PROVIDER = "urn:pulumi:dev::obsgov::pulumi:providers:aws::member"


def _role(account: str) -> list[dict]:
    return [{"roleArn": f"arn:aws:iam::{account}:role/obsgov-deployment"}]


@pytest.mark.parametrize(
    ("provider", "account"),
    [
        ({"outputs": {"assumeRoles": _role("111122223333")}}, "111122223333"),
        ({"inputs": {"assumeRoles": _role("444455556666")}}, "444455556666"),
        (
            {
                "inputs": {"assumeRoles": _role("444455556666")},
                "outputs": {"assumeRoles": _role("111122223333")},
            },
            "111122223333",
        ),
        ({"outputs": {"region": "eu-west-1"}}, None),
        ({}, None),
    ],
    ids=["outputs", "inputs", "outputs over inputs", "no role", "no config"],
)
def test_a_resource_lands_in_its_providers_assumed_account(tmp_path, provider, account):
    resources = _resources(provider=f"{PROVIDER}::id-1")
    resources.insert(
        1,
        {"urn": PROVIDER, "type": "pulumi:providers:aws", "custom": True, "id": "id-1", **provider},
    )
    graph, _ = load_state(_write(tmp_path, {"version": 3, "deployment": {"resources": resources}}))
    assert graph.get(PROVIDER).account == account
    assert graph.get(TOPIC).account == account


def test_a_resource_whose_provider_is_not_in_the_state_has_no_account(tmp_path):
    resources = _resources(provider=f"{PROVIDER}::gone")
    graph, _ = load_state(_write(tmp_path, {"version": 3, "deployment": {"resources": resources}}))
    assert graph.get(TOPIC).account is None
