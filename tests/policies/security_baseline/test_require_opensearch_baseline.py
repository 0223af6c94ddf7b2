import copy
from typing import Any

from tests.support.policies import check

ID = "obsgov-opensearch-domain-require-baseline"
GOOD: dict[str, Any] = {
    "encryptAtRest": {"enabled": True},
    "nodeToNodeEncryption": {"enabled": True},
    "vpcOptions": {"subnetIds": ["subnet-1", "subnet-2", "subnet-3"]},
    "logPublishingOptions": [
        {"logType": "ES_APPLICATION_LOGS", "cloudwatchLogGroupArn": "arn:lg:errors"},
        {"logType": "AUDIT_LOGS", "cloudwatchLogGroupArn": "arn:lg:audit", "enabled": True},
    ],
    "clusterConfig": {"instanceCount": 3, "zoneAwarenessEnabled": True},
    "advancedSecurityOptions": {"enabled": True},
    "domainEndpointOptions": {
        "enforceHttps": True,
        "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    },
}


def without(path, value=None):
    props = copy.deepcopy(GOOD)
    target: Any = props
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return props


def test_compliant_domain_passes():
    assert check(ID, GOOD) == []


def test_each_control():
    assert check(ID, without(["encryptAtRest", "enabled"], False)) == [
        "Encryption at rest is off (Opensearch.1)."
    ]
    assert check(ID, without(["vpcOptions"])) == ["The domain is not in a VPC (Opensearch.2)."]
    assert check(ID, without(["nodeToNodeEncryption"])) == [
        "Node-to-node encryption is off (Opensearch.3)."
    ]
    assert check(ID, without(["logPublishingOptions"], [GOOD["logPublishingOptions"][1]])) == [
        "Error logs are not published to CloudWatch Logs (Opensearch.4)."
    ]
    audit_off = copy.deepcopy(GOOD)
    audit_off["logPublishingOptions"][1]["enabled"] = False
    assert check(ID, audit_off) == [
        "Audit logs are not published to CloudWatch Logs (Opensearch.5)."
    ]
    assert check(ID, without(["clusterConfig", "instanceCount"], 2)) == [
        "The domain has 2 data node(s) and zone awareness on; at least 3 nodes across zones are required (Opensearch.6)."
    ]
    assert check(ID, without(["advancedSecurityOptions", "enabled"], False)) == [
        "Fine-grained access control is off (Opensearch.7)."
    ]
    assert check(
        ID, without(["domainEndpointOptions", "tlsSecurityPolicy"], "Policy-Min-TLS-1-0-2019-07")
    ) == [
        "HTTPS is not enforced with Policy-Min-TLS-1-2-PFS-2023-10 or stronger (tlsSecurityPolicy is Policy-Min-TLS-1-0-2019-07) (Opensearch.8)."
    ]


def test_the_findings_name_what_is_missing():
    assert check(ID, without(["clusterConfig"])) == [
        "The domain has 1 data node(s) and zone awareness off; at least 3 nodes across zones "
        "are required (Opensearch.6)."
    ]
    assert check(ID, without(["domainEndpointOptions"])) == [
        "HTTPS is not enforced with Policy-Min-TLS-1-2-PFS-2023-10 or stronger "
        "(tlsSecurityPolicy is unset) (Opensearch.8)."
    ]
    assert check(ID, without(["domainEndpointOptions", "enforceHttps"], False)) == [
        "HTTPS is not enforced with Policy-Min-TLS-1-2-PFS-2023-10 or stronger "
        "(tlsSecurityPolicy is Policy-Min-TLS-1-2-PFS-2023-10) (Opensearch.8)."
    ]


def test_a_vpc_needs_subnets_and_logs_need_a_log_group():
    assert check(ID, without(["vpcOptions", "subnetIds"], [])) == [
        "The domain is not in a VPC (Opensearch.2)."
    ]
    no_group = copy.deepcopy(GOOD)
    del no_group["logPublishingOptions"][0]["cloudwatchLogGroupArn"]
    assert check(ID, no_group) == [
        "Error logs are not published to CloudWatch Logs (Opensearch.4)."
    ]


def test_stronger_tls_policies_pass():
    for tls in ("Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08", "Policy-Min-TLS-1-2-FIPS-PQ-2026-10"):
        assert check(ID, without(["domainEndpointOptions", "tlsSecurityPolicy"], tls)) == [], tls
