"""The member-account baseline as the program builds it from the shipped registry: key and
topic policies statement by statement, alert routing to topics, composite alarms, and the
signal classes every workload is covered by."""

from __future__ import annotations

import re

import pytest

from components.workload_kinds import kind_of

from .conftest import ALARM, COMPOSITE, by_name, members, statements

# Signal class by (namespace, metric), independent of the component's own labels: the
# classification an on-call would make from what an alarm reads.
SIGNAL_OF_METRIC = {
    ("AWS/SageMaker", "ModelLatency"): "latency",
    ("AWS/SageMaker", "OverheadLatency"): "latency",
    ("AWS/SageMaker", "Invocation5XXErrors"): "errors",
    ("AWS/SageMaker", "Invocation4XXErrors"): "errors",
    ("AWS/SageMaker", "Invocations"): "traffic",
    ("/aws/sagemaker/Endpoints", "CPUUtilization"): "saturation",
    ("/aws/sagemaker/Endpoints", "MemoryUtilization"): "saturation",
    ("/aws/sagemaker/Endpoints", "DiskUtilization"): "saturation",
    ("Obsgov/DataQuality", "DriftedFeatureShare"): "quality",
    ("Obsgov/DataQuality", "SchemaViolations"): "quality",
    ("Obsgov/ModelQuality", "AUC"): "quality",
    ("Glue", "glue.driver.aggregate.elapsedTime"): "latency",
    ("Glue", "glue.driver.aggregate.numFailedTasks"): "errors",
    ("AWS/States", "ExecutionTime"): "latency",
    ("AWS/States", "ExecutionsFailed"): "errors",
    ("AWS/Lambda", "Duration"): "latency",
    ("AWS/Lambda", "Errors"): "errors",
    ("Obsgov/Pipelines", "RecordsProcessed"): "traffic",
    ("Obsgov/Pipelines", "RunSucceeded"): "freshness",
    ("Obsgov/Business", "ApprovedLoans"): "quality",
    ("Obsgov/Business", "CheckoutConversionRate"): "quality",
}


def expected_classes(workload) -> set[str]:
    """What the workload's kind declares its alarms cover (its entry in the kinds table)."""
    return set(kind_of(workload).signal_classes(workload))


def classes_of(props) -> set[str]:
    """Classes of what an alarm reads (the numerator of a rate decides it)."""
    sources = (
        [props]
        if "metricName" in props
        else [
            q["metric"]
            for q in props["metricQueries"]
            if "metric" in q and q["id"] not in ("calls", "t0", "t1")
        ]
    )
    found = {SIGNAL_OF_METRIC.get((s["namespace"], s["metricName"])) for s in sources}
    if any(s["namespace"] == "Obsgov/LogEvents" for s in sources):
        found.add("errors")  # critical events counted from the workload's logs
    return {name for name in found if name is not None}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_workload_has_an_alarm_of_each_signal_class_of_its_kind(
    example_graph, example_env, stack
):
    graph, env = example_graph(stack, True), example_env(stack)
    by_workload: dict[str, set[str]] = {}
    # the baseline's alarms and those the workload's monitoring jobs bring (drift and model
    # quality: components/lifecycle/signal_alarms.py), which carry the workload's tag
    jobs = [a for a in graph.of_type(ALARM) if a.parent and "MonitoringStore" in a.parent]
    for resource in [*members(graph, ALARM), *jobs]:
        workload = resource.inputs["tags"]["workload"]
        by_workload.setdefault(workload, set()).update(classes_of(resource.inputs))
    workloads = [w for w in env.registry.workloads if w.environment == stack]
    assert {w.name for w in workloads} == set(by_workload)
    for workload in workloads:
        missing = expected_classes(workload) - by_workload[workload.name]
        assert not missing, f"{workload.name} has no {sorted(missing)} alarm"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_alarm_names_actions_tags_and_descriptions(example_graph, example_env, stack):
    graph, env = example_graph(stack, True), example_env(stack)
    accounts = {a.id: a.name for a in env.member_accounts}
    workloads = {w.name for w in env.registry.workloads if w.environment == stack}
    for resource in members(graph, ALARM):
        props = resource.inputs
        account = accounts[resource.account]
        workload = props["tags"]["workload"]
        assert workload in workloads
        assert re.fullmatch(rf"{stack}-{account}-{workload}-[a-z0-9-]+", props["name"])
        topic = f"arn:aws:sns:eu-west-1:{resource.account}:obsgov-{stack}-alarms"
        assert props["alarmActions"] == [topic]
        assert props["okActions"] == [topic]
        assert props["actionsEnabled"] is True
        severity = props["tags"]["severity"]
        assert severity in ("critical", "high", "medium", "low")
        assert props["tags"]["signal-class"] in (
            "latency",
            "errors",
            "traffic",
            "saturation",
            "freshness",
            "quality",
        )
        signal = props["name"].removeprefix(f"{stack}-{account}-{workload}-")
        kind = next(w.kind for w in env.registry.workloads if w.name == workload)
        assert props["alarmDescription"].startswith(f"[{severity.upper()}] ")
        assert props["alarmDescription"].endswith(
            f" Runbook: https://runbooks.example.com/obsgov/{kind}/{signal}"
        )
        assert " Look at: " in props["alarmDescription"]
        assert len(props["alarmDescription"]) <= 1024


