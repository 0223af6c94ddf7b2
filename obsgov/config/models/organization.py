"""``stacks/organization.yaml``: the organization, its central accounts, OUs and the tag schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from obsgov_policies.aws_limits import tag_value_problem
from obsgov_policies.tag_rules import expectation, value_accepted

from .types import AccountId, Email, Model, OrgId, OuId, Regex, ResourceName, TagKey, TagValue


def _tag_value(value: str) -> str:
    reason = tag_value_problem(value)
    if reason:
        raise ValueError(reason)
    return value


class OrganizationalUnit(Model):
    name: ResourceName
    id: OuId


class Organization(Model):
    id: OrgId
    management_account_id: AccountId
    observability_account_id: AccountId
    log_archive_account_id: AccountId
    deployment_role_name: Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,64}$")] = (
        "ObsgovDeploymentRole"
    )
    organizational_units: list[OrganizationalUnit] = Field(min_length=1)
    # Both become tag values on every central resource (``owner``, ``cost-centre``).
    platform_owner: Annotated[Email, AfterValidator(_tag_value)]
    platform_cost_centre: TagValue

    @model_validator(mode="after")
    def _unique_ous(self) -> Organization:
        names = [ou.name for ou in self.organizational_units]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(
                f"organizational unit names must be unique; repeated: {', '.join(dupes)}"
            )
        return self


class TagRule(Model):
    """One required tag: its key and what its value may be."""

    key: TagKey
    allowed_values: Annotated[list[TagValue], Field(min_length=1)] | None = None
    pattern: Regex | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one_constraint(self) -> TagRule:
        if self.allowed_values is not None and self.pattern is not None:
            raise ValueError("set either allowedValues or pattern, not both")
        return self

    def accepts(self, value: str) -> bool:
        """The tagging policies' own matcher, so config and packs never disagree on a tag."""
        return value_accepted(value, self.allowed_values, self.pattern)

    def expectation(self) -> str:
        return expectation(self.allowed_values, self.pattern)


class TagSchema(Model):
    """The organisation's tag schema: read by the providers' default tags, the tagging policy
    pack and account onboarding alike."""

    required: list[TagRule] = Field(min_length=1)
    ml_resources: list[TagRule] = Field(default_factory=list)
    pipelines: list[TagRule] = Field(default_factory=list)

    def rule(self, key: str) -> TagRule | None:
        for rule in [*self.required, *self.ml_resources, *self.pipelines]:
            if rule.key == key:
                return rule
        return None


class OrganizationConfig(Model):
    organization: Organization
    tag_schema: TagSchema
