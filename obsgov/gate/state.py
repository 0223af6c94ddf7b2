"""Read a deployed stack from ``pulumi stack export`` JSON into a resource graph.

Follows ``pulumi policy analyze --file`` (``pkg/resource/deploy/analyze_snapshot.go``): resources
pending deletion are skipped, inputs feed Analyze and outputs feed AnalyzeStack, and secrets that
cannot be decrypted offline are shown as ``[secret]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from obsgov.errors import InputError, Problem
from obsgov.graph import (
    SECRET_SIG,
    SIG_KEY,
    GraphResource,
    ResourceGraph,
    account_from_assume_roles,
    split_provider_ref,
)

REDACTED = "[secret]"


def _reveal(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if "plaintext" in value:  # exported with --show-secrets
                try:
                    return {SIG_KEY: SECRET_SIG, "value": _reveal(json.loads(value["plaintext"]))}
                except (TypeError, json.JSONDecodeError):
                    return {SIG_KEY: SECRET_SIG, "value": value["plaintext"]}
            if "value" in value:
                return {SIG_KEY: SECRET_SIG, "value": _reveal(value["value"])}
            return REDACTED
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def _account_of(provider: dict[str, Any]) -> Optional[str]:
    config = provider.get("outputs") or provider.get("inputs") or {}
    return account_from_assume_roles(config.get("assumeRoles"))


def load_state(path: Path) -> ResourceGraph:
    shown = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.single("--file", "", f"{shown} does not exist") from None
    except json.JSONDecodeError as exc:
        raise InputError.single(shown, "", f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("deployment"), dict):
        raise InputError.single(
            shown, "deployment", "is missing: expected the output of `pulumi stack export`"
        )
    raw = data["deployment"].get("resources") or []
    if not isinstance(raw, list):
        raise InputError.single(shown, "deployment.resources", "must be a list")
    problems = []
    resources: list[GraphResource] = []
    providers: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("urn"), str) or "type" not in item:
            problems.append(Problem(shown, f"deployment.resources[{i}]",
                                    "must be an object with urn and type"))
            continue
        if item["type"].startswith("pulumi:providers:"):
            providers[item["urn"]] = item
    if problems:
        raise InputError(problems)

    project = stack = ""
    for item in raw:
        parts = item["urn"].split("::")
        if len(parts) >= 4:
            stack, project = parts[0].removeprefix("urn:pulumi:"), parts[1]
            break
    for item in raw:
        provider_ref = item.get("provider") or None
        account = None
        if provider_ref:
            provider = providers.get(split_provider_ref(provider_ref)[0])
            account = _account_of(provider) if provider else None
        elif item["type"].startswith("pulumi:providers:"):
            account = _account_of(item)
        resources.append(GraphResource(
            urn=item["urn"],
            type=item["type"],
            name=item["urn"].rsplit("::", 1)[-1],
            custom=bool(item.get("custom", False)),
            inputs=_reveal(item.get("inputs") or {}),
            outputs=_reveal(item.get("outputs") or {}),
            id=item.get("id"),
            parent=item.get("parent"),
            provider=provider_ref,
            dependencies=list(item.get("dependencies") or []),
            property_dependencies={k: list(v or []) for k, v in
                                   (item.get("propertyDependencies") or {}).items()},
            protect=bool(item.get("protect", False)),
            ignore_changes=list(item.get("ignoreChanges") or []),
            additional_secret_outputs=list(item.get("additionalSecretOutputs") or []),
            aliases=[a for a in (item.get("aliases") or []) if isinstance(a, str)],
            account=account,
            pending_delete=bool(item.get("delete", False)),
        ))
    return ResourceGraph(project=project, stack=stack, preview=False, resources=resources,
                         source="state")