def test_one_composite_per_workload_over_exactly_its_alarms_pages(prod, example_env):
    env = example_env("prod")
    composites = by_name(prod, COMPOSITE, "alarmName")
    alarms = {r.inputs["name"]: r for r in members(prod, ALARM)}
    workloads = [w for w in env.registry.workloads if w.environment == "prod"]
    assert len(composites) == len(workloads)
    for workload in workloads:
        own = sorted(
            (r for r in alarms.values() if r.inputs["tags"]["workload"] == workload.name),
            key=lambda r: r.urn,
        )
        composite = next(
            c for name, c in composites.items() if name.endswith(f"-{workload.name}-unhealthy")
        )
        props = composite.inputs
        rule_names = re.findall(r'ALARM\("([^"]+)"\)', props["alarmRule"])
        assert props["alarmRule"] == " OR ".join(f'ALARM("{n}")' for n in rule_names)
        assert sorted(rule_names) == sorted(r.inputs["name"] for r in own)
        # the composite is created after the alarms its rule names
        assert {r.urn for r in own} <= set(composite.dependencies)
        paging = f"arn:aws:sns:eu-west-1:{composite.account}:obsgov-prod-paging"
        chat = f"arn:aws:sns:eu-west-1:{composite.account}:obsgov-prod-alarms"
        # recovery goes to the team's channel, not the pager (issue 29)
        assert props["alarmActions"] == [paging]
        assert props["okActions"] == [chat]
        assert props["actionsEnabled"] is True
        assert props["tags"]["severity"] == workload.severity
        assert props["alarmDescription"].startswith(
            f"[{workload.severity.upper()}] {workload.name} unhealthy: {len(own)} alarm(s)"
        )
    fraud = composites["prod-ml-serving-prod-fraud-scoring-prod-unhealthy"].inputs
    assert fraud["tags"]["severity"] == "critical"  # the registry's severity for it


def test_key_policy_lets_alarms_and_the_log_groups_it_encrypts_use_the_key(prod):
    """CloudWatch Logs may use the key for the workload log groups the baseline encrypts with
    it, named exactly, not every log group of the account (CloudWatch Logs user guide,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html, step 2,
    kms:EncryptionContext:aws:logs:arn); the deploy-readiness pack's key flows prove each
    encrypted group is still admitted."""
    key = next(k for k in members(prod, "aws:kms/key:Key") if k.account == "400000000002")
    encrypted = sorted(
        f"arn:aws:logs:eu-west-1:400000000002:log-group:{g.inputs['name']}"
        for g in members(prod, "aws:cloudwatch/logGroup:LogGroup")
        if g.account == "400000000002" and g.inputs.get("kmsKeyId") is not None
    )
    assert encrypted
    assert key.inputs["enableKeyRotation"] is True
    assert statements(key.inputs["policy"]) == {
        "AccountAdministers": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::400000000002:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        "CloudWatchAlarmsEncrypt": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "400000000002"}},
        },
        "CloudWatchLogsEncrypt": {
            "Effect": "Allow",
            "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": encrypted}},
        },
    }


