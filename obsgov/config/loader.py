"""Load and validate an environment: stack config, organization file and accounts registry.

Everything is validated at the edge and every problem is collected before raising, so a user
fixing a config sees the whole list at once (``InputError``), each entry naming its file and key
path. The same code runs in three places: the ``obsgov`` CLI (reading the YAML directly), the
Pulumi program under ``pulumi up`` (reading ``pulumi.Config``), and the offline synthesizer.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from obsgov.errors import InputError, PathPart, Problem, format_key_path

from .models import (
    AccountsRegistry,
    BusinessKpi,
    EtlPipeline,
    MemberAccount,
    MlEndpoint,
    OrganizationConfig,
    StackSettings,
)

PROJECT = "obsgov"
# libyaml's safe loader when PyYAML has it: registries of hundreds of accounts load ~10x faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WORKLOAD_KINDS = {"ml-endpoint", "etl-pipeline", "business-kpi"}
M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------- helpers


def display_path(path: Path) -> str:
    """Paths in messages are relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax errors into an ``InputError``."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.single(shown, "", "file not found") from None
    except OSError as exc:
        raise InputError.single(shown, "", f"cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(shown, "", f"{where}invalid YAML ({problem})") from None


def _friendly(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known key" + _suggestion(error["loc"], model)
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "string_type":
        return "must be a string (quote it in YAML: unquoted digits become numbers)"
    if kind == "union_tag_invalid":
        return f"kind must be one of {', '.join(sorted(_WORKLOAD_KINDS))}"
    if kind == "union_tag_not_found":
        return "kind is required (one of " + ", ".join(sorted(_WORKLOAD_KINDS)) + ")"
    return str(error["msg"]).replace("Input should be", "must be")


def _suggestion(loc: tuple, model: type[BaseModel]) -> str:
    known = _known_keys(model, [p for p in loc[:-1] if not isinstance(p, int)])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _known_keys(model: type[BaseModel], parents: list) -> list[str]:
    current: Any = model
    for part in parents:
        if part in _WORKLOAD_KINDS:
            current = {"ml-endpoint": MlEndpoint, "etl-pipeline": EtlPipeline,
                       "business-kpi": BusinessKpi}[part]
            continue
        fields = getattr(current, "model_fields", {})
        match = next((f for n, f in fields.items() if (f.alias or n) == part), None)
        if match is None:
            return []
        annotation = match.annotation
        for arg in getattr(annotation, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                annotation = arg
        current = annotation
    fields = getattr(current, "model_fields", {})
    return [f.alias or n for n, f in fields.items()]


# positions of the kept entries in the file, plus the names every account entry declared
RegistryIndices = dict[str, list]


def validate_registry(
    data: Any, file: str
) -> tuple[Optional[AccountsRegistry], RegistryIndices, list[Problem]]:
    """Validate the registry entry by entry, keeping the valid entries.

    Cross-entry rules (duplicates, references) then still run on what is valid, so one bad
    entry does not hide the problems of the others.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, {}, [Problem(file, "", f"must be a mapping, got {type(data).__name__}")]
    problems: list[Problem] = []
    unknown = sorted(set(data) - {"accounts", "workloads"})
    for key in unknown:
        problems.append(Problem(file, str(key), "is not a known key (expected accounts, workloads)"))
    kept: dict[str, list] = {"accounts": [], "workloads": []}
    indices: dict[str, list[int]] = {"accounts": [], "workloads": []}
    for section in ("accounts", "workloads"):
        items = data.get(section, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(Problem(file, section, "must be a list"))
            continue
        for i, item in enumerate(items):
            wrapper, found = validate_model(
                AccountsRegistry,
                {"accounts": [item]} if section == "accounts" else
                {"accounts": [], "workloads": [item]},
                file,
                prefix=lambda loc, i=i: [loc[0], i, *loc[2:]] if len(loc) > 1 else list(loc),
            )
            found = [p for p in found if p.key_path != "accounts"]  # min_length on the wrapper
            problems += found
            if not found:
                kept[section].append(item)
                indices[section].append(i)
    indices["declared"] = [
        a.get("name") for a in (data.get("accounts") or []) if isinstance(a, dict)
    ] if isinstance(data.get("accounts"), list) else []
    if not data.get("accounts"):
        problems.append(Problem(file, "accounts", "must list at least one member account"))
    if problems and not kept["accounts"]:
        return None, indices, problems
    registry = AccountsRegistry.model_construct(
        accounts=[AccountsRegistry.model_validate({"accounts": [a]}).accounts[0]
                  for a in kept["accounts"]],
        workloads=[AccountsRegistry.model_validate({"accounts": kept["accounts"][:1],
                                                    "workloads": [w]}).workloads[0]
                   for w in kept["workloads"]],
    )
    return registry, indices, problems


def validate_model(
    model: type[M],
    data: Any,
    file: str,
    prefix: Callable[[tuple], list[PathPart]] = lambda loc: list(loc),
) -> tuple[Optional[M], list[Problem]]:
    """Validate ``data``; return the model or the list of problems (never both)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(file, "", f"must be a mapping, got {type(data).__name__}")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p not in _WORKLOAD_KINDS)
            problems.append(
                Problem(file, format_key_path(prefix(loc)), _friendly(error, model))
            )
        return None, problems


# --------------------------------------------------------------------------- stack config


def stack_config_map(document: Any, file: str, project: str = PROJECT) -> dict[str, str]:
    """Turn a ``Pulumi.<stack>.yaml`` document into the flat config the CLI hands a program.

    The CLI namespaces bare keys with the project name, passes strings as they are, other
    scalars as their string form and maps or lists as JSON (``pulumi config --json``).
    """
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError.single(file, "", "must be a mapping with a config: key")
    config = document.get("config", {}) or {}
    if not isinstance(config, dict):
        raise InputError.single(file, "config", "must be a mapping of key: value")
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = str(key) if ":" in str(key) else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[name] = "[secret]"  # ciphertext cannot be decrypted without the stack's key
        elif isinstance(value, str):
            flat[name] = value
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            flat[name] = str(value)
        else:
            flat[name] = json.dumps(value)
    return flat


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def settings_from_config_map(
    config: Mapping[str, str], file: str, project: str = PROJECT
) -> tuple[Optional[StackSettings], list[Problem]]:
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


# --------------------------------------------------------------------------- environment


@dataclass(frozen=True)
class EnvironmentConfig:
    """A validated environment: everything the program and the policy gate need."""

    stack: str
    stack_file: Path
    settings: StackSettings
    organization_file: Path
    org: OrganizationConfig
    registry_file: Path
    registry: AccountsRegistry
    config_map: dict[str, str] = field(default_factory=dict)

    @property
    def environment(self) -> str:
        return self.settings.environment

    @property
    def member_accounts(self) -> list[MemberAccount]:
        return [a for a in self.registry.accounts if a.environment == self.environment]

    def workloads_for(self, account: MemberAccount) -> list:
        return [
            w for w in self.registry.workloads
            if w.account == account.name and w.environment == self.environment
        ]

    def account_default_tags(self, account: MemberAccount) -> dict[str, str]:
        return default_tags(self.environment, account)

    def central_default_tags(self) -> dict[str, str]:
        """Tags for resources in the central accounts, owned by the platform team."""
        org = self.org.organization
        return {
            "environment": self.environment,
            "owner": org.platform_owner,
            "cost-centre": org.platform_cost_centre,
            "data-classification": "internal",
            "managed-by": "obsgov",
        }

    def role_arn(self, account_id: str) -> str:
        role = self.org.organization.deployment_role_name
        return f"arn:aws:iam::{account_id}:role/{role}"


def default_tags(environment: str, account: MemberAccount) -> dict[str, str]:
    """Tags every resource in a member account carries through its provider."""
    tags = {
        "environment": environment,
        "owner": account.owner,
        "cost-centre": account.cost_centre,
        "data-classification": account.data_classification,
        "managed-by": "obsgov",
    }
    tags.update(account.tags)
    return tags


_TAG_SOURCE_FIELD = {
    "environment": "environment",
    "owner": "owner",
    "cost-centre": "costCentre",
    "data-classification": "dataClassification",
}


def _cross_checks(
    settings: StackSettings,
    org: OrganizationConfig,
    registry: AccountsRegistry,
    stack_file: str,
    org_file: str,
    registry_file: str,
    indices: RegistryIndices,
) -> list[Problem]:
    """Rules across entries and files. ``indices`` maps kept entries to their position in the
    file, so messages point at the entry the user wrote."""
    problems: list[Problem] = []
    acc_at = indices["accounts"]
    wl_at = indices["workloads"]
    organization = org.organization
    central = {
        organization.management_account_id: "managementAccountId",
        organization.observability_account_id: "observabilityAccountId",
        organization.log_archive_account_id: "logArchiveAccountId",
    }
    ou_names = {ou.name for ou in organization.organizational_units}

    for attr in ("id", "name", "email"):
        seen: dict[str, int] = {}
        for i, account in enumerate(registry.accounts):
            value = getattr(account, attr)
            if value in seen:
                problems.append(Problem(
                    registry_file, f"accounts[{acc_at[i]}].{attr}",
                    f"duplicate {attr} {value!r} (already used by accounts[{acc_at[seen[value]]}])",
                ))
            else:
                seen[value] = i

    for i, account in enumerate(registry.accounts):
        if account.id in central:
            problems.append(Problem(
                registry_file, f"accounts[{acc_at[i]}].id",
                f"{account.id} is the organization's {central[account.id]} "
                f"({org_file}); member accounts must be other accounts",
            ))
        if account.organizational_unit not in ou_names:
            problems.append(Problem(
                registry_file, f"accounts[{acc_at[i]}].organizationalUnit",
                f"unknown organizational unit {account.organizational_unit!r}; "
                f"{org_file} defines: {', '.join(sorted(ou_names))}",
            ))
        tags = default_tags(account.environment, account)
        for rule in org.tag_schema.required:
            value = tags.get(rule.key)
            source = _TAG_SOURCE_FIELD.get(rule.key, f"tags.{rule.key}")
            if value is None:
                problems.append(Problem(
                    registry_file, f"accounts[{acc_at[i]}].tags",
                    f"missing required tag {rule.key!r} (tag schema in {org_file})",
                ))
            elif not rule.accepts(value):
                problems.append(Problem(
                    registry_file, f"accounts[{acc_at[i]}].{source}",
                    f"{value!r} is not valid for tag {rule.key!r}: expected {rule.expectation()}",
                ))

    by_name = {a.name: a for a in registry.accounts}
    seen_workloads: dict[tuple[str, str, str], int] = {}
    for i, workload in enumerate(registry.workloads):
        account = by_name.get(workload.account)
        if account is None and workload.account in indices.get("declared", []):
            continue  # the account entry itself is invalid and already reported
        if account is None:
            problems.append(Problem(
                registry_file, f"workloads[{wl_at[i]}].account",
                f"unknown account {workload.account!r}; it must name an entry of accounts",
            ))
        elif account.environment != workload.environment:
            problems.append(Problem(
                registry_file, f"workloads[{wl_at[i]}].environment",
                f"workload {workload.name!r} is for {workload.environment} but account "
                f"{account.name!r} belongs to {account.environment}",
            ))
        key = (workload.kind, workload.account, workload.name)
        if key in seen_workloads:
            problems.append(Problem(
                registry_file, f"workloads[{wl_at[i]}].name",
                f"duplicate {workload.kind} {workload.name!r} in account {workload.account!r} "
                f"(already workloads[{wl_at[seen_workloads[key]]}])",
            ))
        else:
            seen_workloads[key] = i

    env_rule = org.tag_schema.rule("environment")
    if env_rule is not None and not env_rule.accepts(settings.environment):
        problems.append(Problem(
            stack_file, "config.obsgov:environment",
            f"{settings.environment!r} is not allowed by the tag schema's environment tag "
            f"({env_rule.expectation()})",
        ))
    if not any(a.environment == settings.environment for a in registry.accounts):
        problems.append(Problem(
            registry_file, "accounts",
            f"no member account belongs to environment {settings.environment!r}",
        ))
    approval = settings.model_approval
    known_accounts = set(central) | {a.id for a in registry.accounts}
    if approval.registry_account_id and approval.registry_account_id not in known_accounts:
        problems.append(Problem(
            stack_file, "config.obsgov:modelApproval.registryAccountId",
            f"{approval.registry_account_id} is neither a central account nor in {registry_file}",
        ))
    return problems


def load_environment(
    stack: str,
    stack_file: Path,
    config_map: Optional[Mapping[str, str]] = None,
) -> EnvironmentConfig:
    """Validate a stack's environment. ``config_map`` is the flat Pulumi config; when omitted it
    is read from ``stack_file`` exactly as the Pulumi CLI would."""
    shown_stack = display_path(stack_file)
    if config_map is None:
        config_map = stack_config_map(read_yaml(stack_file), shown_stack)
    settings, all_problems = settings_from_config_map(config_map, shown_stack)

    base = stack_file.parent
    if settings is not None:
        org_name, registry_name = settings.organization_file, settings.registry_file
    else:  # still check the other files, so every problem is reported in one go
        org_name = config_map.get(f"{PROJECT}:organizationFile", "organization.yaml")
        registry_name = config_map.get(f"{PROJECT}:registryFile", "accounts.yaml")
    org_path = (base / org_name).resolve()
    registry_path = (base / registry_name).resolve()
    shown_org, shown_registry = display_path(org_path), display_path(registry_path)

    org = registry = None
    indices: RegistryIndices = {"accounts": [], "workloads": []}
    try:
        org, found = validate_model(OrganizationConfig, read_yaml(org_path), shown_org)
        all_problems += found
    except InputError as exc:
        all_problems += exc.problems
    try:
        registry, indices, found = validate_registry(read_yaml(registry_path), shown_registry)
        all_problems += found
    except InputError as exc:
        all_problems += exc.problems
    if settings is not None and org is not None and registry is not None:
        all_problems += _cross_checks(
            settings, org, registry, shown_stack, shown_org, shown_registry, indices
        )
    if all_problems:
        raise InputError(sorted(set(all_problems), key=_problem_order(all_problems)))
    assert settings is not None and org is not None and registry is not None
    return EnvironmentConfig(
        stack=stack,
        stack_file=stack_file,
        settings=settings,
        organization_file=org_path,
        org=org,
        registry_file=registry_path,
        registry=registry,
        config_map=dict(config_map),
    )


def _problem_order(problems: Iterable[Problem]) -> Callable[[Problem], int]:
    first_seen = {p: i for i, p in reversed(list(enumerate(problems)))}
    return lambda p: first_seen[p]


def stack_file_for(stacks_dir: Path, stack: str) -> Path:
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        available = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))
        raise InputError.single(
            "--stack", "", f"no stack {stack!r}: {display_path(path)} does not exist "
            f"(available: {', '.join(available) or 'none'})",
        )
    return path
