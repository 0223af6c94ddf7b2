"""Read a deployed stack from ``pulumi stack export`` JSON into a resource graph.

Follows ``pulumi policy analyze --file`` (``pkg/cmd/pulumi/policy/policy_analyze.go`` and
``pkg/resource/deploy/analyze_snapshot.go``): deployment versions 1 to 4 (1 and 2 migrated
as ``pkg/resource/stack/migrate`` does), every URN must be valid, a file of several stacks is
judged whole, a file without resources has nothing to analyze, resources pending deletion are
skipped, inputs feed Analyze and outputs feed AnalyzeStack. Secrets are decrypted when the
stack uses the passphrase secrets provider and ``PULUMI_CONFIG_PASSPHRASE`` (or
``PULUMI_CONFIG_PASSPHRASE_FILE``) is set, as the CLI decrypts them.

Two refusals are obsgov's own. Where the CLI cannot decrypt the secrets it judges them as the
string ``[secret]`` and may pass a stack whose secret policy grants ``*:*``; obsgov's verdict is
never a pass on data it could not read, so such a file is bad input until the passphrase is
given or the stack is exported with ``--show-secrets``. And two live resources with one URN
(a snapshot the engine's integrity check refuses, ``Snapshot.VerifyIntegrity`` in
``pkg/resource/deploy/snapshot.go``) are refused rather than judged as one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.errors import InputError, Problem
from obsgov.graph import (
    SECRET_SIG,
    SIG_KEY,
    GraphResource,
    ResourceGraph,
    account_from_assume_roles,
    is_valid_urn,
    split_provider_ref,
)
from obsgov.io import display_path, read_json, read_text

REDACTED = "[secret]"
# UnmarshalUntypedDeployment (pkg/resource/stack/deployment.go): DeploymentSchemaVersion-
# OldestSupported 1 to DeploymentSchemaVersionLatest 4; 1 and 2 are migrated to 3.
OLDEST_VERSION, LATEST_VERSION = 1, 4
SUPPORTED_VERSIONS = tuple(range(OLDEST_VERSION, LATEST_VERSION + 1))
# supportedFeatures in deployment.go: a version 4 deployment naming any other is refused.
SUPPORTED_FEATURES = frozenset(
    {
        "refreshBeforeUpdate",
        "views",
        "hooks",
        "taint",
        "replaceWith",
        "snippets-prototype",
        "extensionParameterization",
        "byteString",
    }
)
# The fields of apitype.ResourceV1 and ResourceV2 (sdk/go/common/apitype/core.go): Go's
# json.Unmarshal into those structs drops every other key before the migration to V3.
RESOURCE_V1_FIELDS = frozenset(
    {
        "urn",
        "custom",
        "delete",
        "id",
        "type",
        "inputs",
        "outputs",
        "parent",
        "protect",
        "dependencies",
        "initErrors",
    }
)
RESOURCE_V2_FIELDS = RESOURCE_V1_FIELDS | {"external", "provider"}
MULTIPLE = "multiple"  # stackReferenceForFile's label for a file of several stacks
PBKDF2_ROUNDS = (
    1_000_000  # NewSymmetricCrypterFromPassphrase (sdk/go/common/resource/config/crypt.go)
)


class SecretsError(Exception):
    pass


# --------------------------------------------------------------------------- secrets


def passphrase_key(passphrase: str, salt_state: str) -> bytes:
    """The AES-256 key for a passphrase stack, checked against the salt state
    (``v1:<salt>:v1:<nonce>:<ciphertext of "pulumi">``, pkg/secrets/passphrase/manager.go)."""
    parts = salt_state.split(":", 2)
    if len(parts) != 3 or parts[0] != "v1":
        raise SecretsError("malformed state value")
    try:
        salt = _std_b64decode(parts[1])
    except (binascii.Error, ValueError):
        raise SecretsError("malformed state value") from None
    key = hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, PBKDF2_ROUNDS, 32)
    # manager.go: a check value that does not decrypt, or decrypts to anything but "pulumi",
    # is ErrIncorrectPassphrase
    try:
        check = decrypt_value(key, parts[2])
    except SecretsError:
        check = None
    if check != "pulumi":
        raise SecretsError("incorrect passphrase")
    return key


def _std_b64decode(text: str) -> bytes:
    """Go's ``base64.StdEncoding.DecodeString``: padded standard alphabet, any other character
    refused except carriage returns and newlines, which it skips."""
    return base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)


def decrypt_value(key: bytes, ciphertext: str) -> str:
    """``symmetricCrypter.DecryptValue``: ``v1:<base64 nonce>:<base64 AES-GCM ciphertext>``."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    parts = ciphertext.split(":")
    if len(parts) != 3 or parts[0] != "v1":
        raise SecretsError("bad value")
    try:
        nonce = _std_b64decode(parts[1])
        body = _std_b64decode(parts[2])
    except (binascii.Error, ValueError):
        raise SecretsError("bad value") from None
    if len(nonce) != 12:
        raise SecretsError("bad value: nonce size is incorrect")
    try:
        return AESGCM(key).decrypt(nonce, body, None).decode("utf-8")
    except (InvalidTag, UnicodeDecodeError):
        raise SecretsError("message authentication failed") from None


