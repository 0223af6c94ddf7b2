"""OpenSearch domains meet Security Hub's Opensearch.1-8 controls."""

from ..catalog import FSBP, Control, policy
from ..props import as_bool, as_dict, as_list, as_number, as_str, get, is_set, number_text

# Policies at least as strong as the one Opensearch.8 names.
STRONG_TLS = (
    "Policy-Min-TLS-1-2-PFS-2023-10",
    "Policy-Min-TLS-1-2-RFC9151-FIPS-2024-08",
    "Policy-Min-TLS-1-2-FIPS-PQ-2026-10",
)


def _log_enabled(props, log_type: str) -> bool:
    for option in as_list(get(props, "logPublishingOptions")):
        if (
            as_str(get(option, "logType")) == log_type
            and as_bool(get(option, "enabled", default=True))
            and is_set(option, "cloudwatchLogGroupArn")
        ):
            return True
    return False


@policy(
    id="obsgov-opensearch-domain-require-baseline",
    description="OpenSearch domains must be encrypted, private, logged, highly available, use "
    "fine-grained access control and enforce modern TLS.",
    severity="high",
    service="opensearch",
    resource_types=("aws:opensearch/domain:Domain",),
    controls=[Control(FSBP, f"Opensearch.{i}") for i in range(1, 9)],
    remediation="Enable encrypt_at_rest, node_to_node_encryption, vpc_options, error and audit "
    "log publishing, three data nodes across zones, advanced security options and "
    "enforce_https with Policy-Min-TLS-1-2-PFS-2023-10.",
)
def require_opensearch_baseline(args, report_violation):
    props = args.props
    if not as_bool(get(props, "encryptAtRest", "enabled")):
        report_violation("Encryption at rest is off (Opensearch.1).")
    if not is_set(props, "vpcOptions", "subnetIds"):
        report_violation("The domain is not in a VPC (Opensearch.2).")
    if not as_bool(get(props, "nodeToNodeEncryption", "enabled")):
        report_violation("Node-to-node encryption is off (Opensearch.3).")
    if not _log_enabled(props, "ES_APPLICATION_LOGS"):
        report_violation("Error logs are not published to CloudWatch Logs (Opensearch.4).")
    if not _log_enabled(props, "AUDIT_LOGS"):
        report_violation("Audit logs are not published to CloudWatch Logs (Opensearch.5).")
    cluster = as_dict(get(props, "clusterConfig"))
    count = as_number(get(cluster, "instanceCount")) or 1
    if count < 3 or not as_bool(get(cluster, "zoneAwarenessEnabled")):
        report_violation(
            f"The domain has {number_text(count)} data node(s) and zone awareness "
            f"{'on' if as_bool(get(cluster, 'zoneAwarenessEnabled')) else 'off'}; "
            "at least 3 nodes across zones are required (Opensearch.6)."
        )
    if not as_bool(get(props, "advancedSecurityOptions", "enabled")):
        report_violation("Fine-grained access control is off (Opensearch.7).")
    endpoint = as_dict(get(props, "domainEndpointOptions"))
    tls = as_str(get(endpoint, "tlsSecurityPolicy"))
    if not as_bool(get(endpoint, "enforceHttps")) or tls not in STRONG_TLS:
        report_violation(
            f"HTTPS is not enforced with {STRONG_TLS[0]} or stronger "
            f"(tlsSecurityPolicy is {tls or 'unset'}) (Opensearch.8)."
        )
