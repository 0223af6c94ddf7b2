"""EBS volumes, and the volumes an instance is launched with, are encrypted."""

from ..catalog import FSBP, Control, policy
from ..props import as_bool, as_list, get

VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"


def _encrypted(props) -> bool:
    return as_bool(get(props, "encrypted"))


@policy(
    id="obsgov-ec2-volume-require-encryption",
    description="EBS volumes, and the volumes EC2 instances launch with, must be encrypted.",
    severity="medium",
    service="ec2",
    resource_types=(VOLUME, INSTANCE),
    controls=[Control(FSBP, "EC2.3")],
    remediation="Set encrypted=True (and a customer managed kms_key_id) on the volume, or on "
    "the instance's root_block_device and ebs_block_devices.",
)
def require_ebs_encryption(args, report_violation):
    if args.resource_type == VOLUME:
        if not _encrypted(args.props):
            report_violation("The volume is not encrypted (encrypted is not true).")
        return
    if not _encrypted(get(args.props, "rootBlockDevice")):
        report_violation("The instance's root volume is not encrypted.")
    for device in as_list(get(args.props, "ebsBlockDevices")):
        if not _encrypted(device):
            name = get(device, "deviceName", default="(unnamed)")
            report_violation(f"The instance's EBS volume {name} is not encrypted.")
