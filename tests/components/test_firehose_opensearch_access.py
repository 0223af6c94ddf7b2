"""The log ingest stream's role, and its OpenSearch role, against AWS's own lists.

Firehose developer guide, "Controlling access with Amazon Data Firehose"
(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html): "Grant Firehose access
to a public OpenSearch Service destination" (#using-iam-es) lists the role's statements (the S3
backup actions, the domain's Describe* and ESHttpPost/Put on the domain, ESHttpGet on the paths
Firehose reads before and while it delivers), and "... destination in a VPC" (#using-iam-es-vpc)
adds eight EC2 actions (pinned in test_log_pipeline.py). The lists below are read from the
archived copy of the page (awsdocs/amazon-kinesis-data-firehose-developer-guide,
doc_source/controlling-access.md, June 2023; the live page could not be read offline), with the
Describe actions under their OpenSearch names (es:DescribeDomain, es:DescribeDomains,
es:DescribeDomainConfig; Service Authorization Reference, Amazon OpenSearch Service).

OpenSearch Service developer guide, "Fine-grained access control", #fgac-integrations
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-integrations):
the OpenSearch role a Firehose role is mapped to needs cluster_composite_ops and cluster_monitor,
and create_index, manage and crud on the stream's indexes.

The role here grants ESHttpPost/Put on the paths Firehose writes (``_bulk`` and the log indexes)
rather than on every path of the domain as the page's example does: a deliberate narrowing, so
every path the page lists for the stream's index must still be allowed, and nothing the role
grants may fall outside what the page grants.
"""

from __future__ import annotations

import json

import pytest

from components.central.log_analytics_documents import INDEX
from obsgov.opensearch.security import INDEX_PATTERN, firehose_role_arn, security_documents
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate, wildcard_match

OBSERVABILITY = "100000000002"
REGION = "eu-west-1"
DOMAIN = f"arn:aws:es:{REGION}:{OBSERVABILITY}:domain/obsgov-prod-logs"
ROLE = f"arn:aws:iam::{OBSERVABILITY}:role/obsgov-prod-log-ingest-firehose"
BACKUP = f"arn:aws:s3:::obsgov-prod-log-ingest-failed-{OBSERVABILITY}"

# The page's example with its placeholders filled in (index-name -> the stream's index)
PAGE_S3_ACTIONS = {
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
}
PAGE_DESCRIBE = {"es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"}
PAGE_WRITE_RESOURCES = [DOMAIN, f"{DOMAIN}/*"]
# the page's ESHttpGet resources (index-name -> the stream's index; type-name is gone from
# OpenSearch, whose GET _mapping takes no type)
PAGE_GET_RESOURCES = [
    f"{DOMAIN}/_all/_settings",
    f"{DOMAIN}/_cluster/stats",
    f"{DOMAIN}/{INDEX}*/_mapping*",
    f"{DOMAIN}/_nodes",
    f"{DOMAIN}/_nodes/stats",
    f"{DOMAIN}/_nodes/*/stats",
    f"{DOMAIN}/_stats",
    f"{DOMAIN}/{INDEX}*/_stats",
]
# requests Firehose makes on those resources
PAGE_GET_PATHS = [
    "_all/_settings",
    "_cluster/stats",
    f"{INDEX}-2026-01-01/_mapping",
    f"{INDEX}-2026-01-01/_mapping/_doc",
    "_nodes",
    "_nodes/stats",
    "_nodes/node-1/stats",
    "_stats",
    f"{INDEX}-2026-01-01/_stats",
]


@pytest.fixture
def policy(example_graph) -> dict:
    graph = example_graph("prod", True)
    (role_policy,) = [
        r
        for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "log-analytics-prod-firehose-policy"
    ]
    return json.loads(role_policy.inputs["policy"])


def _decision(policy: dict, action: str, resource: str) -> Decision:
    request = Request(Principal(account=OBSERVABILITY, arn=ROLE), action, resource, {})
    return evaluate(request, [policy], None, OBSERVABILITY).decision


def _grants(policy: dict, prefix: str) -> list[tuple[str, str]]:
    out = []
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        out += [(a, r) for a in actions if a.startswith(prefix) for r in resources]
    return out


@pytest.mark.parametrize("path", PAGE_GET_PATHS)
def test_every_path_the_page_lets_firehose_read_is_allowed(policy, path):
    assert _decision(policy, "es:ESHttpGet", f"{DOMAIN}/{path}") == Decision.ALLOW


@pytest.mark.parametrize("action", ["es:ESHttpPost", "es:ESHttpPut"])
@pytest.mark.parametrize("path", ["_bulk", f"{INDEX}-2026-01-01", f"{INDEX}-2026-01-01/_doc/1"])
def test_the_writes_firehose_makes_are_allowed(policy, action, path):
    assert _decision(policy, action, f"{DOMAIN}/{path}") == Decision.ALLOW


@pytest.mark.parametrize("action", sorted(PAGE_DESCRIBE))
def test_the_domain_may_be_described(policy, action):
    assert _decision(policy, action, DOMAIN) == Decision.ALLOW


def test_the_role_grants_nothing_on_the_domain_beyond_the_page(policy):
    for action, resource in _grants(policy, "es:"):
        if action in PAGE_DESCRIBE:
            assert resource == DOMAIN
        elif action in {"es:ESHttpPost", "es:ESHttpPut"}:
            assert any(wildcard_match(page, resource) for page in PAGE_WRITE_RESOURCES), resource
        else:
            assert action == "es:ESHttpGet", action
            assert resource in PAGE_GET_RESOURCES, resource


def test_the_role_reads_no_documents(policy):
    for path in [f"{INDEX}-2026-01-01/_search", f"{INDEX}-2026-01-01/_doc/1", "_search"]:
        assert _decision(policy, "es:ESHttpGet", f"{DOMAIN}/{path}") != Decision.ALLOW, path


def test_the_backup_bucket_actions_are_the_pages(policy):
    grants = _grants(policy, "s3:")
    assert {a for a, _ in grants} == PAGE_S3_ACTIONS
    assert {r for _, r in grants} == {BACKUP, f"{BACKUP}/*"}


def test_the_opensearch_role_firehose_is_mapped_to_has_the_fgac_pages_permissions():
    role, mapping = security_documents("prod", OBSERVABILITY)
    assert role.body["cluster_permissions"] == ["cluster_composite_ops", "cluster_monitor"]
    assert role.body["index_permissions"] == [
        {"index_patterns": [INDEX_PATTERN], "allowed_actions": ["create_index", "manage", "crud"]}
    ]
    assert f"{INDEX}*" == INDEX_PATTERN
    assert mapping.body["backend_roles"] == [firehose_role_arn("prod", OBSERVABILITY)] == [ROLE]
