"""Rules across entries and files, one function each, run in the order of :data:`RULES`.

Each rule reads a :class:`Facts` (the three validated files and where their entries stand)
and yields the problems it finds, each naming the file and key path the user must edit. A new
rule is one function here, appended to :data:`RULES`, and one named scenario in
``tests/config/test_rules.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from obsgov.errors import PathPart, Problem, format_key_path
from obsgov_policies import aws_limits

from . import aws_api
from .environment import DERIVED_TAG_FIELDS, default_tags
from .models import WORKLOAD_MODELS, AccountsRegistry, OrganizationConfig, StackSettings, TagRule
from .models.central import central_audit_problems
from .models.types import Environment
from .validation import Positions

_ENVIRONMENTS: tuple[str, ...] = Environment.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Facts:
    """What the rules judge: the validated files, their names as shown, and positions."""

    stack: str
    settings: StackSettings
    org: OrganizationConfig
    registry: AccountsRegistry
    stack_file: str
    org_file: str
    registry_file: str
    positions: Positions

    def account_path(self, i: int, key: str = "") -> str:
        path = f"accounts[{self.positions.accounts[i]}]"
        return f"{path}.{key}" if key else path

    def workload_path(self, i: int, key: str = "") -> str:
        path = f"workloads[{self.positions.workloads[i]}]"
        return f"{path}.{key}" if key else path

    def central_accounts(self) -> dict[str, str]:
        """Central account id -> the organization.yaml key that names it."""
        organization = self.org.organization
        return {
            organization.management_account_id: "managementAccountId",
            organization.observability_account_id: "observabilityAccountId",
            organization.log_archive_account_id: "logArchiveAccountId",
        }


Rule = Callable[[Facts], Iterable[Problem]]


def _duplicate_accounts(facts: Facts, attr: str) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, account in enumerate(facts.registry.accounts):
        value = getattr(account, attr)
        if value in seen:
            yield Problem(
                facts.registry_file,
                facts.account_path(i, attr),
                f"duplicate {attr} {value!r} (already used by {facts.account_path(seen[value])})",
            )
        else:
            seen[value] = i


# Three plain functions rather than one factory: a rule built at import time is out of reach
# of the mutation run (mutmut switches mutants in per call, not per closure).
def account_ids_are_unique(facts: Facts) -> Iterator[Problem]:
    """No two member accounts share an id."""
    yield from _duplicate_accounts(facts, "id")


def account_names_are_unique(facts: Facts) -> Iterator[Problem]:
    """No two member accounts share a name."""
    yield from _duplicate_accounts(facts, "name")


def account_emails_are_unique(facts: Facts) -> Iterator[Problem]:
    """No two member accounts share an email."""
    yield from _duplicate_accounts(facts, "email")


def central_account_ids_are_distinct(facts: Facts) -> Iterator[Problem]:
    """The management, observability and log-archive accounts are three accounts."""
    organization = facts.org.organization
    seen: dict[str, str] = {}
    for key in ("managementAccountId", "observabilityAccountId", "logArchiveAccountId"):
        value = getattr(organization, _snake(key))
        if value in seen:
            yield Problem(
                facts.org_file,
                f"organization.{key}",
                f"{value} is already the {seen[value]}; the central accounts must "
                "be three different accounts",
            )
        else:
            seen[value] = key


def members_are_not_central_accounts(facts: Facts) -> Iterator[Problem]:
    """A member account is none of the organization's central accounts."""
    central = facts.central_accounts()
    for i, account in enumerate(facts.registry.accounts):
        if account.id in central:
            yield Problem(
                facts.registry_file,
                facts.account_path(i, "id"),
                f"{account.id} is the organization's {central[account.id]} "
                f"({facts.org_file}); member accounts must be other accounts",
            )


def organizational_units_exist(facts: Facts) -> Iterator[Problem]:
    """Every account names an organizational unit the organization file defines."""
    names = {ou.name for ou in facts.org.organization.organizational_units}
    for i, account in enumerate(facts.registry.accounts):
        if account.organizational_unit not in names:
            yield Problem(
                facts.registry_file,
                facts.account_path(i, "organizationalUnit"),
                f"unknown organizational unit {account.organizational_unit!r}; "
                f"{facts.org_file} defines: {', '.join(sorted(names))}",
            )


