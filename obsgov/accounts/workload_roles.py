"""The program's side of the deployment role's contract: every IAM role it creates in a member
account carries the workload boundary and a platform name.

The deployment role may create a role only with ``obsgov-workload-boundary`` attached and
only under ``role/obsgov-*`` (:mod:`obsgov.accounts.deployment_policy`), so a role that
``pulumi up`` creates there must say both. One stack transformation says it for every role
the program makes through a member account's provider, whichever component makes it: the
provider's ``allowedAccountIds`` names the account; a role that has a name keeps it, one left
to Pulumi's autonaming is named ``obsgov-<random>`` (``namePrefix``). A member account's
provider is known by its name, ``account-<account name>`` (the provider's inputs are outputs
by the time a transformation sees them, so its ``allowedAccountIds`` cannot be read there).

Registered from ``__main__.py`` before any resource; ``obsgov synth`` runs the same program,
so the offline graph shows what ``pulumi up`` will send.
"""

from __future__ import annotations

from typing import Any

from .deployment_policy import PLATFORM_PREFIX, WORKLOAD_BOUNDARY_NAME

ROLE_TYPE = "aws:iam/role:Role"
PROVIDER_TYPE = "pulumi:providers:aws"


def partition_of(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def workload_boundary_arn(account_id: str, region: str) -> str:
    return f"arn:{partition_of(region)}:iam::{account_id}:policy/{WORKLOAD_BOUNDARY_NAME}"


def member_provider_name(account_name: str) -> str:
    """The name ``components.environment.member_accounts`` gives a member account's provider."""
    return f"account-{account_name}"


def bound_member_roles(member_accounts: dict[str, str], region: str) -> Any:
    """Register the transformation for ``member_accounts`` (name -> id); returns it."""
    import pulumi

    by_provider_name = {member_provider_name(n): i for n, i in member_accounts.items()}
    accounts_of: dict[int, str] = {}

    def transform(args: Any) -> Any:
        if args.type_ == PROVIDER_TYPE:
            if args.name in by_provider_name:
                accounts_of[id(args.resource)] = by_provider_name[args.name]
            return None
        if args.type_ != ROLE_TYPE:
            return None
        parent = args.opts.parent
        provider = args.opts.provider or (parent.get_provider(args.type_) if parent else None)
        account = accounts_of.get(id(provider)) if provider is not None else None
        if account is None:
            return None
        props = dict(args.props)
        props["permissions_boundary"] = workload_boundary_arn(account, region)
        if not props.get("name") and not props.get("name_prefix"):
            props["name_prefix"] = PLATFORM_PREFIX
        return pulumi.ResourceTransformationResult(props, args.opts)

    pulumi.runtime.register_stack_transformation(transform)
    return transform
