"""Read a deployed stack from ``pulumi stack export`` JSON into a resource graph.

Follows ``pulumi policy analyze --file`` (``pkg/cmd/pulumi/policy/policy_analyze.go`` and
``pkg/resource/deploy/analyze_snapshot.go``): deployment versions 3 and 4 only, every URN must
be valid, resources pending deletion are skipped, inputs feed Analyze and outputs feed
AnalyzeStack. Secrets are decrypted when the stack uses the passphrase secrets provider and
``PULUMI_CONFIG_PASSPHRASE`` (or ``PULUMI_CONFIG_PASSPHRASE_FILE``) is set, as the CLI
decrypts them; otherwise every secret becomes ``[secret]`` and the CLI's warning is given.
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
# UnmarshalUntypedDeployment (pkg/resource/stack/deployment.go) reads versions 1 to 4; 1 and 2
# are older layouts that only the CLI's migrations understand.
SUPPORTED_VERSIONS = (3, 4)
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


def _has_ciphertext(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return "ciphertext" in value
        return any(_has_ciphertext(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_ciphertext(v) for v in value)
    return False


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
    """The graph in a state file, and the warnings to show (secrets left undecrypted).
    ``stack``: the stack the user named; the file must be that stack's."""
    shown = display_path(path)
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("deployment"), dict):
        raise InputError.single(
            shown, "deployment", "is missing: expected the output of `pulumi stack export`"
        )
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError.single(
            shown,
            "version",
            "must be the deployment's schema version "
            f"(a number, {' or '.join(map(str, SUPPORTED_VERSIONS))})",
        )
    if version not in SUPPORTED_VERSIONS:
        wording = (
            "this stack's deployment version is too new"
            if version > max(SUPPORTED_VERSIONS)
            else "this stack's deployment is too old"
        )
        raise InputError.single(
            shown,
            "version",
            f"{wording} (version {version}; obsgov reads "
            f"versions {' and '.join(map(str, SUPPORTED_VERSIONS))})",
        )
    deployment = data["deployment"]
    raw = deployment.get("resources")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InputError.single(shown, "deployment.resources", "must be a list")
    if not raw:
        raise InputError.single(
            shown, "deployment.resources", "is empty: the stack has no resources to judge"
        )

    check = _Checker(shown)
    for i, item in enumerate(raw):
        where = f"deployment.resources[{i}]"
        if not isinstance(item, dict):
            check.fail(where, "must be an object with urn and type")
            continue
        urn = item.get("urn")
        if not is_valid_urn(urn):
            # policy_analyze.go: "state file %s contains a resource with an invalid URN %q"
            check.fail(
                f"{where}.urn",
                f"state file {shown} contains a resource with an invalid "
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
    if check.problems:
        raise InputError(check.problems)

    stacks = {
        (item["urn"].split("::")[0].removeprefix("urn:pulumi:"), item["urn"].split("::")[1])
        for item in raw
    }
    if len(stacks) > 1:
        names = ", ".join(sorted(f"{s}/{p}" for s, p in stacks))
        raise InputError.single(
            shown, "deployment.resources", f"holds resources of several stacks ({names})"
        )
    file_stack, project = next(iter(stacks))
    if stack is not None and stack != file_stack:
        raise InputError.single(
            "--stack",
            "",
            f"is {stack!r} but {shown} is the state of "
            f"stack {file_stack!r}; give --stack {file_stack} or the "
            f"{stack} stack's export",
        )

    warnings: list[str] = []
    decrypt = _decrypter(deployment, environ)
    if any(
        _has_ciphertext(item.get("inputs")) or _has_ciphertext(item.get("outputs")) for item in raw
    ):
        if decrypt is not None:
            try:
                for item in raw:
                    _reveal(item.get("inputs") or {}, decrypt)
                    _reveal(item.get("outputs") or {}, decrypt)
            except SecretsError:
                decrypt = None
        if decrypt is None:
            warnings.append(
                f"could not decrypt secrets in {shown}; analyzing with secret values redacted"
            )

    providers = {item["urn"]: item for item in raw if item["type"].startswith("pulumi:providers:")}
    resources: list[GraphResource] = []
    for item in raw:
        provider_ref = item.get("provider") or None
        account = None
        if provider_ref:
            provider = providers.get(split_provider_ref(provider_ref)[0])
            account = _account_of(provider) if provider else None
        elif item["type"].startswith("pulumi:providers:"):
            account = _account_of(item)
        resources.append(
            GraphResource(
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
        )
    graph = ResourceGraph(
        project=project, stack=file_stack, preview=False, resources=resources, source="state"
    )
    return graph, warnings


def _decrypter(deployment: dict, environ: Mapping[str, str]) -> Callable[[str], str] | None:
    provider = deployment.get("secrets_providers")
    if not isinstance(provider, dict) or provider.get("type") != "passphrase":
        return None
    state = provider.get("state")
    salt = state.get("salt") if isinstance(state, dict) else None
    if not isinstance(salt, str):
        return None
    passphrase = passphrase_from_environment(environ)
    if passphrase is None:
        return None
    try:
        key = passphrase_key(passphrase, salt)
    except SecretsError:
        return None
    return lambda ciphertext: decrypt_value(key, ciphertext)
