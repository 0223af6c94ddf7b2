"""Resource policies never open to everyone without a condition."""

from ..props import as_dict, get, is_set, json_document, statements, str_list
from ..registry import FSBP, Control, policy

RESOURCE_POLICIES = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:kms/key:Key": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
}


def is_everyone(principal) -> bool:
    if principal == "*":
        return True
    return "*" in str_list(as_dict(principal).get("AWS"))


@policy(
    id="obsgov-iam-policy-disallow-public-principal",
    pack="security-baseline",
    description="Resource policies must not allow a wildcard principal without a condition.",
    severity="critical",
    service="iam",
    resource_types=tuple(RESOURCE_POLICIES),
    controls=[Control(FSBP, "S3.2"), Control(FSBP, "KMS.5"), Control(FSBP, "SNS.4")],
    remediation="Name the principals, or add a Condition such as aws:PrincipalOrgID or "
                "aws:SourceAccount.",
)
def disallow_public_principal(args, report_violation):
    key = RESOURCE_POLICIES[args.resource_type]
    if not is_set(args.props, key):
        return
    document = json_document(get(args.props, key))
    for i, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Allow" and is_everyone(statement.get("Principal")) \
                and not as_dict(statement.get("Condition")):
            report_violation(f"Statement {i} of {key} allows any principal (*) without a condition.")
