"""State files (`pulumi stack export`): what ``pulumi policy analyze --file`` accepts, and
its secrets."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.errors import InputError, Problem
from obsgov.gate.state import decrypt_value, load_state, passphrase_key
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


def _write(tmp_path, document) -> Path:
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
            {"version": 0, "deployment": {"resources": []}},
            "version: this stack's deployment is too old (version 0; obsgov reads versions 1 to 4)",
        ),
        (
            {"version": 9, "deployment": {"resources": []}},
            "version: this stack's deployment version is too new (version 9; obsgov reads versions 1 to 4)",
        ),
        (
            # `json:"version,omitempty"`: an absent version is 0
            {"deployment": {"resources": []}},
            "version: this stack's deployment is too old (version 0; obsgov reads versions 1 to 4)",
        ),
        (
            {"version": "3", "deployment": {"resources": []}},
            "version: must be the deployment's schema version (a number, 1 to 4)",
        ),
        (
            {"version": 4, "features": ["quantum"], "deployment": {"resources": []}},
            "features: this stack's deployment needs support for the following features: quantum",
        ),
        (
            {"version": 3, "deployment": {"resources": {"a": 1}}},
            "deployment.resources: must be a list",
        ),
        ({}, "deployment: is missing: expected the output of `pulumi stack export`"),
    ],
)
def test_unsupported_or_empty_deployments(tmp_path, document, problem):
    """UnmarshalUntypedDeployment (pkg/resource/stack/deployment.go) refuses versions outside
    DeploymentSchemaVersionOldestSupported (1) to DeploymentSchemaVersionLatest (4), and a
    version 4 deployment naming a feature outside supportedFeatures, in these words."""
    assert _problems(tmp_path, document) == [f"{tmp_path / 'state.json'}: {problem}"]


def test_an_empty_file_and_deep_nesting_are_input_errors(tmp_path):
    assert len(_problems(tmp_path, "")) == 1
    text = json.dumps({"version": 3, "deployment": {"resources": _resources(inputs={})}})
    text = text.replace('"inputs": {}', '"inputs": ' + '{"a": ' * 5000 + "{}" + "}" * 5000)
    [problem] = _problems(tmp_path, text)
    assert str(tmp_path / "state.json") in problem


def test_another_stacks_state_is_refused(tmp_path):
    document = {"version": 3, "deployment": {"resources": _resources()}}
    message = (
        f"is 'prod' but {tmp_path / 'state.json'} is the state of stack 'dev'; "
        "give --stack dev or the prod stack's export"
    )
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, document), "prod")
    # the option is the whole location: no key path under it
    assert caught.value.problems == [Problem("--stack", "", message)]
    assert [str(p) for p in caught.value.problems] == [f"--stack: {message}"]


def test_the_cli_reports_bad_state_with_exit_2_and_no_traceback(tmp_path):
    path = _write(tmp_path, {"version": 3, "deployment": {"resources": _resources(type=5)}})
    result = CliRunner().invoke(
        app, ["policy", "analyze", "--file", str(path), "--policy-pack", str(PACKS / "probe")]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
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
    assert graph.by_urn[TOPIC].inputs["name"] == {SIG_KEY: SECRET_SIG, "value": "obsgov-plain"}


def test_the_passphrase_may_come_from_a_file(tmp_path, key):
    phrase = tmp_path / "phrase"
    phrase.write_text(PASSPHRASE + "\n")
    graph, warnings = load_state(
        _write(tmp_path, _secret_state(key)), environ={"PULUMI_CONFIG_PASSPHRASE_FILE": str(phrase)}
    )
    assert warnings == []
    assert graph.by_urn[TOPIC].inputs["name"]["value"] == "obsgov-plain"


REFUSAL = (
    "holds {count} obsgov cannot read ({why}); obsgov judges no stack it cannot see "
    "(`pulumi policy analyze` would judge each as the text [secret] and could pass it): "
    "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's "
    "passphrase, or export the stack with `pulumi stack export --show-secrets`"
)


@pytest.mark.parametrize(
    ("environ", "key_path", "why"),
    [
        (
            {},
            "deployment.secrets_providers",
            "neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set",
        ),
        (
            {"PULUMI_CONFIG_PASSPHRASE": "wrong"},
            "deployment.secrets_providers.state.salt",
            "PULUMI_CONFIG_PASSPHRASE is not this stack's passphrase",
        ),
    ],
)
def test_secrets_that_cannot_be_decrypted_refuse_the_file(tmp_path, key, environ, key_path, why):
    """policy_analyze.go redacts secrets it cannot decrypt to ``[secret]`` and judges on: a
    policy that reads a secret policy document then sees a string, not ``*:*``, and the
    stack passes. obsgov's verdict is never a pass on data it could not read, so the file is
    bad input (exit 2) with the way to read it."""
    path = _write(tmp_path, _secret_state(key))
    with pytest.raises(InputError) as caught:
        load_state(path, environ=environ)
    message = REFUSAL.format(count="1 encrypted secret value", why=why)
    assert caught.value.problems == [Problem(str(path), key_path, message)]


def test_a_wrong_passphrase_never_passes_a_secret_star_policy(tmp_path, key):
    """Issue 33's case end to end: a role policy granting ``*:*``, stored as a secret, and a
    wrong PULUMI_CONFIG_PASSPHRASE. The CLI would judge ``[secret]`` and pass; obsgov exits 2
    and writes no report."""
    grant = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    state = _secret_state(key)
    policy = {
        "urn": "urn:pulumi:dev::obsgov::aws:iam/rolePolicy:RolePolicy::admin",
        "type": "aws:iam/rolePolicy:RolePolicy",
        "custom": True,
        "parent": STACK,
        "inputs": {
            "role": "r",
            "policy": _secret(ciphertext=_encrypt(key, json.dumps(json.dumps(grant)), b"p" * 12)),
        },
    }
    state["deployment"]["resources"].append(policy)
    path = _write(tmp_path, state)
    out = tmp_path / "report.json"
    result = CliRunner(env={"PULUMI_CONFIG_PASSPHRASE": "not the passphrase"}).invoke(
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
    assert result.exit_code == 2, result.output
    assert "PULUMI_CONFIG_PASSPHRASE is not this stack's passphrase" in result.output
    assert "2 encrypted secret values" in result.output
    assert not out.exists()


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
    assert "plain" in names
    assert "doomed" not in names


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
    assert graph.by_urn[TOPIC].inputs == {
        "name": _secret(value="shown"),
        "tags": [_secret(value={"team": "ml"}), _secret(value="raw text")],
        "policy": _secret(value={"already": "plain"}),
    }


def test_a_secret_inside_a_list_is_decrypted_and_one_without_a_passphrase_refused(tmp_path, key):
    state = _secret_state(key)
    topic = state["deployment"]["resources"][1]
    inner = _secret(ciphertext=_encrypt(key, json.dumps(["a", "b"]), b"z" * 12))
    topic["inputs"]["subscribers"] = [{"endpoints": inner}]
    path = _write(tmp_path, state)
    graph, warnings = load_state(path, environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert warnings == []
    assert graph.by_urn[TOPIC].inputs["subscribers"] == [{"endpoints": _secret(value=["a", "b"])}]
    del topic["inputs"]["name"]  # the list's secret alone must be found
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, state), environ={})
    assert "holds 1 encrypted secret value obsgov cannot read" in str(caught.value)


def test_a_secret_only_in_outputs_is_refused_without_a_passphrase(tmp_path, key):
    """DeserializeUntypedDeployment decrypts outputs as it does inputs: an output secret that
    cannot be read refuses the file too."""
    state = _secret_state(key)
    topic = state["deployment"]["resources"][1]
    topic["outputs"]["name"] = topic["inputs"].pop("name")
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, state), environ={})
    assert "holds 1 encrypted secret value obsgov cannot read" in str(caught.value)


@pytest.mark.parametrize(
    ("provider", "why"),
    [
        ({"type": "service", "state": {}}, "the 'service' secrets provider encrypted them"),
        (None, "the file names no secrets provider"),
        ({"type": "passphrase", "state": {}}, "the passphrase provider's salt is missing"),
    ],
)
def test_secrets_of_a_provider_obsgov_cannot_use_refuse_the_file(tmp_path, key, provider, why):
    state = _secret_state(key)
    if provider is None:
        del state["deployment"]["secrets_providers"]
    else:
        state["deployment"]["secrets_providers"] = provider
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, state), environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert f"({why}" in str(caught.value)


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
    assert graph.by_urn[PROVIDER].account == account
    assert graph.by_urn[TOPIC].account == account
    assert graph.by_urn[TOPIC].provider == f"{PROVIDER}::id-1"


def test_a_resource_whose_provider_is_not_in_the_state_has_no_account(tmp_path):
    resources = _resources(provider=f"{PROVIDER}::gone")
    graph, _ = load_state(_write(tmp_path, {"version": 3, "deployment": {"resources": resources}}))
    assert graph.by_urn[TOPIC].account is None


# --------------------------------------------------------------------------- every field


def test_every_field_of_the_wrong_type_is_named_in_one_report(tmp_path):
    wrong = {
        "inputs": [1],
        "outputs": "x",
        "propertyDependencies": 3,
        "parent": 1,
        "provider": ["p"],
        "id": 2,
        "custom": "yes",
        "protect": 0,
        "delete": None,  # absent is allowed
        "dependencies": [1],
        "ignoreChanges": "name",
        "additionalSecretOutputs": [None],
        "aliases": {"name": "old"},
    }
    resources = [*_resources(**wrong), "not an object"]
    file = tmp_path / "state.json"
    where = f"{file}: deployment.resources"
    assert _problems(tmp_path, {"version": 3, "deployment": {"resources": resources}}) == [
        f"{where}[1].inputs: must be an object, not [1]",
        f'{where}[1].outputs: must be an object, not "x"',
        f"{where}[1].propertyDependencies: must be an object, not 3",
        f"{where}[1].parent: must be a string, not 1",
        f'{where}[1].provider: must be a string, not ["p"]',
        f"{where}[1].id: must be a string, not 2",
        f'{where}[1].custom: must be true or false, not "yes"',
        f"{where}[1].protect: must be true or false, not 0",
        f"{where}[1].dependencies: must be a list of strings",
        f'{where}[1].ignoreChanges: must be a list of strings, not "name"',
        f"{where}[1].additionalSecretOutputs: must be a list of strings",
        f'{where}[1].aliases: must be a list, not {{"name": "old"}}',
        f"{where}[2]: must be an object with urn and type",
    ]


def test_a_long_invalid_urn_is_quoted_up_to_120_characters(tmp_path):
    urn = "urn:pulumi:" + "x" * 200
    [problem] = _problems(
        tmp_path, {"version": 3, "deployment": {"resources": _resources(urn=urn)}}
    )
    assert problem.endswith(f"invalid URN {json.dumps(urn)[:120]}")
    assert len(problem.split("invalid URN ")[1]) == 120


def _several_stacks() -> dict:
    resources = _resources()
    resources.append(dict(resources[1], urn=TOPIC.replace(":dev::", ":prod::")))
    resources.append(dict(resources[1], urn=TOPIC.replace("::obsgov::", "::other::")))
    return {"version": 3, "deployment": {"resources": resources}}


def test_resources_of_several_stacks_are_judged_whole_as_the_cli_does(tmp_path):
    """policy_analyze.go analyzes every resource of the file; stackReferenceForFile labels a
    file of several stacks or projects "multiple". obsgov names them in a warning."""
    path = _write(tmp_path, _several_stacks())
    graph, warnings = load_state(path)
    assert (graph.stack, graph.project, len(graph)) == ("multiple", "multiple", 4)
    assert warnings == [
        f"{path} holds the resources of several stacks (dev/obsgov, dev/other, prod/obsgov); "
        "they are judged together, as `pulumi policy analyze --file` judges them"
    ]


def test_several_stacks_with_one_environment_named_are_refused(tmp_path):
    """--stack applies one environment's config; the CLI has no such option for a file
    (--file and --stack are mutually exclusive), so obsgov refuses to stretch one
    environment over other stacks' resources."""
    with pytest.raises(InputError) as caught:
        load_state(_write(tmp_path, _several_stacks()), "dev")
    [problem] = caught.value.problems
    assert problem.file == "--stack"
    assert "holds the resources of several stacks (dev/obsgov, dev/other, prod/obsgov)" in (
        problem.message
    )


