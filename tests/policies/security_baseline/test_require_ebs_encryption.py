"""Security Hub EC2.3: attached EBS volumes should be encrypted at rest
(https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html)."""

from tests.support.policies import check

ID = "obsgov-ec2-volume-require-encryption"
VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"


def test_encrypted_volume_and_instance_pass():
    assert check(ID, {"encrypted": True, "size": 10}, resource_type=VOLUME) == []
    instance = {
        "rootBlockDevice": {"encrypted": True},
        "ebsBlockDevices": [{"deviceName": "/dev/sdf", "encrypted": True}],
    }
    assert check(ID, instance, resource_type=INSTANCE) == []


def test_unencrypted_volume():
    assert check(ID, {"size": 10}, resource_type=VOLUME) == [
        "The volume is not encrypted (encrypted is not true)."
    ]
    assert check(ID, {"encrypted": False}, resource_type=VOLUME) == [
        "The volume is not encrypted (encrypted is not true)."
    ]


def test_instance_volumes():
    assert check(ID, {"ami": "ami-1"}, resource_type=INSTANCE) == [
        "The instance's root volume is not encrypted."
    ]
    instance = {
        "rootBlockDevice": {"encrypted": True},
        "ebsBlockDevices": [{"deviceName": "/dev/sdf"}],
    }
    assert check(ID, instance, resource_type=INSTANCE) == [
        "The instance's EBS volume /dev/sdf is not encrypted."
    ]