def test_alarm_and_paging_topics_are_encrypted_and_only_cloudwatch_publishes(example_graph):
    graph = example_graph("prod", False)
    for account in ("400000000001", "400000000002", "400000000003"):
        key = next(k for k in members(graph, "aws:kms/key:Key") if k.account == account)
        topics = {
            t.inputs["name"]: t
            for t in members(graph, "aws:sns/topic:Topic")
            if t.account == account
        }
        assert set(topics) == {"obsgov-prod-alarms", "obsgov-prod-paging"}
        for name, topic in topics.items():
            assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
            assert topic.outputs["arn"] == f"arn:aws:sns:eu-west-1:{account}:{name}"
            assert statements(topic.inputs["policy"]) == {
                "CloudWatchAlarmsPublish": {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": f"arn:aws:sns:eu-west-1:{account}:{name}",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            }


def test_email_notifies_the_alarm_topic_and_https_pages(example_graph):
    graph = example_graph("prod", False)
    subscriptions = [
        s
        for s in members(graph, "aws:sns/topicSubscription:TopicSubscription")
        if s.account == "400000000001"
    ]
    assert sorted(
        (s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in subscriptions
    ) == [
        ("email", "ml-oncall@example.com", "arn:aws:sns:eu-west-1:400000000001:obsgov-prod-alarms"),
        (
            "https",
            "https://events.pagerduty.example.com/integration/obsgov-prod/enqueue",
            "arn:aws:sns:eu-west-1:400000000001:obsgov-prod-paging",
        ),
    ]


def test_without_routing_config_members_send_to_the_programs_own_central_account(inline_env):
    """alertRouting only overrides: by default the bus and the log destination are the ones
    the program builds in the observability account, named from the environment."""
    env = inline_env("dev")
    del env.stack_doc["config"]["obsgov:alertRouting"]
    graph = env.synthesize()
    targets = {t.inputs["arn"] for t in members(graph, "aws:cloudwatch/eventTarget:EventTarget")}
    assert targets == {"arn:aws:events:eu-west-1:100000000002:event-bus/obsgov-dev-alerts"}
    destinations = {
        f.inputs["destinationArn"]
        for f in members(graph, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    }
    assert destinations == {"arn:aws:logs:eu-west-1:100000000002:destination:obsgov-dev-logs"}
    descriptions = [a.inputs["alarmDescription"] for a in members(graph, ALARM)]
    assert descriptions
    assert not any("Runbook:" in d for d in descriptions)


def test_the_sink_admits_links_from_registered_members_for_the_shared_types_only(example_graph):
    """OAM sink policies name the sink as ``"Resource": "*"`` (the policy is attached to the
    one sink); who may link is limited to the member accounts of every environment sharing the
    organisation stack's sink (the account form of the policy: CloudWatch user guide, "Create
    a sink", https://docs.aws.amazon.com/OAM/latest/APIReference/API_PutSinkPolicy.html), inside
    the organization, and to the resource types. A sandbox account of the organization may not
    link."""
    [policy] = example_graph("org", True).of_type("aws:oam/sinkPolicy:SinkPolicy")
    assert policy.account == "100000000002"
    members = [f"{e}0000000000{n}" for e in "234" for n in "123"]  # stacks/accounts.yaml
    assert statements(policy.inputs["policy"]) == {
        "RegisteredAccountsLink": {
            "Effect": "Allow",
            "Principal": {"AWS": members},
            "Resource": "*",
            "Action": ["oam:CreateLink", "oam:UpdateLink"],
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": "o-k7x2m9p4q1"},
                "ForAllValues:StringEquals": {
                    "oam:ResourceTypes": [
                        "AWS::CloudWatch::Metric",
                        "AWS::Logs::LogGroup",
                        "AWS::XRay::Trace",
                    ]
                },
            },
        }
    }