def account_tags_keep_derived_tags(facts: Facts) -> Iterator[Problem]:
    """An account's ``tags`` add tags; they never redefine the ones obsgov derives from the
    account's own fields (they would silently override them on every resource)."""
    for i, account in enumerate(facts.registry.accounts):
        for key in sorted(set(account.tags) & set(DERIVED_TAG_FIELDS)):
            source = DERIVED_TAG_FIELDS[key]
            instead = f"set {source} instead" if source else "obsgov sets it"
            yield Problem(
                facts.registry_file,
                facts.account_path(i, f"tags.{key}"),
                f"redefines the derived tag {key!r}; {instead}",
            )


def account_tags_are_valid_aws_tags(facts: Facts) -> Iterator[Problem]:
    """Every tag an account's resources carry is a tag AWS accepts."""
    for i, account in enumerate(facts.registry.accounts):
        for key, value in sorted(default_tags(account.environment, account).items()):
            source = DERIVED_TAG_FIELDS.get(key, f"tags.{key}") or "tags"
            if key in account.tags:
                source = f"tags.{key}"
            reason = aws_limits.tag_key_problem(key) or aws_limits.tag_value_problem(value)
            if reason:
                yield Problem(facts.registry_file, facts.account_path(i, source), reason)


def account_tags_follow_tag_schema(facts: Facts) -> Iterator[Problem]:
    """Every account's resources carry the schema's required tags, with accepted values."""
    for i, account in enumerate(facts.registry.accounts):
        tags = default_tags(account.environment, account)
        for rule in facts.org.tag_schema.required:
            value = tags.get(rule.key)
            source = DERIVED_TAG_FIELDS.get(rule.key) or f"tags.{rule.key}"
            if value is None:
                yield Problem(
                    facts.registry_file,
                    facts.account_path(i, "tags"),
                    f"missing required tag {rule.key!r} (tag schema in {facts.org_file})",
                )
            elif not rule.accepts(value):
                yield Problem(
                    facts.registry_file,
                    facts.account_path(i, source),
                    f"{value!r} is not valid for tag {rule.key!r}: expected {rule.expectation()}",
                )


def central_tags_follow_tag_schema(facts: Facts) -> Iterator[Problem]:
    """The platform's owner and cost centre tag every central resource: the schema's rules
    for those tags apply to them too."""
    organization = facts.org.organization
    for key, field, value in (
        ("owner", "platformOwner", organization.platform_owner),
        ("cost-centre", "platformCostCentre", organization.platform_cost_centre),
    ):
        rule = facts.org.tag_schema.rule(key)
        if rule is not None and not rule.accepts(value):
            yield Problem(
                facts.org_file,
                f"organization.{field}",
                f"{value!r} is not valid for tag {key!r}: expected {rule.expectation()}",
            )


def workload_accounts_exist(facts: Facts) -> Iterator[Problem]:
    """Every workload names an account of the registry."""
    names = {a.name for a in facts.registry.accounts}
    for i, workload in enumerate(facts.registry.workloads):
        if workload.account in names or workload.account in facts.positions.declared:
            continue  # a declared but invalid account entry is reported on its own
        yield Problem(
            facts.registry_file,
            facts.workload_path(i, "account"),
            f"unknown account {workload.account!r}; it must name an entry of accounts",
        )


def workload_environment_matches_account(facts: Facts) -> Iterator[Problem]:
    """A workload runs in an account of its own environment."""
    by_name = {a.name: a for a in facts.registry.accounts}
    for i, workload in enumerate(facts.registry.workloads):
        account = by_name.get(workload.account)
        if account is not None and account.environment != workload.environment:
            yield Problem(
                facts.registry_file,
                facts.workload_path(i, "environment"),
                f"workload {workload.name!r} is for {workload.environment} but account "
                f"{account.name!r} belongs to {account.environment}",
            )


def workloads_are_unique(facts: Facts) -> Iterator[Problem]:
    """No two workloads share a name in one account, whatever their kinds: alarm names
    (``<env>-<account>-<workload>-<signal>``) and logical names are built from it."""
    seen: dict[tuple[str, str], int] = {}
    for i, workload in enumerate(facts.registry.workloads):
        key = (workload.account, workload.name)
        if key in seen:
            first = facts.registry.workloads[seen[key]]
            yield Problem(
                facts.registry_file,
                facts.workload_path(i, "name"),
                f"duplicate workload name {workload.name!r} in account {workload.account!r} "
                f"(already the {first.kind} at {facts.workload_path(seen[key])})",
            )
        else:
            seen[key] = i


