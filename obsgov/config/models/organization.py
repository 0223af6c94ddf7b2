"""``stacks/organization.yaml``: the organization, its central accounts, OUs and the tag schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from obsgov_policies.aws_limits import tag_value_problem
from obsgov_policies.tag_rules import expectation, value_accepted

from ..aws_api import Api, principal_problem, region_problem
from .types import (
    AccountId,
    Email,
    Model,
    OrgId,
    OuId,
    Regex,
    ResourceName,
    TagKey,
    TagValue,
    _aws,
)


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


def _aws_api(service: str, shape: str, member: str) -> AfterValidator:
    """AWS's own limits for a parameter (botocore's model, :class:`~obsgov.config.aws_api.Api`)."""
    return _aws(Api(service, shape, member).problem)


_CONTACT = ("account", "PutAlternateContactRequest")


class AlternateContact(Model):
    """One of an account's alternate contacts (Account Management, PutAlternateContact)."""

    name: Annotated[str, _aws_api(*_CONTACT, "Name")]
    title: Annotated[str, _aws_api(*_CONTACT, "Title")]
    email: Annotated[str, _aws_api(*_CONTACT, "EmailAddress")]
    phone: Annotated[str, _aws_api(*_CONTACT, "PhoneNumber")]


_ASSIGN = ("sso-admin", "CreateAccountAssignmentRequest")


class AccessAssignment(Model):
    """An IAM Identity Center group or user given a permission set in member accounts."""

    permission_set_arn: Annotated[str, _aws_api(*_ASSIGN, "PermissionSetArn")]
    principal_type: Literal["USER", "GROUP"]
    principal_id: Annotated[str, _aws_api(*_ASSIGN, "PrincipalId")]
    # only accounts of these environments (default: every environment)
    environments: list[Literal["dev", "staging", "prod"]] = Field(default_factory=list)


class IdentityCenter(Model):
    instance_arn: Annotated[str, _aws_api(*_ASSIGN, "InstanceArn")]
    assignments: list[AccessAssignment] = Field(default_factory=list)


class AccountFactory(Model):
    """What onboarding sets up in every member account, as AWS Control Tower's Account
    Factory for Terraform and Landing Zone Accelerator do: the principal the deployment role
    trusts, alternate contacts, Identity Center access, default VPCs, allowed Regions, and
    where offboarded accounts wait."""

    # The CI principal pulumi up runs as; the deployment role trusts it and nothing else.
    deployer_arn: Annotated[str, _aws(principal_problem)] | None = None
    alternate_contacts: dict[Literal["billing", "operations", "security"], AlternateContact] = (
        Field(default_factory=dict)
    )
    identity_center: IdentityCenter | None = None
    delete_default_vpcs: bool = False
    # Regions allowed by the region-deny SCP attached to each member account (empty: none).
    allowed_regions: list[Annotated[str, _aws(region_problem)]] = Field(default_factory=list)
    # OU name (from organizationalUnits) offboarded accounts are moved to.
    suspended_ou: str | None = None


class OrganizationConfig(Model):
    organization: Organization
    tag_schema: TagSchema
    account_factory: AccountFactory = Field(default_factory=AccountFactory)

    @model_validator(mode="after")
    def _suspended_ou_exists(self) -> OrganizationConfig:
        ou = self.account_factory.suspended_ou
        names = [o.name for o in self.organization.organizational_units]
        if ou is not None and ou not in names:
            raise ValueError(
                f"accountFactory.suspendedOu {ou!r} is not one of organizationalUnits "
                f"({', '.join(names)})"
            )
        return self
