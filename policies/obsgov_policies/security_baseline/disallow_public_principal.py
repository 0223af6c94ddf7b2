"""Resource policies never open to everyone without a condition."""

from ..aws_types import BUCKET_POLICY, IAM_ROLE, KMS_KEY, SNS_TOPIC
from ..catalog import FSBP, Control, policy
from ..props import as_dict, get, is_everyone, json_document, statements

RESOURCE_POLICIES = {
    BUCKET_POLICY: "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    SNS_TOPIC: "policy",
    KMS_KEY: "policy",
    IAM_ROLE: "assumeRolePolicy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
    "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
}


@policy(
    id="obsgov-iam-policy-disallow-public-principal",
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
    document = json_document(get(args.props, key))
    for i, statement in enumerate(statements(document)):
        if (
            statement.get("Effect") == "Allow"
            and is_everyone(statement.get("Principal"))
            and not as_dict(statement.get("Condition"))
        ):
            report_violation(
                f"Statement {i} of {key} allows any principal (*) without a condition."
            )
