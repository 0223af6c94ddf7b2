"""Security Hub EC2.18/EC2.19 (https://docs.aws.amazon.com/securityhub/latest/userguide/
ec2-controls.html; AWS Config vpc-sg-open-only-to-authorized-ports, default 80 and 443)."""

from tests.support.policies import check

ID = "obsgov-ec2-securitygroup-disallow-open-ingress"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _group(*rules):
    return {"ingress": list(rules)}


HTTPS = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}


def test_web_ports_open_and_others_private_pass():
    ssh_inside = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}
    assert check(ID, _group(HTTPS, ssh_inside), resource_type=GROUP) == []
    assert check(ID, _group({**HTTPS, "fromPort": 80, "toPort": 80}), resource_type=GROUP) == []
    assert check(ID, {"ingress": []}, resource_type=GROUP) == []


def test_ssh_open_to_the_internet():
    ssh = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
    assert check(ID, _group(HTTPS, ssh), resource_type=GROUP) == [
        "Ingress rule 2 allows tcp port 22 from 0.0.0.0/0; only ports 80, 443 may be open to "
        "the internet."
    ]


def test_ipv6_and_all_traffic():
    everything = {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}
    assert check(ID, _group(everything), resource_type=GROUP) == [
        "Ingress rule 1 allows all traffic from ::/0; only ports 80, 443 may be open to the "
        "internet."
    ]


def test_a_range_reaching_past_the_web_ports():
    wide = {"protocol": "tcp", "fromPort": 80, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
    assert check(ID, _group(wide), resource_type=GROUP) == [
        "Ingress rule 1 allows tcp ports 80-443 from 0.0.0.0/0; only ports 80, 443 may be "
        "open to the internet."
    ]


def test_icmp_has_no_ports():
    ping = {"protocol": "icmp", "fromPort": 8, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
    assert check(ID, _group(ping), resource_type=GROUP) == []


def test_separate_rules():
    rdp = {"type": "ingress", "protocol": "tcp", "fromPort": 3389, "toPort": 3389}
    assert check(ID, {**rdp, "cidrBlocks": ["0.0.0.0/0"]}, resource_type=RULE) == [
        "The rule allows tcp port 3389 from 0.0.0.0/0; only ports 80, 443 may be open to the "
        "internet."
    ]
    assert (
        check(ID, {**rdp, "type": "egress", "cidrBlocks": ["0.0.0.0/0"]}, resource_type=RULE) == []
    )
    mysql = {"ipProtocol": "tcp", "fromPort": 3306, "toPort": 3306, "cidrIpv4": "0.0.0.0/0"}
    assert check(ID, mysql, resource_type=INGRESS) == [
        "The rule allows tcp port 3306 from 0.0.0.0/0; only ports 80, 443 may be open to the "
        "internet."
    ]
    assert check(ID, {**mysql, "cidrIpv4": "10.1.0.0/16"}, resource_type=INGRESS) == []


def test_authorized_ports_come_from_config():
    ssh = {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}
    assert check(ID, _group(ssh), resource_type=GROUP, config={"authorizedPorts": [22]}) == []
