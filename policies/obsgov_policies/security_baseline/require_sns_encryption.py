"""SNS topics encrypt messages at rest."""

from ..aws_types import SNS_TOPIC
from ..catalog import FSBP, Control, policy
from ..props import is_set


@policy(
    id="obsgov-sns-topic-require-kms",
    description="SNS topics must encrypt messages at rest with a KMS key.",
    severity="medium",
    service="sns",
    resource_types=(SNS_TOPIC,),
    controls=[Control(FSBP, "SNS.1")],
    remediation="Set kms_master_key_id on the topic to a customer managed key.",
)
def require_sns_encryption(args, report_violation):
    if not is_set(args.props, "kmsMasterKeyId"):
        report_violation("The topic has no kmsMasterKeyId, so messages are stored unencrypted.")