def passphrase_from_environment(environ: Mapping[str, str] = os.environ) -> str | None:
    if environ.get("PULUMI_CONFIG_PASSPHRASE") is not None:
        return environ["PULUMI_CONFIG_PASSPHRASE"]
    file = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if file:
        # readPassphrase (pkg/secrets/passphrase/manager.go) trims the file's text with
        # strings.TrimSpace: leading and trailing white space of any kind
        return read_text(Path(file)).strip()
    return None


def _reveal(value: Any, decrypt: Callable[[str], str] | None) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            text = value.get("plaintext")  # exported with --show-secrets
            if text is None and decrypt is not None and isinstance(value.get("ciphertext"), str):
                text = decrypt(value["ciphertext"])
            if isinstance(text, str):
                try:
                    plain = json.loads(text)
                except json.JSONDecodeError:
                    plain = text
                return {SIG_KEY: SECRET_SIG, "value": _reveal(plain, decrypt)}
            if "value" in value:
                return {SIG_KEY: SECRET_SIG, "value": _reveal(value["value"], decrypt)}
            return REDACTED
        return {k: _reveal(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, decrypt) for v in value]
    return value


# --------------------------------------------------------------------------- shape checks

# resource.CustomTimeouts (sdk/go/common/resource/custom_timeouts.go): seconds, omitted when 0;
# the engine's AnalyzerResourceOptions carry create, update and delete.
TIMEOUT_KINDS = ("create", "update", "delete")


def _custom_timeouts(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    return {key: float(value[key]) for key in TIMEOUT_KINDS if value.get(key)}


@dataclass
class _Checker:
    shown: str
    problems: list[Problem] = field(default_factory=list)

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.shown, key, message))

    def optional(self, item: dict, key: str, where: str, kinds: tuple, what: str) -> Any:
        value = item.get(key)
        if value is not None and not isinstance(value, kinds):
            self.fail(f"{where}.{key}", f"must be {what}, not {json.dumps(value)[:60]}")
            return None
        return value

    def strings(self, item: dict, key: str, where: str) -> list[str]:
        value = self.optional(item, key, where, (list,), "a list of strings")
        if value is None:
            return []
        if not all(isinstance(v, str) for v in value):
            self.fail(f"{where}.{key}", "must be a list of strings")
            return []
        return list(value)


def _account_of(provider: dict[str, Any]) -> str | None:
    config = provider.get("outputs") or provider.get("inputs") or {}
    return (
        account_from_assume_roles(config.get("assumeRoles")) if isinstance(config, dict) else None
    )


def load_state(
    path: Path, stack: str | None = None, environ: Mapping[str, str] = os.environ
) -> tuple[ResourceGraph, list[str]]:
    """The graph in a state file, and the warnings to show (a file of several stacks).
    ``stack``: the stack the user named; the file must be that stack's. A file without
    resources gives an empty graph: nothing to analyze."""
    shown = display_path(path)
    data = _read_export(path, shown)
    version = _deployment_version(data, shown)
    if version >= 4:
        _check_features(data.get("features"), shown)
    deployment = _migrate(data["deployment"], version)
    raw = deployment.get("resources")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InputError.single(shown, "deployment.resources", "must be a list")
    if not raw:
        # policy_analyze.go: "%s has no resources; nothing to analyze." and no error
        graph = ResourceGraph(
            project="", stack=stack or "", preview=False, resources=[], source="state"
        )
        return graph, []

    check = _Checker(shown)
    for i, item in enumerate(raw):
        _check_resource(check, f"deployment.resources[{i}]", item)
    if check.problems:
        raise InputError(check.problems)
    _check_duplicates(raw, check)
    if check.problems:
        raise InputError(check.problems)

    file_stack, project, warnings = _stack_of(raw, stack, shown)
    decrypt = _readable_secrets(deployment, raw, environ, shown)
    providers = {item["urn"]: item for item in raw if item["type"].startswith("pulumi:providers:")}
    resources = [_graph_resource(item, providers, decrypt) for item in raw]
    graph = ResourceGraph(
        project=project, stack=file_stack, preview=False, resources=resources, source="state"
    )
    return graph, warnings