def kpi_drivers_exist(facts: Facts) -> Iterator[Problem]:
    """A KPI's ``drivenBy`` names an ML endpoint or ETL pipeline of the same environment (the
    dashboards put them side by side)."""
    driving = [name for name, model in WORKLOAD_MODELS.items() if model.drives_kpis]
    drivers = {(w.environment, w.name) for w in facts.registry.workloads if w.kind in driving}
    invalid = set(facts.positions.declared_workloads) - {w.name for w in facts.registry.workloads}
    for i, workload in enumerate(facts.registry.workloads):
        driver = getattr(workload, "driven_by", None)
        if driver and driver not in invalid and (workload.environment, driver) not in drivers:
            yield Problem(
                facts.registry_file,
                facts.workload_path(i, "drivenBy"),
                f"{driver!r} is not an {' or '.join(driving)} of {workload.environment}",
            )


def log_groups_are_unique(facts: Facts) -> Iterator[Problem]:
    """Two workloads of one account cannot own the same log group."""
    seen: dict[tuple[str, str], int] = {}
    for i, workload in enumerate(facts.registry.workloads):
        for group in workload.log_groups or workload.default_log_groups():
            key = (workload.account, group)
            if key in seen and seen[key] != i:
                yield Problem(
                    facts.registry_file,
                    facts.workload_path(i, "logGroups"),
                    f"log group {group!r} is already owned by {facts.workload_path(seen[key])} "
                    f"in account {workload.account!r}",
                )
            seen.setdefault(key, i)


def workload_tags_follow_tag_schema(facts: Facts) -> Iterator[Problem]:
    """Values a workload puts in tags (model id and version, pipeline name) satisfy the tag
    schema's rules for those tags, so the tagging pack does not fail what obsgov deploys."""
    schema = facts.org.tag_schema
    for i, workload in enumerate(facts.registry.workloads):
        section, fields = workload.tag_section, workload.tag_fields
        rules: list[TagRule] = getattr(schema, _snake(section)) if section else []
        for rule in rules:
            field = fields.get(rule.key)
            if field is None:
                continue
            value = getattr(workload, _snake(field))
            reason = aws_limits.tag_value_problem(value)
            if reason:
                yield Problem(facts.registry_file, facts.workload_path(i, field), reason)
            elif not rule.accepts(value):
                yield Problem(
                    facts.registry_file,
                    facts.workload_path(i, field),
                    f"{value!r} is not valid for tag {rule.key!r}: expected "
                    f"{rule.expectation()} (tagSchema.{section} in {facts.org_file})",
                )


def environment_allowed_by_tag_schema(facts: Facts) -> Iterator[Problem]:
    """The stack's environment is a value the tag schema's ``environment`` tag accepts."""
    rule = facts.org.tag_schema.rule("environment")
    environment = facts.settings.environment
    if rule is not None and not rule.accepts(environment):
        yield Problem(
            facts.stack_file,
            "config.obsgov:environment",
            f"{environment!r} is not allowed by the tag schema's environment tag "
            f"({rule.expectation()})",
        )


def stack_name_matches_environment(facts: Facts) -> Iterator[Problem]:
    """A stack named after an environment deploys that environment: ``Pulumi.dev.yaml``
    saying ``obsgov:environment: prod`` would put dev's stack into prod's accounts."""
    environment = facts.settings.environment
    if facts.stack in _ENVIRONMENTS and facts.stack != environment:
        yield Problem(
            facts.stack_file,
            "config.obsgov:environment",
            f"is {environment!r} but the stack is {facts.stack!r}; a stack named after an "
            "environment must deploy that environment",
        )


def environment_has_member_accounts(facts: Facts) -> Iterator[Problem]:
    """At least one member account belongs to the stack's environment."""
    environment = facts.settings.environment
    if not any(a.environment == environment for a in facts.registry.accounts):
        yield Problem(
            facts.registry_file,
            "accounts",
            f"no member account belongs to environment {environment!r}",
        )


