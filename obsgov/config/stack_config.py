"""A stack file's ``config:`` as the Pulumi CLI hands it to a program: a flat map of strings.

The same flat map comes from ``pulumi.Config`` under ``pulumi up`` (see :mod:`.runtime`), so
the settings are validated from it in both places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from obsgov.errors import InputError, PathPart, Problem
from obsgov.io import parse_json

from .models import StackSettings
from .validation import validate_model
from .wording import SECRET

PROJECT = "obsgov"
#: The top-level keys of a Pulumi stack file (``workspace.ProjectStack`` in pulumi/pulumi).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt")


def is_secure_value(value: Any) -> bool:
    """``{secure: <ciphertext>}``: how Pulumi stack files store a secret, at any depth."""
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _hide_secrets(value: Any) -> Any:
    if is_secure_value(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _hide_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_secrets(v) for v in value]
    return value


def stack_config_map(document: Any, file: str, project: str = PROJECT) -> dict[str, str]:
    """Turn a ``Pulumi.<stack>.yaml`` document into the flat config the CLI hands a program.

    The CLI namespaces bare keys with the project name, passes strings as they are, other
    scalars as their string form and maps or lists as JSON (``pulumi config --json``).
    """
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError.single(file, "", "must be a mapping with a config: key")
    problems: list[Problem] = []
    for key in sorted(set(document) - set(STACK_FILE_KEYS) - {"environment"}):
        problems.append(
            Problem(
                file,
                key,
                f"is not a key of a Pulumi stack file (expected {', '.join(STACK_FILE_KEYS)})",
            )
        )
    if "environment" in document:
        # Pulumi reads a top-level environment: as Pulumi ESC environments to import; a user
        # who writes "environment: prod" there means obsgov:environment, and the stack's
        # config would silently come from somewhere obsgov cannot see offline.
        problems.append(
            Problem(
                file,
                "environment",
                "imports Pulumi ESC environments, which "
                "obsgov cannot resolve offline; set the obsgov environment "
                "under config: as obsgov:environment",
            )
        )
    if problems:
        raise InputError(problems)
    config = document.get("config", {}) or {}
    if not isinstance(config, dict):
        raise InputError.single(file, "config", "must be a mapping of key: value")
    flat: dict[str, str] = {}
    for key, value in config.items():
        if key.count(":") > 1 or key.startswith(":") or key.endswith(":"):
            problems.append(Problem(file, f"config.{key}", "must be <key> or <namespace>:<key>"))
            continue
        name = key if ":" in key else f"{project}:{key}"
        if name in flat:
            problems.append(
                Problem(
                    file,
                    f"config.{key}",
                    f"repeats {name} (given both with and without the project name)",
                )
            )
            continue
        value = _hide_secrets(value)
        if isinstance(value, str):
            flat[name] = value
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            flat[name] = str(value)
        elif value is None:
            flat[name] = ""
        else:
            flat[name] = json.dumps(value)
    if problems:
        raise InputError(problems)
    return flat


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return parse_json(value, "")
        except InputError:
            return value
    return value


def settings_from_config_map(
    config: Mapping[str, str], file: str, project: str = PROJECT
) -> tuple[StackSettings | None, list[Problem]]:
    """Validate the ``<project>:*`` and ``aws:region`` keys of a flat config."""
    data: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace == project:
            data[name] = _decode(value)
    if "aws:region" in config:
        data["region"] = config["aws:region"]

    def prefix(loc: tuple) -> list[PathPart]:
        head, *rest = loc or ("",)
        key = "aws:region" if head == "region" else f"{project}:{head}"
        return ["config", key, *rest] if head != "" else ["config"]

    return validate_model(StackSettings, data, file, prefix)