def test_a_state_without_resources_has_nothing_to_analyze(tmp_path):
    """policy_analyze.go: "File <f> has no resources; nothing to analyze." and exit 0, before
    any pack starts."""
    for document in (
        {"version": 3, "deployment": {"resources": []}},
        {"version": 3, "deployment": {}},
    ):
        path = _write(tmp_path, document)
        graph, warnings = load_state(path)
        assert (len(graph), warnings) == (0, [])
        result = CliRunner().invoke(
            app, ["policy", "analyze", "--file", str(path), "--policy-pack", "no/such/pack"]
        )
        assert result.exit_code == 0, result.output
        assert f"File {path} has no resources; nothing to analyze." in result.output


def test_an_empty_file_is_refused_as_the_cli_refuses_it(tmp_path):
    """policy_analyze.go's json.Decoder fails on an empty file ("reading deployment from
    <file>: EOF"); obsgov refuses it as bad input (2, where the CLI's errors exit 1)."""
    for text in ("", "  \n"):
        assert _problems(tmp_path, text) == [
            f"{tmp_path / 'state.json'}: is empty: expected the JSON `pulumi stack export` writes"
        ]


V1_RESOURCE = {
    "urn": TOPIC,
    "type": "aws:sns/topic:Topic",
    "custom": True,
    "id": "t",
    "parent": STACK,
    "inputs": {"name": "plain", "kmsMasterKeyId": ""},
    "defaults": {"fifoTopic": False},
    "outputs": {"arn": "arn:aws:sns:x"},
    "dependencies": [STACK],
    "initErrors": [],
    "provider": "urn:pulumi:dev::obsgov::pulumi:providers:aws::default::id",
    "ignoreChanges": ["tags"],
}