def _read_export(path: Path, shown: str) -> dict[str, Any]:
    """The JSON of `pulumi stack export`: an object with a ``deployment`` object."""
    try:
        data = read_json(path)
    except InputError:
        if _blank(path):
            # json.Decoder.Decode in policy_analyze.go fails with "reading deployment from
            # <file>: EOF"; the file is refused as the bad input it is.
            raise InputError.single(
                shown, "", "is empty: expected the JSON `pulumi stack export` writes"
            ) from None
        raise
    if not isinstance(data, dict) or not isinstance(data.get("deployment"), dict):
        raise InputError.single(
            shown, "deployment", "is missing: expected the output of `pulumi stack export`"
        )
    return data


def _deployment_version(data: dict[str, Any], shown: str) -> int:
    version = data.get("version")
    # UntypedDeployment.Version is `json:"version,omitempty"`: absent reads as 0, too old.
    if version is None:
        version = 0
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError.single(
            shown,
            "version",
            f"must be the deployment's schema version (a number, {OLDEST_VERSION} to "
            f"{LATEST_VERSION})",
        )
    if not OLDEST_VERSION <= version <= LATEST_VERSION:
        wording = (
            "this stack's deployment version is too new"
            if version > LATEST_VERSION
            else "this stack's deployment is too old"
        )
        raise InputError.single(
            shown,
            "version",
            f"{wording} (version {version}; obsgov reads versions {OLDEST_VERSION} to "
            f"{LATEST_VERSION})",
        )
    return version


def _check_resource(check: _Checker, where: str, item: Any) -> None:
    """The shape of one resource of the state file, every problem at once."""
    if not isinstance(item, dict):
        check.fail(where, "must be an object with urn and type")
        return
    urn = item.get("urn")
    if not is_valid_urn(urn):
        # policy_analyze.go: "state file %s contains a resource with an invalid URN %q"
        check.fail(
            f"{where}.urn",
            f"state file {check.shown} contains a resource with an invalid "
            f"URN {json.dumps(urn)[:120]}",
        )
    if not isinstance(item.get("type"), str) or not item.get("type"):
        check.fail(f"{where}.type", "must be a resource type token (a string)")
    for key in ("inputs", "outputs", "propertyDependencies"):
        check.optional(item, key, where, (dict,), "an object")
    for key in ("parent", "provider", "id"):
        check.optional(item, key, where, (str,), "a string")
    for key in ("custom", "protect", "delete"):
        check.optional(item, key, where, (bool,), "true or false")
    for key in ("dependencies", "ignoreChanges", "additionalSecretOutputs"):
        check.strings(item, key, where)
    check.optional(item, "aliases", where, (list,), "a list")
    timeouts = check.optional(item, "customTimeouts", where, (dict,), "an object")
    for key, seconds in (timeouts or {}).items():
        if key in TIMEOUT_KINDS and (
            isinstance(seconds, bool) or not isinstance(seconds, (int, float))
        ):
            check.fail(f"{where}.customTimeouts.{key}", "must be a number of seconds")
    deps = item.get("propertyDependencies")
    if isinstance(deps, dict):
        for key, urns in deps.items():
            if urns is not None and (
                not isinstance(urns, list) or not all(isinstance(u, str) for u in urns)
            ):
                check.fail(f"{where}.propertyDependencies.{key}", "must be a list of URNs")


