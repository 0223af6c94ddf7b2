"""Issue 33, Checkov's single-resource checks over the synthesized prod graph, restated here on
the graph's own terms (the check sources: bridgecrewio/checkov,
checkov/terraform/checks/graph_checks/aws/S3BucketLogging.yaml (CKV_AWS_18),
checkov/terraform/checks/resource/aws/S3AbortIncompleteUploads.py (CKV_AWS_300),
checkov/terraform/checks/resource/aws/SNSCrossAccountAccess.py (CKV_AWS_385)).

* Every bucket of the dev, staging and prod graphs (central accounts, the member accounts'
  monitoring buckets, the registry's model artifact bucket) logs its server access (Security
  Hub S3.9) into the access-log bucket of its own account, whose policy lets ``logging.s3.amazonaws.com`` write under that
  bucket's prefix for that bucket and account only (S3 user guide, "Enabling Amazon S3 server
  access logging", https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html:
  "the source and destination buckets must be in the same AWS Region and owned by the same
  account"; the bucket-policy grant with aws:SourceArn and aws:SourceAccount). No target logs
  into itself or into another target (a loop).
* Every lifecycle configuration aborts incomplete multipart uploads for the whole bucket
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html).
* No topic policy grants an AWS account or role without a condition (CKV_AWS_385 reads that as
  cross-account access).
"""

from __future__ import annotations

import functools
import json

import pytest

from obsgov.graph import GraphResource, ResourceGraph
from obsgov_policies.iam_evaluation import Decision, Principal, Request, evaluate

CENTRAL = {"100000000001", "100000000002", "100000000003"}
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


STACKS = ("dev", "staging", "prod")


@pytest.fixture
def prod(example_graph) -> ResourceGraph:
    return example_graph("prod", True)


@pytest.fixture(params=STACKS)
def shipped_graph(request, example_graph) -> ResourceGraph:
    return example_graph(request.param, True)


def _by_bucket(graph: ResourceGraph, type_token: str) -> dict[str, GraphResource]:
    """Split S3 resources by the bucket they configure (their ``bucket`` input is the bucket's
    id, an output: follow the property dependency to the bucket)."""
    found = {}
    for resource in graph.of_type(type_token):
        [urn] = resource.property_dependencies["bucket"]
        found[graph.by_urn[urn].inputs["bucket"]] = resource
    return found


def _central_buckets(graph: ResourceGraph) -> dict[str, GraphResource]:
    return {b.inputs["bucket"]: b for b in graph.of_type(BUCKET) if b.account in CENTRAL}


def _every_bucket(graph: ResourceGraph) -> dict[str, GraphResource]:
    return {b.inputs["bucket"]: b for b in graph.of_type(BUCKET)}


def _target_of(graph: ResourceGraph, logging: GraphResource) -> GraphResource:
    [urn] = logging.property_dependencies["targetBucket"]
    return graph.by_urn[urn]


def test_every_central_bucket_but_the_log_targets_logs_its_access(prod):
    buckets = _central_buckets(prod)
    logging = _by_bucket(prod, LOGGING)
    targets = {_target_of(prod, lg).inputs["bucket"] for lg in logging.values()}
    # one target per central account that holds logged buckets: log-archive and observability
    # (the registry's model artifact bucket, in the observability account, logs there too)
    assert {t for t in targets if _every_bucket(prod)[t].account in CENTRAL} == {
        "obsgov-prod-audit-access-logs-100000000003",
        "obsgov-prod-access-logs-100000000002",
    }
    assert set(buckets) - set(logging) == targets & set(buckets)
    for target in targets:
        assert target not in logging, f"{target} logs (a loop through the log targets)"


def test_every_bucket_of_every_shipped_stack_logs_into_its_own_accounts_target(shipped_graph):
    """Members' monitoring buckets and the model artifact bucket too: each account holding
    logged buckets has its own target (same account and Region only), and every bucket but the
    targets logs."""
    buckets = _every_bucket(shipped_graph)
    logging = _by_bucket(shipped_graph, LOGGING)
    targets = {_target_of(shipped_graph, lg).inputs["bucket"] for lg in logging.values()}
    assert set(buckets) - set(logging) == targets
    for source, configuration in logging.items():
        target = _target_of(shipped_graph, configuration)
        assert target.account == buckets[source].account, source
        assert target.inputs["bucket"] not in logging
    # member accounts (outside the central three) hold buckets of their own here
    assert {b.account for b in buckets.values()} - CENTRAL
    if shipped_graph.of_type("aws:sagemaker/modelPackageGroup:ModelPackageGroup"):
        assert any("model-artifacts" in b for b in logging)


