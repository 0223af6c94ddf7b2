"""A team's stack config as the Pulumi CLI builds it: ``Pulumi.<stack>.yaml`` and ``--config``
flags merged with the project's config (``mergeConfig`` and ``validateStackConfigValues`` in
sdk/go/common/workspace/config.go), for ``obsgov preview --project``. The project file itself
is read by :mod:`obsgov.synth.project`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from obsgov.config.stack_config import is_secure_value
from obsgov.config.wording import SECRET
from obsgov.errors import InputError, Problem
from obsgov.io import display_path, read_yaml

from .project import (
    ProjectError,
    PulumiProject,
    full_type_name,
    is_primitive,
    stack_name,
    value_has_type,
)

STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
STACK_TAGS_KEY = "pulumi:tags"
DEFAULT_REGION = "us-east-1"


@dataclass
class StackConfig:
    """The flat config the program gets, which keys are secret, and the stack's tags."""

    stack: str
    file: Path
    config: dict[str, str]
    secret_keys: list[str]
    tags: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def provider_config(self, package: str = "aws") -> dict[str, str]:
        """The package's keys without their namespace: what the engine configures the default
        provider with."""
        prefix = f"{package}:"
        return {k[len(prefix) :]: v for k, v in self.config.items() if k.startswith(prefix)}

    @property
    def region(self) -> str:
        """The default provider's region: ``aws:region``, else the environment's, as the
        provider falls back to it."""
        return (
            self.config.get("aws:region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )


# ------------------------------------------------------------------------- Pulumi.<stack>.yaml
@dataclass
class _Value:
    """One config value as the CLI holds it: its text, whether it is a secret, and the value
    type checks see (the parsed object for a non-string value)."""

    text: str
    secret: bool = False
    checked: Any = None
    from_stack: bool = True
    decrypted: bool = False


PASSPHRASE_WRONG = (
    "failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct "
    "passphrase or set PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase"
)
Decrypt = Callable[[str], str]


def _decrypter(document: dict, shown: str, notes: list[str]) -> Decrypt | None:
    """How the stack's ``secure:`` values are read, as the CLI reads them: with the passphrase
    secrets provider (``encryptionsalt``, pkg/secrets/passphrase/manager.go) and
    ``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE``. A wrong passphrase
    fails as the CLI's locked secrets manager fails. Without a passphrase, or with a cloud
    secrets provider obsgov cannot reach offline, the values stay ``[secret]`` (the CLI would
    ask for the passphrase, or call the provider), with a note."""
    from obsgov.gate.state import (
        SecretsError,
        decrypt_value,
        passphrase_from_environment,
        passphrase_key,
    )

    provider = document.get("secretsprovider")
    salt = document.get("encryptionsalt")
    if provider not in (None, "passphrase") or not isinstance(salt, str):
        notes.append(
            f"{shown}: secure values are encrypted by the secrets provider "
            f"{provider or 'of the Pulumi Cloud backend'}, which obsgov cannot reach offline: "
            "the program gets them as [secret]"
        )
        return None
    passphrase = passphrase_from_environment()
    if passphrase is None:
        notes.append(
            f"{shown}: secure values stay [secret]: set PULUMI_CONFIG_PASSPHRASE or "
            "PULUMI_CONFIG_PASSPHRASE_FILE to decrypt them as the CLI does"
        )
        return None
    try:
        key = passphrase_key(passphrase, salt)
    except SecretsError as exc:
        if str(exc) == "incorrect passphrase":
            raise ProjectError(PASSPHRASE_WRONG) from None
        raise InputError.single(
            shown, "encryptionsalt", f"is not a passphrase salt: {exc}"
        ) from None

    def decrypt(ciphertext: str) -> str:
        try:
            return decrypt_value(key, ciphertext)
        except SecretsError as exc:
            raise ProjectError(f"failed to decrypt config value: {exc}") from None

    return decrypt


def _reveal(value: Any, decrypt: Decrypt) -> Any:
    if is_secure_value(value):
        return decrypt(value["secure"])
    if isinstance(value, dict):
        return {k: _reveal(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, decrypt) for v in value]
    return value


def _has_secure(value: Any) -> bool:
    if is_secure_value(value):
        return True
    if isinstance(value, dict):
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _hide(value: Any) -> Any:
    if is_secure_value(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v) for v in value]
    return value


def _json(value: Any) -> str:
    # Go's encoding/json: sorted keys, no spaces
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _stack_value(raw: Any, decrypt: Decrypt | None = None) -> _Value:
    if decrypt is not None and _has_secure(raw):
        plain = _reveal(raw, decrypt)
        if isinstance(plain, str):
            return _Value(plain, secret=True, checked=plain, decrypted=True)
        return _Value(_json(plain), secret=True, checked=plain, decrypted=True)
    if is_secure_value(raw):
        return _Value(SECRET, secret=True)
    if isinstance(raw, str):
        return _Value(raw, checked=raw)
    if raw is None:
        return _Value("", checked="")
    secret = _has_secure(raw)
    plain = _hide(raw)
    return _Value(_json(plain), secret=secret, checked=plain)


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return "a config key must be a non-empty string"
    if key.count(":") > 1 or key.startswith(":") or key.endswith(":"):
        return "must be <key> or <namespace>:<key>"
    return None


def parse_config_flags(flags: Sequence[str], project: str) -> dict[str, str]:
    """``--config key=value`` as the CLI reads it: bare keys take the project's namespace."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for flag in flags:
        key, sep, value = flag.partition("=")
        problem = "expected key=value" if not sep else _key_problem(key)
        if problem:
            problems.append(Problem("--config", "", f"{flag!r}: {problem}"))
            continue
        values[_namespaced(project, key)] = value
    if problems:
        raise InputError(problems)
    return values


def _read_stack_file(file: Path, project: PulumiProject, notes: list[str]) -> dict[str, _Value]:
    shown = display_path(file)
    document = read_yaml(file)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InputError.single(shown, "", "must be a mapping with a config: key")
    problems: list[Problem] = []
    for key in sorted(set(document) - set(STACK_FILE_KEYS), key=str):
        problems.append(
            Problem(
                shown,
                str(key),
                f"is not a key of a Pulumi stack file (expected {', '.join(STACK_FILE_KEYS)})",
            )
        )
    if document.get("environment"):
        notes.append(
            f"{shown}: environment: Pulumi ESC environments cannot be opened offline; "
            "give the config they would add with --config or --config-file"
        )
    config = document.get("config") or {}
    if not isinstance(config, dict):
        problems.append(Problem(shown, "config", "must be a mapping of key: value"))
        config = {}
    decrypt = _decrypter(document, shown, notes) if _has_secure(config) else None
    values: dict[str, _Value] = {}
    for key, raw in config.items():
        problem = _key_problem(key)
        name = _namespaced(project.name, key) if not problem else ""
        if not problem and name in values:
            problem = f"repeats {name} (given both with and without the project name)"
        if problem:
            problems.append(Problem(shown, f"config.{key}", problem))
            continue
        values[name] = _stack_value(raw, decrypt)
    if problems:
        raise InputError(problems)
    return values


def _missing_keys_message(stack: str, keys: list[str]) -> str:
    """``missingStackConfigurationKeysError`` in config.go."""
    if len(keys) == 1:
        listed = f"'{keys[0]}'"
    else:
        keys = sorted(keys)
        listed = ", ".join(f"'{k}'" for k in keys[:-2])
        listed = (listed + ", " if listed else "") + f"'{keys[-2]}' and '{keys[-1]}'"
    plural = "values" if len(keys) > 1 else "value"
    return f"Stack '{stack}' is missing configuration {plural} {listed}"


def _project_value(value: Any) -> _Value:
    """``createConfigValue``: strings, integers and booleans as their text, the rest as JSON."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return _Value(text, checked=text, from_stack=False)
    if is_primitive(value):
        return _Value(str(value), checked=str(value), from_stack=False)
    return _Value(_json(value), checked=value, from_stack=False)


def _add_project_values(
    project: PulumiProject, values: dict[str, _Value], name: str, notes: list[str]
) -> None:
    """The project's declared defaults and values where the stack sets none; a key of the
    project's own namespace with neither is missing (every missing key named at once)."""
    missing: list[str] = []
    for key in sorted(project.config):
        declared = project.config[key]
        full = _namespaced(project.name, key)
        if full in values:
            continue
        if declared.default is not None:
            values[full] = _project_value(declared.default)
        elif declared.value is not None:
            values[full] = _project_value(declared.value)
        elif full.split(":", 1)[0] == project.name:
            missing.append(key)
    if missing:
        raise ProjectError(_missing_keys_message(name, missing), notes)


def _check_declared_types(
    project: PulumiProject, values: dict[str, _Value], name: str, notes: list[str]
) -> None:
    """Secret keys must be encrypted in the stack file; typed keys must hold their type."""
    for key in sorted(project.config):
        declared = project.config[key]
        value = values.get(_namespaced(project.name, key))
        if declared.type is None or value is None:
            continue
        if declared.secret and not (value.secret and value.from_stack):
            raise ProjectError(
                f"Stack '{name}' with configuration key '{key}' must be encrypted as it's secret",
                notes,
            )
        if value.secret and not value.decrypted:
            continue  # not decrypted, so its type cannot be checked
        if not value_has_type(declared.type, declared.items, value.checked):
            raise ProjectError(
                f"Stack '{name}' with configuration key '{key}' must be of type "
                f"'{full_type_name(declared.type, declared.items)}'",
                notes,
            )


def load_stack_config(
    project: PulumiProject,
    stack: str,
    config_file: Path | None = None,
    flags: Sequence[str] = (),
) -> StackConfig:
    """The stack's config as the CLI hands it to the program. ``config_file`` replaces the
    stack's settings file (the CLI's ``--config-file``); ``flags`` are ``--config key=value``
    and win over both. Raises :class:`ProjectError` with the CLI's words for config the CLI
    would refuse, :class:`InputError` for files it cannot read."""
    name = stack_name(stack)
    overrides = parse_config_flags(flags, project.name)
    notes: list[str] = []
    file = config_file or project.stack_file(stack)
    if config_file is None and not file.exists():
        # The CLI starts a stack without a settings file with no config of its own.
        notes.append(f"{display_path(file)} does not exist: stack {name} has no config of its own")
        values: dict[str, _Value] = {}
    else:
        values = _read_stack_file(file, project, notes)
    for key, text in overrides.items():
        values[key] = _Value(text, checked=text)

    _add_project_values(project, values, name, notes)
    _check_declared_types(project, values, name, notes)

    config = {k: v.text for k, v in sorted(values.items())}
    tags = project.builtin_tags()
    raw_tags = values.get(STACK_TAGS_KEY)
    if raw_tags is not None:
        parsed = raw_tags.checked
        if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
            raise InputError.single(
                display_path(file), f"config.{STACK_TAGS_KEY}", "must map tag names to strings"
            )
        tags.update(parsed)
    return StackConfig(
        stack=name,
        file=file,
        config=config,
        secret_keys=sorted(k for k, v in values.items() if v.secret),
        tags=tags,
        notes=notes,
    )