@pytest.mark.parametrize("version", [1, 2])
def test_versions_one_and_two_are_migrated_as_the_cli_migrates_them(tmp_path, version):
    """UnmarshalUntypedDeployment reads versions 1 and 2 into apitype.DeploymentV1/V2 (Go's
    json.Unmarshal keeps only ResourceV1's or ResourceV2's fields: no provider in V1, no
    ignoreChanges in either) and migrates them (pkg/resource/stack/migrate): every input
    property then depends on all of the resource's dependencies (UpToResourceV3)."""
    stack = {"urn": STACK, "type": "pulumi:pulumi:Stack", "custom": False}
    path = _write(tmp_path, {"version": version, "deployment": {"resources": [stack, V1_RESOURCE]}})
    graph, warnings = load_state(path)
    topic = graph.by_urn[TOPIC]
    assert warnings == []
    assert (graph.stack, graph.project) == ("dev", "obsgov")
    assert topic.inputs == {"name": "plain", "kmsMasterKeyId": ""}
    assert topic.outputs == {"arn": "arn:aws:sns:x"}
    assert topic.property_dependencies == {"name": [STACK], "kmsMasterKeyId": [STACK]}
    assert topic.ignore_changes == []
    assert topic.provider == (V1_RESOURCE["provider"] if version == 2 else None)