def _delivers(  # noqa: PLR0913 - one delivery's parties
    document: dict,
    bucket: str,
    account: str,
    from_bucket: str,
    key: str,
    source_account: str | None = None,
) -> Decision:
    """The logging service writes ``key`` into ``bucket`` for ``from_bucket`` (of
    ``source_account``, by default the bucket's own)."""
    source_account = source_account or account
    request = Request(
        Principal(account=source_account, service="logging.s3.amazonaws.com"),
        "s3:PutObject",
        f"arn:aws:s3:::{bucket}/{key}",
        {
            "aws:SourceArn": f"arn:aws:s3:::{from_bucket}",
            "aws:SourceAccount": source_account,
            "aws:SecureTransport": "true",
        },
    )
    return evaluate(request, None, [document], account).decision


def test_each_target_admits_exactly_its_sources_through_the_logging_service(shipped_graph):
    logging = _by_bucket(shipped_graph, LOGGING)
    policies = _by_bucket(shipped_graph, POLICY)
    buckets = _every_bucket(shipped_graph)
    for source, configuration in logging.items():
        target = _target_of(shipped_graph, configuration)
        assert target.account == buckets[source].account, source
        assert configuration.inputs["targetPrefix"] == f"{source}/"
        policy = policies[target.inputs["bucket"]]
        # the logging configuration waits for the policy that admits the service
        assert policy.urn in configuration.dependencies, source
        document = json.loads(policy.inputs["policy"])
        account = str(target.account)
        bucket = target.inputs["bucket"]

        delivers = functools.partial(_delivers, document, bucket, account)

        assert delivers(source, f"{source}/2026-12-06-00-00-00-ABC") is Decision.ALLOW
        # under another bucket's prefix, for a bucket of another account, or another account
        for other in (b for b in logging if b != source):
            assert delivers(source, f"{other}/x") is not Decision.ALLOW
        assert delivers("someone-elses-bucket", f"{source}/x") is not Decision.ALLOW
        assert delivers(source, f"{source}/x", "999999999999") is not Decision.ALLOW


def test_the_observability_log_target_is_encrypted_with_a_key_the_logging_service_can_use(prod):
    [key] = [
        k
        for k in prod.of_type("aws:kms/key:Key")
        if k.name == "access-logs-prod-key" and k.account == "100000000002"
    ]
    document = json.loads(key.inputs["policy"])
    request = Request(
        Principal(account="100000000002", service="logging.s3.amazonaws.com"),
        "kms:GenerateDataKey",
        "arn:aws:kms:eu-west-1:100000000002:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        {"aws:SourceAccount": "100000000002"},
    )
    assert (
        evaluate(request, None, [document], "100000000002", resource_must_allow=True).decision
        is Decision.ALLOW
    )


def test_every_lifecycle_configuration_aborts_incomplete_uploads_bucket_wide(prod):
    configurations = prod.of_type(LIFECYCLE)
    assert len(configurations) >= 9
    for configuration in configurations:
        whole_bucket = [
            rule
            for rule in configuration.inputs["rules"]
            if rule.get("status") == "Enabled"
            and rule.get("abortIncompleteMultipartUpload")
            and not any((rule.get("filter") or {}).values())
        ]
        assert whole_bucket, configuration.name
        assert whole_bucket[0]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] <= 7


def test_no_topic_policy_grants_an_account_without_a_condition(prod):
    checked = 0
    for topic_policy in prod.of_type("aws:sns/topicPolicy:TopicPolicy"):
        for statement in json.loads(topic_policy.inputs["policy"])["Statement"]:
            checked += 1
            principal = statement.get("Principal")
            if statement["Effect"] == "Allow" and isinstance(principal, dict):
                if "AWS" in principal:
                    assert statement.get("Condition"), (topic_policy.name, statement.get("Sid"))
                # a service acts for a source the statement names
                if "Service" in principal:
                    keys = {k for values in statement["Condition"].values() for k in values}
                    assert keys & {"aws:SourceArn", "aws:SourceAccount"}, topic_policy.name
    assert checked