def registry_account_is_known(facts: Facts) -> Iterator[Problem]:
    """The model registry lives in a central account or in a member account of the
    registry: an account obsgov deploys to and can assume its role in."""
    account_id = facts.settings.model_approval.registry_account_id
    known = set(facts.central_accounts()) | {a.id for a in facts.registry.accounts}
    if account_id and account_id not in known:
        yield Problem(
            facts.stack_file,
            "config.obsgov:modelApproval.registryAccountId",
            f"{account_id} is neither a central account nor in {facts.registry_file}",
        )


def central_audit_fits_the_organization(facts: Facts) -> Iterator[Problem]:
    """The audit settings that need the environment and the organization file: prod's trail
    logs kept long enough, the trail administered from neither the log-archive account (the
    archive would be within its reach) nor the management account (which runs it anyway)."""
    organization = facts.org.organization
    yield from central_audit_problems(
        facts.settings.environment,
        facts.settings.central_audit,
        organization.management_account_id,
        organization.log_archive_account_id,
        facts.stack_file,
    )


def _declared_by(model: type[BaseModel], name: str) -> str:
    for klass in model.__mro__:
        if name in vars(klass).get("__annotations__", {}):
            return klass.__name__
    return model.__name__


def _written_values(
    model: BaseModel, parts: list[PathPart]
) -> Iterator[tuple[str, list[PathPart], Any]]:
    """Every value the user wrote under ``model`` (defaults are obsgov's, not theirs): the
    field's :data:`~obsgov.config.aws_api.FIELDS` key, its key path and the value; a
    mapping's keys come as ``<key>{}``."""
    cls = type(model)
    for name in sorted(model.model_fields_set):
        field = cls.model_fields[name]
        key = f"{_declared_by(cls, name)}.{name}"
        yield from _values(key, [*parts, field.alias or name], getattr(model, name))


def _values(
    key: str, parts: list[PathPart], value: Any
) -> Iterator[tuple[str, list[PathPart], Any]]:
    if value is None:
        return
    if isinstance(value, BaseModel):
        yield from _written_values(value, parts)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _values(key, [*parts, i], item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield f"{key}{{}}", [*parts, name], name
            yield from _values(key, [*parts, name], item)
    else:
        yield key, parts, value


def values_are_accepted_by_aws(facts: Facts) -> Iterator[Problem]:
    """Every value the config passes to AWS is one AWS accepts: its API's limits from
    botocore's models, and the rules AWS documents beside them (:mod:`.aws_api`)."""
    settings = facts.settings
    written: list[tuple[str, str, list[PathPart], Any]] = []
    for name in sorted(settings.model_fields_set):
        field = StackSettings.model_fields[name]
        head = "aws:region" if name == "region" else f"obsgov:{field.alias or name}"
        for key, parts, value in _values(
            f"StackSettings.{name}", ["config", head], getattr(settings, name)
        ):
            written.append((facts.stack_file, key, parts, value))
    for key, parts, value in _written_values(facts.org, []):
        written.append((facts.org_file, key, parts, value))
    for section, entries, places in (
        ("accounts", facts.registry.accounts, facts.positions.accounts),
        ("workloads", facts.registry.workloads, facts.positions.workloads),
    ):
        for entry, place in zip(entries, places, strict=False):
            for key, parts, value in _written_values(entry, [section, place]):
                written.append((facts.registry_file, key, parts, value))
    for file, key, parts, value in written:
        for reason in aws_api.problems_of(key, value):
            yield Problem(file, format_key_path(parts), reason)


RULES: list[Rule] = [
    account_ids_are_unique,
    account_names_are_unique,
    account_emails_are_unique,
    central_account_ids_are_distinct,
    members_are_not_central_accounts,
    organizational_units_exist,
    account_tags_keep_derived_tags,
    account_tags_are_valid_aws_tags,
    account_tags_follow_tag_schema,
    central_tags_follow_tag_schema,
    workload_accounts_exist,
    workload_environment_matches_account,
    workloads_are_unique,
    kpi_drivers_exist,
    log_groups_are_unique,
    workload_tags_follow_tag_schema,
    environment_allowed_by_tag_schema,
    stack_name_matches_environment,
    environment_has_member_accounts,
    registry_account_is_known,
    central_audit_fits_the_organization,
    values_are_accepted_by_aws,
]


def check(facts: Facts, rules: Iterable[Rule] | None = None) -> list[Problem]:
    """Every problem every rule finds (of :data:`RULES` unless given), in rule order."""
    return [problem for rule in (RULES if rules is None else rules) for problem in rule(facts)]


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