def test_two_live_resources_with_one_urn_are_refused(tmp_path):
    """Snapshot.VerifyIntegrity (pkg/resource/deploy/snapshot.go): a URN may repeat only when
    all its resources, or all but one, are pending deletion. obsgov's graph holds one
    resource per URN, so the second would be judged as the first or not at all."""
    resources = _resources()
    twin = dict(resources[1], inputs={"name": "twin"})
    path_doc = {"version": 3, "deployment": {"resources": [*resources, twin]}}
    assert _problems(tmp_path, path_doc) == [
        f"{tmp_path / 'state.json'}: deployment.resources[2].urn: duplicate resource {TOPIC} "
        "(not marked for deletion; also deployment.resources[1]): the snapshot is corrupt"
    ]
    replacing = dict(twin, delete=True)  # a replacement under way: the old one goes
    graph, _ = load_state(
        _write(tmp_path, {"version": 3, "deployment": {"resources": [*resources, replacing]}})
    )
    assert len(graph) == 3


def test_every_field_of_a_state_resource_reaches_the_graph(tmp_path):
    full = {
        "id": "topic-id",
        "inputs": {"name": "plain"},
        "outputs": {"name": "plain", "arn": "arn:aws:sns:x"},
        "dependencies": [STACK],
        "propertyDependencies": {"name": [STACK], "arn": None},
        "protect": True,
        "ignoreChanges": ["tags"],
        "additionalSecretOutputs": ["arn"],
        "aliases": ["urn:pulumi:dev::obsgov::aws:sns/topic:Topic::old", {"name": "spec"}],
    }
    path = _write(tmp_path, {"version": 4, "deployment": {"resources": _resources(**full)}})
    graph, warnings = load_state(path)
    assert warnings == []
    assert graph.stack == "dev"
    assert graph.project == "obsgov"
    assert graph.preview is False
    assert graph.source == "state"
    stack, topic = graph.by_urn[STACK], graph.by_urn[TOPIC]
    assert (stack.custom, stack.parent, stack.id, stack.protect) == (False, None, None, False)
    assert (stack.dependencies, stack.ignore_changes, stack.aliases) == ([], [], [])
    assert topic.name == "plain"
    assert topic.type == "aws:sns/topic:Topic"
    assert topic.custom
    assert topic.id == "topic-id"
    assert topic.parent == STACK
    assert topic.provider is None
    assert topic.inputs == {"name": "plain"}
    assert topic.outputs == {"name": "plain", "arn": "arn:aws:sns:x"}
    assert topic.dependencies == [STACK]
    assert topic.property_dependencies == {"name": [STACK], "arn": []}
    assert topic.protect is True
    assert topic.pending_delete is False
    assert topic.ignore_changes == ["tags"]
    assert topic.additional_secret_outputs == ["arn"]
    # alias specs (objects) carry no URN the packs could use
    assert topic.aliases == ["urn:pulumi:dev::obsgov::aws:sns/topic:Topic::old"]
    assert topic.account is None


