"""Symmetric KMS keys rotate their key material yearly."""

from ..aws_types import KMS_KEY
from ..catalog import FSBP, Control, policy
from ..props import as_bool, as_str, get


@policy(
    id="obsgov-kms-key-require-rotation",
    description="Symmetric customer managed KMS keys must have automatic rotation enabled.",
    severity="medium",
    service="kms",
    resource_types=(KMS_KEY,),
    controls=[Control(FSBP, "KMS.4")],
    remediation="Set enable_key_rotation=True on the key.",
)
def require_kms_rotation(args, report_violation):
    spec = as_str(get(args.props, "customerMasterKeySpec"), "SYMMETRIC_DEFAULT")
    if spec != "SYMMETRIC_DEFAULT":
        return  # AWS rotates only symmetric keys automatically
    if not as_bool(get(args.props, "enableKeyRotation")):
        report_violation("Key rotation is not enabled (enableKeyRotation is not true).")
