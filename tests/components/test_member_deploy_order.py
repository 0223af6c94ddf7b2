"""Issue 29, deploy: what member accounts and the model lifecycle send to the centre waits for
its target and the target's resource policy, and the registry's groups have one owner.

Each test fails on the graph before the fix: the targets, links and filters named only literal
ARNs, so nothing ordered them after the central resources.
"""

from __future__ import annotations

import fnmatch
import json

import pytest

from obsgov.graph import GraphResource, ResourceGraph

from .conftest import members, statements

TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"


def _waits_for(graph: ResourceGraph, resource: GraphResource, other: GraphResource) -> bool:
    """``resource`` is created after ``other``: a path of dependencies (dependsOn, property
    dependencies or a custom parent) leads from one to the other."""
    seen, todo = set(), [resource.urn]
    while todo:
        urn = todo.pop()
        if urn == other.urn:
            return True
        if urn in seen or urn not in graph.by_urn:
            continue
        seen.add(urn)
        node = graph.by_urn[urn]
        todo += node.dependencies
        for deps in node.property_dependencies.values():
            todo += deps
    return False


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _one(graph: ResourceGraph, type_: str, name: str) -> GraphResource:
    [found] = [r for r in graph.of_type(type_) if r.name == name]
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_forwarding_targets_wait_for_the_bus_and_its_policy(example_graph, stack):
    # EventBridge drops events a target cannot receive yet (FailedInvocations), and a bus in
    # another account receives only once its policy admits the sender:
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
    graph = example_graph(stack, True)
    bus = _one(graph, BUS, f"event-routing-{stack}-bus")
    policy = _one(graph, BUS_POLICY, f"event-routing-{stack}-bus-policy")
    forwarding = [
        t
        for t in graph.of_type(TARGET)
        if t.name.endswith("-alarm-forwarding-target")
        or ("-lifecycle-" in t.name and not t.name.startswith("model-lifecycle-"))
    ]
    assert len(forwarding) >= 3 + 7  # every account forwards alarms; ML accounts lifecycle
    late = [
        t.name
        for t in forwarding
        if not (_waits_for(graph, t, bus) and _waits_for(graph, t, policy))
    ]
    assert late == []


def test_lifecycle_notifications_wait_for_and_are_admitted_by_the_critical_topic(prod):
    # SNS delivers an EventBridge rule's events only when the topic policy allows the rule
    # (aws:SourceArn): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    topic = _one(prod, TOPIC, "event-routing-prod-critical")
    policy = _one(prod, TOPIC_POLICY, "event-routing-prod-critical-policy")
    rules = {r.name: r for r in prod.of_type(RULE)}
    notify = [t for t in prod.of_type(TARGET) if t.name.endswith("-notify")]
    assert len(notify) == 5
    admitted = statements(policy.inputs["policy"])["LifecycleRulesPublish"]
    assert admitted["Principal"] == {"Service": "events.amazonaws.com"}
    pattern = admitted["Condition"]["ArnLike"]["aws:SourceArn"]
    for target in notify:
        assert _waits_for(prod, target, topic), target.name
        assert _waits_for(prod, target, policy), target.name
        rule = rules[target.name.removesuffix("-notify")]
        arn = f"arn:aws:events:eu-west-1:100000000002:rule/obsgov-prod-alerts/{rule.inputs['name']}"
        assert fnmatch.fnmatchcase(arn, pattern), (arn, pattern)
    # the other severities admit no lifecycle rule
    warning = _one(prod, TOPIC_POLICY, "event-routing-prod-warning-policy")
    assert "LifecycleRulesPublish" not in statements(warning.inputs["policy"])


def test_failure_count_targets_wait_for_the_log_resource_policy(prod):
    # EventBridge writes to a log group only once a resource policy lets it:
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
    delivery = _one(
        prod,
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "model-lifecycle-prod-failures-delivery",
    )
    count = [t for t in prod.of_type(TARGET) if t.name.endswith("-count")]
    assert len(count) == 5
    assert all(_waits_for(prod, t, delivery) for t in count)


def test_guard_targets_wait_for_their_lambda_permission(prod):
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
    for role in ("approvals", "approval-calls"):
        target = _one(prod, TARGET, f"model-guard-prod-{role}-target")
        invoke = _one(prod, "aws:lambda/permission:Permission", f"model-guard-prod-{role}-invoke")
        assert _waits_for(prod, target, invoke)


def test_oam_links_wait_for_the_sink_policy(inline_env):
    # CreateLink is refused until the sink policy admits the account:
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account-Setup.html
    # In the single-stack mode the stack makes the sink, so its links wait for the policy;
    # with an organisation stack the sink is that stack's, deployed first (README "Stacks").
    env = inline_env("prod")
    env.config.pop("obsgov:organizationStack")
    env.referenced.clear()
    single = env.synthesize()
    policy = _one(single, "aws:oam/sinkPolicy:SinkPolicy", "central-prod-sink-policy")
    links = members(single, "aws:oam/link:Link")
    assert len(links) == 3
    assert all(_waits_for(single, link, policy) for link in links)


def test_subscription_filters_wait_for_the_destination_policy(prod):
    # PutSubscriptionFilter to a destination of another account is refused until its access
    # policy admits the sender:
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
    policy = _one(
        prod,
        "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy",
        "log-analytics-prod-destination-policy",
    )
    filters = members(prod, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    assert filters
    assert all(_waits_for(prod, f, policy) for f in filters)


def test_archive_records_are_newline_delimited_and_the_bucket_key_context_admitted(prod):
    # Firehose appends a newline to each record only with AppendDelimiterToRecord:
    # https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html
    stream = _one(
        prod,
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "model-lifecycle-prod-archive-delivery",
    )
    processing = stream.inputs["extendedS3Configuration"]["processingConfiguration"]
    assert processing["enabled"] is True
    assert [p["type"] for p in processing["processors"]] == ["AppendDelimiterToRecord"]
    # With an S3 Bucket Key the KMS encryption context is the bucket ARN:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
    documents = [
        value
        for r in prod.resources
        for value in _strings(r.inputs)
        if "EncryptArchive" in value and "obsgov-prod-model-lifecycle-archive" in value
    ]
    [encrypt] = [statements(d)["EncryptArchive"] for d in documents if "EncryptArchive" in d]
    contexts = encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    bucket = "arn:aws:s3:::obsgov-prod-model-lifecycle-archive-100000000002"
    assert bucket in contexts
    assert f"{bucket}/*" in contexts


def test_registry_groups_have_one_owner_that_grants_every_environment(example_graph):
    # CreateModelPackageGroup fails when the group exists; the group policy is one object:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html
    staging, prod = example_graph("staging", True), example_graph("prod", True)
    group_type = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
    policy_type = "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
    assert prod.of_type(group_type) == []
    assert prod.of_type(policy_type) == []
    groups = {g.inputs["modelPackageGroupName"] for g in staging.of_type(group_type)}
    assert groups == {"fraud-scoring", "churn-propensity"}
    for policy in staging.of_type(policy_type):
        granted = set()
        for s in json.loads(policy.inputs["resourcePolicy"])["Statement"]:
            granted |= set(s["Principal"]["AWS"])
        # staging's and prod's ML serving accounts
        assert {"arn:aws:iam::300000000001:root", "arn:aws:iam::400000000001:root"} <= granted
