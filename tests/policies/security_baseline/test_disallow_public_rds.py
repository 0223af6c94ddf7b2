"""Security Hub RDS.2: RDS DB instances should prohibit public access
(https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html)."""

from tests.support.policies import check

ID = "obsgov-rds-instance-disallow-public-access"


def test_private_instances_pass():
    assert check(ID, {"publiclyAccessible": False}) == []
    assert check(ID, {"engine": "mysql"}) == []


def test_public_instances():
    message = "The DB instance is publicly accessible (publiclyAccessible is true)."
    assert check(ID, {"publiclyAccessible": True}) == [message]
    assert check(
        ID, {"publiclyAccessible": True}, resource_type="aws:rds/clusterInstance:ClusterInstance"
    ) == [message]