def _stack_of(
    raw: list[dict[str, Any]], stack: str | None, shown: str
) -> tuple[str, str, list[str]]:
    """The stack and project the file's URNs name (MULTIPLE for a file of several stacks,
    with a warning), refused when the user named another stack."""
    stacks = sorted(
        {
            (item["urn"].split("::")[0].removeprefix("urn:pulumi:"), item["urn"].split("::")[1])
            for item in raw
        }
    )
    warnings: list[str] = []
    if len(stacks) > 1:
        names = ", ".join(f"{s}/{p}" for s, p in stacks)
        if stack is not None:
            raise InputError.single(
                "--stack",
                "",
                f"{shown} holds the resources of several stacks ({names}); --stack would judge "
                f"them all with the {stack} environment's config: give the {stack} stack's own "
                "export, or leave out --stack to judge the file whole as `pulumi policy "
                "analyze --file` does",
            )
        file_stack, project = MULTIPLE, MULTIPLE
        warnings.append(
            f"{shown} holds the resources of several stacks ({names}); they are judged "
            "together, as `pulumi policy analyze --file` judges them"
        )
    else:
        file_stack, project = stacks[0]
    if stack is not None and stack != file_stack:
        raise InputError.single(
            "--stack",
            "",
            f"is {stack!r} but {shown} is the state of "
            f"stack {file_stack!r}; give --stack {file_stack} or the "
            f"{stack} stack's export",
        )
    return file_stack, project, warnings


def _graph_resource(
    item: dict[str, Any],
    providers: dict[str, dict[str, Any]],
    decrypt: Callable[[str], str] | None,
) -> GraphResource:
    provider_ref = item.get("provider") or None
    account = None
    if provider_ref:
        provider = providers.get(split_provider_ref(provider_ref)[0])
        account = _account_of(provider) if provider else None
    elif item["type"].startswith("pulumi:providers:"):
        account = _account_of(item)
    return GraphResource(
        urn=item["urn"],
        type=item["type"],
        name=item["urn"].rsplit("::", 1)[-1],
        custom=bool(item.get("custom", False)),
        inputs=_reveal(item.get("inputs") or {}, decrypt),
        outputs=_reveal(item.get("outputs") or {}, decrypt),
        id=item.get("id"),
        parent=item.get("parent") or None,
        provider=provider_ref,
        dependencies=list(item.get("dependencies") or []),
        property_dependencies={
            k: list(v or []) for k, v in (item.get("propertyDependencies") or {}).items()
        },
        protect=bool(item.get("protect", False)),
        ignore_changes=list(item.get("ignoreChanges") or []),
        additional_secret_outputs=list(item.get("additionalSecretOutputs") or []),
        aliases=[a for a in (item.get("aliases") or []) if isinstance(a, str)],
        account=account,
        pending_delete=bool(item.get("delete", False)),
        custom_timeouts=_custom_timeouts(item.get("customTimeouts")),
    )


