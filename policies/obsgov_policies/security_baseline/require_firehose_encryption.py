"""Firehose delivery streams encrypt data at rest with a customer managed key."""

from ..aws_types import FIREHOSE_STREAM
from ..catalog import FSBP, Control, policy
from ..props import as_bool, as_str, get


@policy(
    id="obsgov-firehose-stream-require-encryption",
    description="Firehose delivery streams must encrypt data at rest with a customer managed KMS key.",
    severity="medium",
    service="firehose",
    resource_types=(FIREHOSE_STREAM,),
    controls=[Control(FSBP, "DataFirehose.1")],
    remediation="Set server_side_encryption with enabled true, key_type CUSTOMER_MANAGED_CMK and "
    "the key's ARN.",
)
def require_firehose_encryption(args, report_violation):
    if as_str(get(args.props, "kinesisSourceConfiguration", "kinesisStreamArn")):
        return  # data arrives encrypted by its Kinesis stream; stream SSE does not apply
    sse = get(args.props, "serverSideEncryption")
    if not as_bool(get(sse, "enabled")):
        report_violation(
            "Server-side encryption is off, so buffered records are stored unencrypted."
        )
    elif as_str(get(sse, "keyType")) != "CUSTOMER_MANAGED_CMK":
        report_violation(
            f"Server-side encryption uses {as_str(get(sse, 'keyType')) or 'an AWS owned key'}, "
            "not a customer managed key."
        )
