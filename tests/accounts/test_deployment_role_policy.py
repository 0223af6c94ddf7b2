"""The deployment role can deploy the member baseline, and cannot become more than that.

The member baseline is synthesized from the real program under the mocks (every stack, and
one with every optional member component on: drift jobs, model-quality jobs, pipelines'
data checks). Every resource it puts in a member account becomes the authorization requests
``pulumi up`` makes to create, read, update and delete it (tests/accounts/baseline_needs.py:
CloudFormation's published handler permissions per type, the Service Authorization
Reference per action). Each is evaluated against the role's identity policy, its
permissions boundary and the program's own SCPs, as AWS evaluates them
(policies/obsgov_policies/iam_evaluation.py, asked for a definite answer).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from obsgov.accounts.deployment_policy import (
    DEPLOYMENT_BOUNDARY_NAME,
    DEPLOYMENT_POLICY_NAME,
    INLINE_POLICY_MAX,
    MANAGED_POLICY_MAX,
    WORKLOAD_BOUNDARY_NAME,
    DeploymentScope,
    deployment_boundary,
    deployment_policy,
    scope_for,
    size,
    workload_boundary,
)
from obsgov.graph import ResourceGraph, plain
from obsgov_policies.iam_evaluation import (
    Decision,
    Evaluation,
    Principal,
    Request,
    evaluate,
    evaluate_policies,
    policy_statements,
)
from tests.support.environments import shipped

from .baseline_needs import ROWS, needs, sar_page

FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
MEMBER = "400000000001"
SCOPE = DeploymentScope(MEMBER, "ObsgovDeploymentRole", ("100000000002",))


def _role_decides(
    account: str, request: Request, identity: list, boundary=None, scps=()
) -> Evaluation:
    """What AWS answers a role of ``account`` acting in its own account (no resource
    policy): identity policies, boundary and SCPs must each allow; never UNKNOWN."""
    return evaluate(request, identity, None, account, boundary=boundary, scps=scps, definite=True)


@pytest.fixture(scope="module")
def full_member(tmp_path_factory):
    """Shipped prod with every optional member component switched on, synthesized with
    known values (preview off) so the platform roles' policies can be read."""
    env = shipped(tmp_path_factory.mktemp("full") / "stacks", "prod")
    env.config["obsgov:driftMonitoring"] = {
        "captureBucket": "obsgov-prod-capture-100000000002",
        "baselineBucket": "obsgov-prod-baselines-100000000002",
        "reportBucket": "obsgov-prod-reports-100000000002",
        "kmsKeyArn": "arn:aws:kms:eu-west-1:100000000002:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    for workload in env.workloads:
        if workload["environment"] != "prod":
            continue
        if workload["kind"] == "ml-endpoint":
            workload["groundTruth"] = {
                "captureUri": f"s3://obsgov-prod-capture-100000000002/{workload['name']}/",
                "labelsUri": f"s3://obsgov-prod-labels-100000000002/{workload['name']}/",
            }
        if workload["kind"] == "etl-pipeline":
            workload["dataQualityMonitoring"] = True
            workload["datasetLocation"] = f"s3://obsgov-prod-datasets/{workload['name']}/"
    config = env.load()
    from obsgov.synth import synthesize

    return config, synthesize(config, preview=False)


def _scps(graph: ResourceGraph) -> list[list[dict]]:
    """The program's own SCPs, as one level below FullAWSAccess."""
    found = [
        json.loads(plain(r.inputs)["content"])
        for r in graph.of_type("aws:organizations/policy:Policy")
        if plain(r.inputs).get("type") == "SERVICE_CONTROL_POLICY"
    ]
    return [[FULL_ACCESS, *found]]


def _denied(env, graph: ResourceGraph) -> tuple[list[str], Counter]:
    region = env.settings.region
    scps = _scps(graph)
    denied: list[Any] = []
    seen: Counter[tuple[str, str]] = Counter()
    for account in env.member_accounts:
        scope = scope_for(env, account.id)
        identity, boundary = deployment_policy(scope), deployment_boundary(scope)
        for need in needs(graph, account.id, region):
            seen[(need.resource.type, need.action)] += 1
            request = Request(
                Principal(account.id, scope.deployment_role_arn),
                need.action,
                need.arn,
                {**need.context, "aws:PrincipalArn": scope.deployment_role_arn},
            )
            decision = _role_decides(account.id, request, [identity], boundary, scps)
            if not decision.allowed:
                denied.append(
                    f"{need.resource.name} ({need.resource.type}) {need.phase}: "
                    f"{need.action} on {need.arn}: {decision.reason} [{need.source}]"
                )
    return denied, seen


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_call_pulumi_up_makes_in_a_member_account_is_allowed(
    example_graph, example_env, stack
):
    denied, seen = _denied(example_env(stack), example_graph(stack, True))
    assert denied == []
    assert len(seen) > 100  # the table is not empty: each (type, action) pair evaluated


def test_with_every_optional_member_component_too(full_member):
    env, graph = full_member
    denied, seen = _denied(env, graph)
    assert denied == []
    types = {t for t, _ in seen}
    # the optional components bring functions, queues, permissions and their roles
    assert {
        "aws:lambda/function:Function",
        "aws:sqs/queue:Queue",
        "aws:lambda/permission:Permission",
        "aws:iam/rolePolicy:RolePolicy",
    } <= types
    assert types <= set(ROWS)


def test_each_need_cites_its_service_authorization_reference_page(full_member):
    env, graph = full_member
    found = needs(graph, env.member_accounts[0].id, env.settings.region)
    pages = {n.source.split(" ")[0] for n in found}
    assert pages == {sar_page(n.action) for n in found}
    assert all(
        p.startswith("https://docs.aws.amazon.com/service-authorization/latest/reference/list_")
        for p in pages
    )
    # the calls the Terraform provider adds name its source
    assert any("internal/service/iam/role.go" in n.source for n in found)


def test_what_the_table_holds_for_a_role(full_member):
    """Spot check against the IAM::Role schema and the Service Authorization Reference: a
    platform role is created with its boundary and tags, and deleted through the instance
    profile check Terraform makes first."""
    env, graph = full_member
    found = needs(graph, MEMBER, env.settings.region)
    # picked by name: the order in which components register their roles is not the point
    role = next(
        n
        for n in found
        if n.resource.type == "aws:iam/role:Role"
        and n.action == "iam:CreateRole"
        and n.arn.endswith(":role/obsgov-prod-alarm-forwarding")
    )
    assert role.arn == f"arn:aws:iam::{MEMBER}:role/obsgov-prod-alarm-forwarding"
    assert role.context["iam:PermissionsBoundary"] == (
        f"arn:aws:iam::{MEMBER}:policy/obsgov-workload-boundary"
    )
    assert role.context["aws:RequestTag/managed-by"] == "obsgov"
    deletes = {n.action for n in found if n.resource is role.resource and n.phase == "delete"}
    assert {"iam:DeleteRole", "iam:ListInstanceProfilesForRole", "iam:DeleteRolePolicy"} <= deletes


def test_every_role_the_baseline_creates_carries_the_workload_boundary(full_member):
    env, graph = full_member
    members = {a.id for a in env.member_accounts}
    roles = [r for r in graph.of_type("aws:iam/role:Role") if r.account in members]
    assert len(roles) >= 6
    for role in roles:
        inputs = plain(role.inputs)
        assert inputs["permissionsBoundary"] == (
            f"arn:aws:iam::{role.account}:policy/{WORKLOAD_BOUNDARY_NAME}"
        ), role.name
        assert (inputs.get("name") or inputs.get("namePrefix")).startswith("obsgov-"), role.name


def _statement_requests(policy: str, principal: Principal):
    """A request per action and resource a policy allows, its conditions satisfied."""
    for statement in policy_statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        context = {}
        for block in (statement.get("Condition") or {}).values():
            for key, values in block.items():
                context[key] = values[0] if isinstance(values, list) else values
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        for action in actions:
            for resource in resources:
                yield Request(
                    principal, action, resource, {**context, "aws:ResourceTag/managed-by": "obsgov"}
                )


def test_the_workload_boundary_leaves_every_platform_role_what_its_policies_grant(full_member):
    """A boundary that cut what a role's own policy grants would break the role at run time."""
    env, graph = full_member
    members = {a.id for a in env.member_accounts}
    cut = []
    checked = 0
    for resource in graph.resources:
        if resource.account not in members:
            continue
        inputs = plain(resource.inputs)
        documents = []
        if resource.type == "aws:iam/role:Role":
            documents = [p["policy"] for p in inputs.get("inlinePolicies") or []]
        elif resource.type == "aws:iam/rolePolicy:RolePolicy":
            documents = [inputs["policy"]]
        boundary = workload_boundary(scope_for(env, resource.account))
        for document in documents:
            for request in _statement_requests(document, Principal(resource.account)):
                checked += 1
                verdict = evaluate_policies([boundary], request, False, definite=True).decision
                if verdict is not Decision.ALLOW:
                    cut.append(f"{resource.name}: {request.action} on {request.resource}")
    assert cut == []
    assert checked >= 20


# --------------------------------------------------------------------------- escalation


DEPLOYER = Principal(MEMBER, f"arn:aws:iam::{MEMBER}:role/ObsgovDeploymentRole")


def _decide(action: str, resource: str, **context):
    return _role_decides(
        MEMBER,
        Request(DEPLOYER, action, resource, {"aws:RequestedRegion": "eu-west-1", **context}),
        [deployment_policy(SCOPE)],
        deployment_boundary(SCOPE),
    )


BOUNDARY = f"arn:aws:iam::{MEMBER}:policy/{WORKLOAD_BOUNDARY_NAME}"
ROLE = f"arn:aws:iam::{MEMBER}:role/obsgov-x"


@pytest.mark.parametrize(
    ("case", "action", "resource", "context"),
    [
        ("create a role without the boundary", "iam:CreateRole", ROLE, {}),
        (
            "create a role with another boundary",
            "iam:CreateRole",
            ROLE,
            {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        (
            "create a role outside the platform's names",
            "iam:CreateRole",
            f"arn:aws:iam::{MEMBER}:role/team-admin",
            {"iam:PermissionsBoundary": BOUNDARY},
        ),
        (
            "remove a role's boundary",
            "iam:DeleteRolePermissionsBoundary",
            ROLE,
            {"iam:PermissionsBoundary": BOUNDARY},
        ),
        (
            "give a boundary-less role a policy",
            "iam:PutRolePolicy",
            f"arn:aws:iam::{MEMBER}:role/obsgov-legacy",
            {},
        ),
        (
            "attach a managed policy",
            "iam:AttachRolePolicy",
            ROLE,
            {"iam:PermissionsBoundary": BOUNDARY},
        ),
        (
            "pass a team role to Lambda",
            "iam:PassRole",
            f"arn:aws:iam::{MEMBER}:role/team-data-access",
            {"iam:PassedToService": "lambda.amazonaws.com"},
        ),
        (
            "pass a platform role to EC2",
            "iam:PassRole",
            ROLE,
            {"iam:PassedToService": "ec2.amazonaws.com"},
        ),
        (
            "pass a team role to Glue",
            "iam:PassRole",
            f"arn:aws:iam::{MEMBER}:role/team-etl",
            {"iam:PassedToService": "glue.amazonaws.com"},
        ),
        (
            "rewrite a team's Glue job",
            "glue:UpdateJob",
            f"arn:aws:glue:eu-west-1:{MEMBER}:job/transactions-daily",
            {},
        ),
        (
            "read a Glue job's code outside the drift job's",
            "s3:GetObject",
            f"arn:aws:s3:::obsgov-prod-monitoring-{MEMBER}/datasets/x/part-0.parquet",
            {},
        ),
        (
            "widen its own trust",
            "iam:UpdateAssumeRolePolicy",
            f"arn:aws:iam::{MEMBER}:role/ObsgovDeploymentRole",
            {},
        ),
        (
            "give itself a policy",
            "iam:PutRolePolicy",
            f"arn:aws:iam::{MEMBER}:role/ObsgovDeploymentRole",
            {"iam:PermissionsBoundary": BOUNDARY},
        ),
        (
            "drop its own boundary",
            "iam:DeleteRolePermissionsBoundary",
            f"arn:aws:iam::{MEMBER}:role/ObsgovDeploymentRole",
            {},
        ),
        (
            "rewrite the workload boundary",
            "iam:CreatePolicyVersion",
            BOUNDARY,
            {},
        ),
        (
            "rewrite its own boundary",
            "iam:CreatePolicyVersion",
            f"arn:aws:iam::{MEMBER}:policy/{DEPLOYMENT_BOUNDARY_NAME}",
            {},
        ),
        ("create a user", "iam:CreateUser", f"arn:aws:iam::{MEMBER}:user/x", {}),
        ("create access keys", "iam:CreateAccessKey", f"arn:aws:iam::{MEMBER}:user/x", {}),
        ("assume another role", "sts:AssumeRole", f"arn:aws:iam::{MEMBER}:role/obsgov-x", {}),
        ("read an S3 object", "s3:GetObject", "arn:aws:s3:::team-data/customers.csv", {}),
        ("write an S3 object", "s3:PutObject", "arn:aws:s3:::team-data/x", {}),
        (
            "read a secret",
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:eu-west-1:{MEMBER}:secret:db-AbCdEf",
            {},
        ),
        (
            "read a parameter",
            "ssm:GetParameter",
            f"arn:aws:ssm:eu-west-1:{MEMBER}:parameter/db",
            {},
        ),
        (
            "decrypt with a team key",
            "kms:Decrypt",
            f"arn:aws:kms:eu-west-1:{MEMBER}:key/team",
            {},
        ),
        (
            "decrypt with its own key outside Lambda",
            "kms:Decrypt",
            f"arn:aws:kms:eu-west-1:{MEMBER}:key/ours",
            {"aws:ResourceTag/managed-by": "obsgov"},
        ),
        (
            "rewrite a team key's policy",
            "kms:PutKeyPolicy",
            f"arn:aws:kms:eu-west-1:{MEMBER}:key/team",
            {},
        ),
        (
            "create an untagged key",
            "kms:CreateKey",
            "*",
            {},
        ),
        (
            "read log events",
            "logs:GetLogEvents",
            f"arn:aws:logs:eu-west-1:{MEMBER}:log-group:/app:*",
            {},
        ),
        (
            "delete a team topic",
            "sns:DeleteTopic",
            f"arn:aws:sns:eu-west-1:{MEMBER}:team-alerts",
            {},
        ),
        (
            "touch another account",
            "cloudwatch:DeleteAlarms",
            "arn:aws:cloudwatch:eu-west-1:999999999999:alarm:x",
            {},
        ),
        ("leave the organization", "organizations:LeaveOrganization", "*", {}),
        # the monitoring bucket: the role uploads the layer archive and nothing else
        (
            "read monitoring data",
            "s3:GetObject",
            f"arn:aws:s3:::obsgov-prod-monitoring-{MEMBER}/datacapture/x.jsonl",
            {},
        ),
        (
            "write beside the layer archive",
            "s3:PutObject",
            f"arn:aws:s3:::obsgov-prod-monitoring-{MEMBER}/baselines/x/baseline.json",
            {},
        ),
        ("delete a team bucket", "s3:DeleteBucket", "arn:aws:s3:::team-data", {}),
        (
            "decrypt with a team key through S3",
            "kms:Decrypt",
            f"arn:aws:kms:eu-west-1:{MEMBER}:key/team",
            {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        ),
        (
            "publish a team layer",
            "lambda:PublishLayerVersion",
            f"arn:aws:lambda:eu-west-1:{MEMBER}:layer:team-libs",
            {},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_escalation_is_denied(case, action, resource, context):
    decision = _decide(action, resource, **context)
    assert not decision.allowed, case


def test_the_layer_archive_is_the_one_object_the_role_writes():
    """The monitoring bucket's layer archive (monitoring_store.LAYER_KEY) is uploaded, with
    S3 using the bucket's own key on the role's behalf; any other key is denied."""
    archive = f"arn:aws:s3:::obsgov-prod-monitoring-{MEMBER}/layers/obsgov-drift.zip"
    assert _decide("s3:PutObject", archive).allowed
    assert not _decide("s3:PutObject", f"arn:aws:s3:::obsgov-prod-monitoring-{MEMBER}/x").allowed
    via_s3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    ours = f"arn:aws:kms:eu-west-1:{MEMBER}:key/ours"
    assert _decide(
        "kms:GenerateDataKey", ours, **via_s3, **{"aws:ResourceTag/managed-by": "obsgov"}
    ).allowed
    assert not _decide("kms:Decrypt", ours, **{"aws:ResourceTag/managed-by": "obsgov"}).allowed


def test_the_escalation_cases_fail_for_the_policy_they_replaced():
    """PowerUserAccess as policy and boundary (the old default) allowed the data reads."""
    power_user = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": ["iam:*", "organizations:*", "account:*"],
                "Resource": "*",
            },
        ],
    }
    request = Request(DEPLOYER, "s3:GetObject", "arn:aws:s3:::team-data/customers.csv")
    assert _role_decides(MEMBER, request, [power_user], power_user).allowed
    assert not _decide("s3:GetObject", "arn:aws:s3:::team-data/customers.csv").allowed


def test_the_documents_fit_iams_quotas():
    scope = DeploymentScope(
        MEMBER,
        "ObsgovDeploymentRole",
        ("100000000002",),
        image_repositories=("arn:aws:ecr:eu-west-1:100000000002:repository/obsgov-drift",),
        data_buckets=tuple(f"arn:aws:s3:::bucket-{i}" for i in range(6)),
        data_keys=("arn:aws:kms:eu-west-1:100000000002:key/k",),
    )
    assert size(deployment_policy(scope)) <= INLINE_POLICY_MAX
    assert size(deployment_boundary(scope)) <= MANAGED_POLICY_MAX
    assert size(workload_boundary(scope)) <= MANAGED_POLICY_MAX
    assert DEPLOYMENT_POLICY_NAME.startswith("obsgov-")
