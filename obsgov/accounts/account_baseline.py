"""Onboarding steps after the deployment role, as AWS Control Tower's Account Factory for
Terraform and Landing Zone Accelerator provide them, each from ``accountFactory`` in
``organization.yaml``:

* alternate contacts (billing, operations, security): Account Management
  ``PutAlternateContact`` from the management account;
* IAM Identity Center access: ``CreateAccountAssignment`` for each configured permission set
  and group or user, waited on until it succeeded;
* default VPCs deleted in every enabled Region (optional): their internet gateways, subnets,
  then the VPC (its default security group, route table and network ACL go with it);
* the Region-deny SCP attached to the account.

Each reads first and writes only what differs, so a rerun writes nothing.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .aws import error_code, paginate
from .errors import EXIT_AWS, OnboardingError
from .onboard_run import RunState

CONTACT_TYPES = {"billing": "BILLING", "operations": "OPERATIONS", "security": "SECURITY"}


def alternate_contacts(state: RunState, account_id: str | None) -> None:
    contacts = state.env.org.account_factory.alternate_contacts
    if not contacts:
        return
    if account_id is None:
        for kind in contacts:
            state.plan.change(f"set the {kind} contact", "account:PutAlternateContact")
        return
    client = state.aws.client("account")
    for kind, contact in contacts.items():
        contact_type = CONTACT_TYPES[kind]
        state.doing = f"reading the {kind} contact of account {account_id}"
        try:
            current = client.get_alternate_contact(
                AccountId=account_id, AlternateContactType=contact_type
            )["AlternateContact"]
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            current = {}
        wanted = {
            "Name": contact.name,
            "Title": contact.title,
            "EmailAddress": contact.email,
            "PhoneNumber": contact.phone,
        }
        if all(current.get(k) == v for k, v in wanted.items()):
            state.plan.ok(f"{kind} contact is set", "account:GetAlternateContact")
            continue
        state.doing = f"setting the {kind} contact of account {account_id}"
        if not state.dry_run:
            client.put_alternate_contact(
                AccountId=account_id, AlternateContactType=contact_type, **wanted
            )
        state.plan.change(f"set the {kind} contact", "account:PutAlternateContact", contact.email)


def access_assignments(state: RunState, account_id: str | None) -> None:
    center = state.env.org.account_factory.identity_center
    if center is None:
        return
    wanted = [
        a
        for a in center.assignments
        if not a.environments or state.env.environment in a.environments
    ]
    if account_id is None:
        for a in wanted:
            state.plan.change(
                f"give {a.principal_type.lower()} {a.principal_id} its permission set",
                "sso:CreateAccountAssignment",
            )
        return
    client = state.aws.client("sso-admin")
    for a in wanted:
        state.doing = f"reading Identity Center access to account {account_id}"
        existing = paginate(
            client,
            "list_account_assignments",
            "AccountAssignments",
            InstanceArn=center.instance_arn,
            AccountId=account_id,
            PermissionSetArn=a.permission_set_arn,
        )
        if any(
            e.get("PrincipalId") == a.principal_id and e.get("PrincipalType") == a.principal_type
            for e in existing
        ):
            state.plan.ok(
                f"{a.principal_type.lower()} {a.principal_id} has its permission set",
                "sso:ListAccountAssignments",
            )
            continue
        state.doing = f"assigning {a.principal_id} to account {account_id}"
        if state.dry_run:
            state.plan.change(
                f"give {a.principal_type.lower()} {a.principal_id} its permission set",
                "sso:CreateAccountAssignment",
            )
            continue
        status = client.create_account_assignment(
            InstanceArn=center.instance_arn,
            TargetId=account_id,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=a.permission_set_arn,
            PrincipalType=a.principal_type,
            PrincipalId=a.principal_id,
        )["AccountAssignmentCreationStatus"]
        _wait_assignment(state, client, center.instance_arn, status)
        state.plan.change(
            f"give {a.principal_type.lower()} {a.principal_id} its permission set",
            "sso:CreateAccountAssignment",
            status.get("RequestId", ""),
        )


def _wait_assignment(state: RunState, client: Any, instance: str, status: dict[str, Any]) -> None:
    waited, interval = 0.0, max(state.poll_interval, 1.0)
    while status.get("Status") == "IN_PROGRESS":
        if waited >= state.poll_timeout:
            raise OnboardingError(
                f"Identity Center assignment {status.get('RequestId')} is still in progress "
                f"after {waited:.0f}s; rerun to check it again",
                EXIT_AWS,
            )
        state.aws.sleep(interval)
        waited += interval
        status = client.describe_account_assignment_creation_status(
            InstanceArn=instance, AccountAssignmentCreationRequestId=status["RequestId"]
        )["AccountAssignmentCreationStatus"]
    if status.get("Status") == "FAILED":
        raise OnboardingError(
            f"Identity Center could not assign {status.get('PrincipalId')}: "
            f"{status.get('FailureReason', 'no reason given')}",
            EXIT_AWS,
        )


def default_vpcs(state: RunState, account_id: str | None, created: bool) -> None:
    if not state.env.org.account_factory.delete_default_vpcs:
        return
    if account_id is None:
        state.plan.change("delete the default VPC of every Region", "ec2:DeleteVpc")
        return
    ec2 = state.member_client("ec2", account_id, created)
    state.doing = f"listing the Regions of account {account_id}"
    regions = sorted(r["RegionName"] for r in ec2.describe_regions()["Regions"])
    found = 0
    for region in regions:
        client = state.member_client("ec2", account_id, created, region=region)
        state.doing = f"looking for the default VPC of {region} in account {account_id}"
        vpcs = client.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        for vpc in vpcs:
            found += 1
            _delete_vpc(state, client, vpc["VpcId"], region)
    if not found:
        state.plan.ok(
            f"no default VPC in {len(regions)} Regions", "ec2:DescribeVpcs", ", ".join(regions)
        )


def _delete_vpc(state: RunState, ec2: Any, vpc_id: str, region: str) -> None:
    state.doing = f"deleting default VPC {vpc_id} in {region}"
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    if not state.dry_run:
        for gateway in gateways:
            ec2.detach_internet_gateway(
                InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id
            )
            ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
        for subnet in subnets:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        ec2.delete_vpc(VpcId=vpc_id)
    state.plan.change(
        f"delete default VPC {vpc_id} in {region}",
        "ec2:DeleteVpc",
        f"{len(gateways)} gateways, {len(subnets)} subnets",
    )


def region_deny(state: RunState, orgs: Any, account_id: str | None) -> None:
    from obsgov.org.policies import ensure_region_deny_policy

    regions = state.env.org.account_factory.allowed_regions
    if not regions:
        return
    policy_id = ensure_region_deny_policy(state.env, orgs, state.plan, state.request.access_role)
    if account_id is None:
        state.plan.change("attach the Region-deny SCP", "organizations:AttachPolicy")
        return
    state.doing = f"reading the SCPs of account {account_id}"
    attached = paginate(
        orgs,
        "list_policies_for_target",
        "Policies",
        TargetId=account_id,
        Filter="SERVICE_CONTROL_POLICY",
    )
    if policy_id is not None and any(p["Id"] == policy_id for p in attached):
        state.plan.ok("Region-deny SCP is attached", "organizations:ListPoliciesForTarget")
        return
    state.doing = f"attaching the Region-deny SCP to account {account_id}"
    if not state.dry_run:
        orgs.attach_policy(PolicyId=policy_id, TargetId=account_id)
    state.plan.change(
        "attach the Region-deny SCP", "organizations:AttachPolicy", ", ".join(regions)
    )