def _blank(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return not handle.read(65536).strip() and not handle.read(1)
    except OSError:
        return False


def _check_features(features: Any, shown: str) -> None:
    if features is None:
        return
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise InputError.single(shown, "features", "must be a list of feature names")
    unsupported = [f for f in features if f not in SUPPORTED_FEATURES]
    if unsupported:
        # ErrDeploymentUnsupportedFeatures' words
        raise InputError.single(
            shown,
            "features",
            "this stack's deployment needs support for the following features: "
            + ", ".join(unsupported),
        )


def _migrate(deployment: dict[str, Any], version: int) -> dict[str, Any]:
    """A version 1 or 2 deployment as the CLI reads it after ``UpToDeploymentV3``: only the
    fields the old resource types have survive (no secrets provider, no provider reference
    in version 1), and every input depends on all of the resource's dependencies
    (``UpToResourceV3`` in pkg/resource/stack/migrate/resource.go)."""
    if version >= 3:
        return deployment
    fields = RESOURCE_V1_FIELDS if version == 1 else RESOURCE_V2_FIELDS
    resources = deployment.get("resources")
    migrated: dict[str, Any] = {"resources": resources}
    if isinstance(resources, list):
        migrated["resources"] = [_migrate_resource(r, fields) for r in resources]
    return migrated


def _migrate_resource(item: Any, fields: frozenset[str]) -> Any:
    if not isinstance(item, dict):
        return item
    kept = {k: v for k, v in item.items() if k in fields}
    inputs, dependencies = kept.get("inputs"), kept.get("dependencies")
    if isinstance(inputs, dict):
        kept["propertyDependencies"] = {
            key: list(dependencies) if isinstance(dependencies, list) else None for key in inputs
        }
    return kept


def _check_duplicates(raw: list[dict[str, Any]], check: _Checker) -> None:
    """Two resources may share a URN only while all of them, or all but one, are pending
    deletion (a replacement under way); otherwise the snapshot is corrupt, as
    ``Snapshot.VerifyIntegrity`` (pkg/resource/deploy/snapshot.go) says."""
    by_urn: dict[str, list[int]] = {}
    for i, item in enumerate(raw):
        by_urn.setdefault(item["urn"], []).append(i)
    for urn, places in by_urn.items():
        deletes = sum(1 for i in places if raw[i].get("delete"))
        if len(places) > 1 and deletes < len(places) - 1:
            live = [i for i in places if not raw[i].get("delete")]
            for i in live[1:]:
                check.fail(
                    f"deployment.resources[{i}].urn",
                    f"duplicate resource {urn} (not marked for deletion; also "
                    f"deployment.resources[{live[0]}]): the snapshot is corrupt",
                )


_FIX = (
    "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's "
    "passphrase, or export the stack with `pulumi stack export --show-secrets`"
)


def _ciphertexts(value: Any, path: str) -> list[tuple[str, str]]:
    """Every secret under ``value`` that only its ciphertext holds: key path, ciphertext."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if "plaintext" in value or "value" in value:
                return []
            # a secret without its ciphertext holds nothing to read either
            text = value.get("ciphertext")
            return [(path, text if isinstance(text, str) else "")]
        found: list[tuple[str, str]] = []
        for key, item in value.items():
            found += _ciphertexts(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        found = []
        for i, item in enumerate(value):
            found += _ciphertexts(item, f"{path}[{i}]")
        return found
    return []


def _readable_secrets(
    deployment: dict[str, Any], raw: list[dict[str, Any]], environ: Mapping[str, str], shown: str
) -> Callable[[str], str] | None:
    """The decrypter for the file's secrets, or None when it holds none. A secret that
    cannot be read is an input error: the packs would judge ``[secret]`` instead of the
    value, and a policy that cannot see a value cannot fail it."""
    secrets = [
        found
        for i, item in enumerate(raw)
        for where in ("inputs", "outputs")
        for found in _ciphertexts(item.get(where), f"deployment.resources[{i}].{where}")
    ]
    if not secrets:
        return None
    count = f"{len(secrets)} encrypted secret value{'s' if len(secrets) != 1 else ''}"
    refusal = (
        f"holds {count} obsgov cannot read ({{why}}); obsgov judges no stack it cannot see "
        "(`pulumi policy analyze` would judge each as the text [secret] and could pass it): " + _FIX
    )
    provider = deployment.get("secrets_providers")
    kind = provider.get("type") if isinstance(provider, dict) else None
    if kind != "passphrase":
        why = (
            f"the {kind!r} secrets provider encrypted them, which obsgov cannot reach offline"
            if isinstance(kind, str) and kind
            else "the file names no secrets provider"
        )
        raise InputError.single(shown, "deployment.secrets_providers", refusal.format(why=why))
    state = provider.get("state") if isinstance(provider, dict) else None
    salt = state.get("salt") if isinstance(state, dict) else None
    if not isinstance(salt, str):
        raise InputError.single(
            shown,
            "deployment.secrets_providers.state.salt",
            refusal.format(why="the passphrase provider's salt is missing"),
        )
    passphrase = passphrase_from_environment(environ)
    if passphrase is None:
        raise InputError.single(
            shown,
            "deployment.secrets_providers",
            refusal.format(
                why="neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set"
            ),
        )
    try:
        key = passphrase_key(passphrase, salt)
    except SecretsError as exc:
        variable = (
            "PULUMI_CONFIG_PASSPHRASE"
            if environ.get("PULUMI_CONFIG_PASSPHRASE") is not None
            else "PULUMI_CONFIG_PASSPHRASE_FILE"
        )
        why = (
            f"{variable} is not this stack's passphrase"
            if str(exc) == "incorrect passphrase"
            else f"the passphrase provider's salt is not valid: {exc}"
        )
        raise InputError.single(
            shown, "deployment.secrets_providers.state.salt", refusal.format(why=why)
        ) from None
    problems = []
    for path, ciphertext in secrets:
        try:
            decrypt_value(key, ciphertext)
        except SecretsError as exc:
            problems.append(
                Problem(
                    shown,
                    path,
                    f"is a secret that does not decrypt with the stack's passphrase ({exc}); "
                    "obsgov judges no stack it cannot see",
                )
            )
    if problems:
        raise InputError(problems)
    return lambda ciphertext: decrypt_value(key, ciphertext)