def test_a_secret_that_does_not_decrypt_is_named_and_refuses_the_file(tmp_path, key):
    """One bad ciphertext (another key) anywhere, inputs or outputs: the CLI cannot decrypt
    the snapshot and redacts every secret; obsgov names the one it cannot read and refuses
    the file, and nothing is half-revealed. A secret without any ciphertext is unreadable
    too."""
    for where in ("inputs", "outputs"):
        for bad in (
            _secret(ciphertext=_encrypt(bytes(32), json.dumps("x"), b"q" * 12)),
            _secret(),
        ):
            state = _secret_state(key)
            topic = state["deployment"]["resources"][1]
            topic.setdefault(where, {})["bad"] = bad
            path = _write(tmp_path, state)
            with pytest.raises(InputError) as caught:
                load_state(path, environ={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
            [problem] = caught.value.problems
            assert problem.key_path == f"deployment.resources[1].{where}.bad"
            assert problem.message.startswith(
                "is a secret that does not decrypt with the stack's passphrase ("
            )


def test_custom_timeouts_reach_the_graph_in_seconds_and_bad_ones_are_named(tmp_path):
    """apitype's ResourceV3 keeps customTimeouts as seconds (resource.CustomTimeouts), and the
    packs get create, update and delete."""
    timeouts = {"create": 300, "update": 90.5, "read": 10}
    path = _write(
        tmp_path, {"version": 3, "deployment": {"resources": _resources(customTimeouts=timeouts)}}
    )
    assert load_state(path)[0].by_urn[TOPIC].custom_timeouts == {"create": 300.0, "update": 90.5}
    bad = {"version": 3, "deployment": {"resources": _resources(customTimeouts={"delete": "5m"})}}
    assert _problems(tmp_path, bad) == [
        f"{tmp_path / 'state.json'}: deployment.resources[1].customTimeouts.delete: "
        "must be a number of seconds"
    ]
