"""Fine-grained access control inside the log analytics domain: the Firehose role's OpenSearch
role and its mapping.

With fine-grained access control on, the domain's IAM access policy admitting the Firehose role
is not enough: the security plugin answers 403 to ``_bulk`` until the role's ARN is mapped, as a
backend role, to an OpenSearch role that may write the index
(docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-mapping, and for
Firehose the permissions of docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-integrations).

Why ``obsgov opensearch bootstrap`` writes them and not the pulumi-opensearch provider: the
domain is in private subnets, and that provider talks to the domain's REST endpoint from wherever
``pulumi up`` runs (CI, outside the VPC), so the first ``pulumi up`` would fail to reach it; the
provider also needs the endpoint before the domain exists, a second stack or a second run. The
bootstrap command already signs requests as the master role, runs from inside the network when
it must (``--endpoint``), is idempotent, and applies the index template and ISM policy in the
same pass, so one documented step after the first deployment configures the whole domain.
"""

from __future__ import annotations

from .bootstrap import Document

INGEST_ROLE = "obsgov_log_ingest"
INDEX_PATTERN = "obsgov-logs*"


def firehose_role_arn(environment: str, account_id: str) -> str:
    """The role the log ingest stream delivers as (components.central.log_analytics_documents
    names it; a test keeps the two equal)."""
    return f"arn:aws:iam::{account_id}:role/obsgov-{environment}-log-ingest-firehose"


def security_documents(environment: str, account_id: str) -> list[Document]:
    """The OpenSearch role Firehose writes as, then its mapping to the Firehose IAM role.

    The permissions are those AWS lists for Firehose under fine-grained access control:
    ``cluster_composite_ops`` (``_bulk``) and ``cluster_monitor`` (the cluster and node stats
    Firehose reads), and on the log indexes ``create_index`` (a new index each day), ``manage``
    and ``crud``; nothing on any other index."""
    role = Document(
        "security-role",
        INGEST_ROLE,
        {
            "description": "Firehose indexes CloudWatch Logs events into obsgov-logs-*",
            "cluster_permissions": ["cluster_composite_ops", "cluster_monitor"],
            "index_permissions": [
                {
                    "index_patterns": [INDEX_PATTERN],
                    "allowed_actions": ["create_index", "manage", "crud"],
                }
            ],
        },
    )
    mapping = Document(
        "roles-mapping",
        INGEST_ROLE,
        {"backend_roles": [firehose_role_arn(environment, account_id)], "hosts": [], "users": []},
    )
    return [role, mapping]
