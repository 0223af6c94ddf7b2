"""Model lifecycle components under the Pulumi mocks; event patterns against documented events
(matched with moto's EventBridge pattern engine, an implementation independent of ours)."""

from __future__ import annotations

import json
import textwrap

import pytest
from moto.events.models import EventPattern

from components.lifecycle.lifecycle_archive import archive_columns
from components.lifecycle.lifecycle_events import FAILURE_PATTERNS
from components.views.business_views import lineage_dataset
from obsgov.config.loader import load_environment
from obsgov.synth import synthesize

from ..conftest import STACKS
from ..support.caching import graph_scope
from .test_central_analytics import _top_level

REGISTRY, OBS = "100000000002", "100000000002"
SERVING = {"fraud-scoring": ["400000000001"], "churn-propensity": ["400000000001", "400000000004"]}
BUS = f"arn:aws:events:eu-west-1:{OBS}:event-bus/obsgov-prod-alerts"
TOPIC = f"arn:aws:sns:eu-west-1:{OBS}:obsgov-prod-critical"

PROGRAM = textwrap.dedent(f'''
    import pulumi, pulumi_aws as aws
    from components.lifecycle.model_lifecycle import (ModelRegistry, ModelRegistryArgs, LifecycleForwarding,
        LifecycleForwardingArgs, LifecycleCentral, LifecycleCentralArgs)

    def provider(name, account):
        return aws.Provider(name, region="eu-west-1", allowed_account_ids=[account],
            assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=f"arn:aws:iam::{{account}}:role/Deploy")])
    registry = pulumi.ResourceOptions(providers=[provider("registry", "{REGISTRY}")])
    member = pulumi.ResourceOptions(providers=[provider("ml", "400000000001")])
    ModelRegistry("registry-prod", ModelRegistryArgs("prod", "{REGISTRY}", "eu-west-1", {SERVING!r},
        image_repositories=["models/fraud-inference"]), opts=registry)
    LifecycleForwarding("forward-ml", LifecycleForwardingArgs("prod", "400000000001", "{BUS}"), opts=member)
    LifecycleCentral("lifecycle-prod", LifecycleCentralArgs("prod", "{OBS}", "eu-west-1",
        "obsgov-prod-alerts", "{TOPIC}", ["400000000001", "400000000004"]), opts=registry)
''')


@pytest.fixture(scope=graph_scope)
def graph(tmp_path_factory):
    path = tmp_path_factory.mktemp("lifecycle") / "program.py"
    path.write_text(PROGRAM)
    return synthesize(load_environment("prod", STACKS / "Pulumi.prod.yaml"), program=path)


def of(graph, token):
    return [r.inputs for r in graph.of_type(token)]


def test_group_policies_admit_exactly_the_serving_accounts(graph):
    """SageMaker's cross-account deployment shares the group (DescribeModelPackageGroup) and its
    versions (DescribeModelPackage, ListModelPackages, CreateModel):
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy-xaccount.html"""
    policies = {
        p["modelPackageGroupName"]: json.loads(p["resourcePolicy"])
        for p in of(graph, "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")
    }
    assert set(policies) == {"fraud-scoring", "churn-propensity"}
    churn = {s["Sid"]: s for s in policies["churn-propensity"]["Statement"]}
    assert churn["ServingAccountsReadPackages"] == {
        "Sid": "ServingAccountsReadPackages",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::400000000001:root", "arn:aws:iam::400000000004:root"]},
        "Action": [
            "sagemaker:CreateModel",
            "sagemaker:DescribeModelPackage",
            "sagemaker:ListModelPackages",
        ],
        "Resource": f"arn:aws:sagemaker:eu-west-1:{REGISTRY}:model-package/churn-propensity/*",
    }
    # approving is the registry's: UpdateModelPackage sets ModelApprovalStatus
    assert not any(
        "sagemaker:UpdateModelPackage" in s["Action"]
        for policy in policies.values()
        for s in policy["Statement"]
    )
    assert churn["ServingAccountsDescribeGroup"]["Resource"] == (
        f"arn:aws:sagemaker:eu-west-1:{REGISTRY}:model-package-group/churn-propensity"
    )
    fraud = {s["Sid"]: s for s in policies["fraud-scoring"]["Statement"]}
    assert fraud["ServingAccountsReadPackages"]["Principal"] == {
        "AWS": ["arn:aws:iam::400000000001:root"]
    }


def test_artifact_key_is_shared_with_serving_accounts_through_s3_only(graph):
    keys = [
        json.loads(k["policy"])
        for k in of(graph, "aws:kms/key:Key")
        if "ServingAccountsDecryptArtifacts" in k["policy"]
    ]
    [policy] = keys
    [shared] = [s for s in policy["Statement"] if s["Sid"] == "ServingAccountsDecryptArtifacts"]
    assert shared["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert shared["Principal"] == {
        "AWS": ["arn:aws:iam::400000000001:root", "arn:aws:iam::400000000004:root"]
    }
    assert shared["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    # a key policy must name who administers the key: the registry account, no one else
    [admin] = [s for s in policy["Statement"] if s["Sid"] == "RegistryAdministers"]
    assert admin == {
        "Sid": "RegistryAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert len(policy["Statement"]) == 2


# Shaped like the documented SageMaker events (EventBridge reference for SageMaker AI).
SAMPLES = {
    "training-failed": {
        "source": "aws.sagemaker",
        "account": "400000000001",
        "detail-type": "SageMaker Training Job State Change",
        "detail": {
            "TrainingJobName": "churn-2026-11",
            "TrainingJobStatus": "Failed",
            "FailureReason": "AlgorithmError",
        },
    },
    "processing-failed": {
        "source": "aws.sagemaker",
        "account": "400000000001",
        "detail-type": "SageMaker Processing Job State Change",
        "detail": {"ProcessingJobName": "features", "ProcessingJobStatus": "Failed"},
    },
    "transform-failed": {
        "source": "aws.sagemaker",
        "account": "400000000001",
        "detail-type": "SageMaker Transform Job State Change",
        "detail": {"TransformJobName": "batch", "TransformJobStatus": "Failed"},
    },
    "tuning-failed": {
        "source": "aws.sagemaker",
        "account": "400000000001",
        "detail-type": "SageMaker HyperParameter Tuning Job State Change",
        "detail": {"HyperParameterTuningJobName": "hpo", "HyperParameterTuningJobStatus": "Failed"},
    },
    "pipeline-failed": {
        "source": "aws.sagemaker",
        "account": "400000000001",
        "detail-type": "SageMaker Model Building Pipeline Execution Status Change",
        "detail": {
            "currentPipelineExecutionStatus": "Failed",
            "previousPipelineExecutionStatus": "Executing",
        },
    },
    "model-package-changes": {
        "source": "aws.sagemaker",
        "account": REGISTRY,
        "detail-type": "SageMaker Model Package State Change",
        "detail": {"ModelPackageGroupName": "churn-propensity", "ModelApprovalStatus": "Approved"},
    },
    "approval-calls": {
        "source": "aws.sagemaker",
        "account": REGISTRY,
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "sagemaker.amazonaws.com", "eventName": "UpdateModelPackage"},
    },
}


def _matches(pattern, event):
    return EventPattern.load(json.dumps(pattern)).matches_event(event)


def test_forwarding_rules_match_their_documented_event_and_no_other(graph):
    rules = {
        r["name"]: json.loads(r["eventPattern"])
        for r in of(graph, "aws:cloudwatch/eventRule:EventRule")
        if r["name"].startswith("obsgov-prod-")
        and not r["name"].startswith("obsgov-prod-model-lifecycle")
    }
    assert set(rules) == {f"obsgov-prod-{k}" for k in SAMPLES}
    for kind, pattern in rules.items():
        kind = kind.removeprefix("obsgov-prod-")
        for other, event in SAMPLES.items():
            assert _matches(pattern, event) == (other == kind), (kind, other)
    succeeded = json.loads(json.dumps(SAMPLES["training-failed"]))
    succeeded["detail"]["TrainingJobStatus"] = "Completed"
    assert not _matches(rules["obsgov-prod-training-failed"], succeeded)
    # A tuning job's early stopping stops the trials it judges unpromising: TrainingJobStatus
    # Stopped is the tuner working, not a failure (SageMaker developer guide, "Stop Training
    # Jobs Early", https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-early-stopping.html).
    early_stopped = json.loads(json.dumps(SAMPLES["training-failed"]))
    early_stopped["detail"]["TrainingJobStatus"] = "Stopped"
    assert not _matches(rules["obsgov-prod-training-failed"], early_stopped)


def test_forwarding_role_may_only_put_to_the_central_bus(graph):
    targets = [t for t in of(graph, "aws:cloudwatch/eventTarget:EventTarget") if t["arn"] == BUS]
    assert len(targets) == 7
    assert all(t["roleArn"] for t in targets)
    policies = [
        json.loads(p["policy"])
        for p in of(graph, "aws:iam/rolePolicy:RolePolicy")
        if "PutToCentralBusOnly" in p["policy"]
    ]
    assert policies == [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PutToCentralBusOnly",
                    "Effect": "Allow",
                    "Action": "events:PutEvents",
                    "Resource": BUS,
                }
            ],
        }
    ]


def test_central_failures_notify_count_per_account_and_alarm(graph):
    central = {
        r["name"]: r
        for r in of(graph, "aws:cloudwatch/eventRule:EventRule")
        if r["name"].startswith("obsgov-prod-model-lifecycle-")
    }
    failed = json.loads(central["obsgov-prod-model-lifecycle-training-failed"]["eventPattern"])
    assert (
        central["obsgov-prod-model-lifecycle-training-failed"]["eventBusName"]
        == "obsgov-prod-alerts"
    )
    assert _matches(failed, SAMPLES["training-failed"])
    outsider = {**SAMPLES["training-failed"], "account": "999999999999"}
    assert not _matches(failed, outsider)  # only the environment's ML accounts
    [metric_filter] = of(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    transformation = metric_filter["metricTransformation"]
    assert transformation["dimensions"] == {"Account": "$.account", "EventType": "$.detail-type"}
    alarms = {a["name"]: a for a in of(graph, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {
        "obsgov-prod-model-lifecycle-failures-400000000001",
        "obsgov-prod-model-lifecycle-failures-400000000004",
    }
    for alarm in alarms.values():
        # no datapoint means no failure was logged in the period
        assert (alarm["comparisonOperator"], alarm["threshold"], alarm["treatMissingData"]) == (
            "GreaterThanThreshold",
            0,
            "notBreaching",
        )
    queries = alarms["obsgov-prod-model-lifecycle-failures-400000000001"]["metricQueries"]
    types = {q["metric"]["dimensions"]["EventType"] for q in queries if "metric" in q}
    assert types == {p["detail-type"][0] for p in FAILURE_PATTERNS.values()}
    assert {q["metric"]["dimensions"]["Account"] for q in queries if "metric" in q} == {
        "400000000001"
    }


def test_failures_group_accepts_only_eventbridges_log_delivery(graph):
    [policy] = of(graph, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert policy["policyName"] == "obsgov-prod-model-lifecycle-failures"
    group = (
        f"arn:aws:logs:eu-west-1:{OBS}:log-group:/aws/events/obsgov-prod-model-lifecycle-failures"
    )
    assert json.loads(policy["policyDocument"])["Statement"] == [
        {
            "Sid": "EventBridgeDelivers",
            "Effect": "Allow",
            "Principal": {"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{group}:*",
            "Condition": {"StringEquals": {"aws:SourceAccount": OBS}},
        }
    ]


def test_archive_roles_trust_their_service_and_reach_only_the_archive_stream(graph):
    roles = {r["name"]: r for r in of(graph, "aws:iam/role:Role")}
    trusted = {
        name: json.loads(roles[name]["assumeRolePolicy"])["Statement"][0]["Principal"]
        for name in (
            "obsgov-prod-model-lifecycle-archive-events",
            "obsgov-prod-model-lifecycle-firehose",
        )
    }
    assert trusted == {
        "obsgov-prod-model-lifecycle-archive-events": {"Service": "events.amazonaws.com"},
        "obsgov-prod-model-lifecycle-firehose": {"Service": "firehose.amazonaws.com"},
    }
    stream = f"arn:aws:firehose:eu-west-1:{OBS}:deliverystream/obsgov-prod-model-lifecycle-archive"
    policies = [json.loads(p["policy"]) for p in of(graph, "aws:iam/rolePolicy:RolePolicy")]
    [events] = [p for p in policies if "firehose:PutRecord" in json.dumps(p)]
    assert events["Statement"] == [
        {
            "Sid": "DeliverToArchive",
            "Effect": "Allow",
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Resource": stream,
        }
    ]


def test_archive_table_columns_are_the_eventbridge_envelopes_fields():
    # the JSON SerDe maps a column to the event's key of the same name (detail-type through
    # mapping.detail_type): the envelope's fields, then detail
    envelope = [c for c, _ in archive_columns()]
    assert envelope == [
        "id",
        "detail_type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]


def test_archive_receives_every_sagemaker_event_encrypted(graph):
    archive = {r["name"]: r for r in of(graph, "aws:cloudwatch/eventRule:EventRule")}[
        "obsgov-prod-model-lifecycle-archive-all"
    ]
    for event in SAMPLES.values():
        assert _matches(json.loads(archive["eventPattern"]), event)
    streams = {
        s["name"]: s for s in of(graph, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    }
    stream = streams["obsgov-prod-model-lifecycle-archive"]
    assert stream["serverSideEncryption"]["keyType"] == "CUSTOMER_MANAGED_CMK"
    [table] = of(graph, "aws:glue/catalogTable:CatalogTable")
    assert table["storageDescriptor"]["serDeInfo"]["parameters"] == {
        "mapping.detail_type": "detail-type"
    }


def test_lineage_dataset_reads_archive_columns():
    dataset = lineage_dataset("db", "events")
    columns = {c for c, _ in archive_columns()}
    select = dataset.sql.split(" FROM ")[0][len("SELECT ") :]
    aliases = [part.rsplit(" AS ", 1)[-1].strip() for part in _top_level(select)]
    assert aliases == [c for c, _ in dataset.columns]
    for part in _top_level(select):
        base = (
            part.split(" AS ")[0]
            .strip()
            .removeprefix("from_iso8601_timestamp(")
            .rstrip(")")
            .split(".")
        )
        assert base[1] in columns, part
    detail = dict(archive_columns())["detail"]
    for field in (
        "ModelPackageGroupName",
        "ModelApprovalStatus",
        "ApprovalDescription",
        "GeneratedBy",
        "userIdentity",
        "modelPackageArn",
    ):
        assert field in detail


def test_the_artifact_bucket_is_readable_by_the_serving_accounts_only(graph):
    """Cross-account deployment needs the bucket holding the model versions shared
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy-xaccount.html); it is
    encrypted with the artifact key, which the same accounts may use through S3."""
    name = f"obsgov-prod-model-artifacts-{REGISTRY}"
    [bucket] = [b for b in of(graph, "aws:s3/bucket:Bucket") if b["bucket"] == name]
    assert bucket["tags"] == {"purpose": "model-artifacts"}
    [policy] = [
        json.loads(p["policy"])
        for p in of(graph, "aws:s3/bucketPolicy:BucketPolicy")
        if name in p["policy"]
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ServingAccountsReadArtifacts"] == {
        "Sid": "ServingAccountsReadArtifacts",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::400000000001:root", "arn:aws:iam::400000000004:root"]},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/*",
    }
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"


def test_private_inference_images_may_be_pulled_by_the_serving_accounts(graph):
    """ECR's pull policy (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html):
    BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability; a repository policy's
    statements name no Resource."""
    [repository] = of(graph, "aws:ecr/repositoryPolicy:RepositoryPolicy")
    assert repository["repository"] == "models/fraud-inference"
    assert json.loads(repository["policy"])["Statement"] == [
        {
            "Sid": "ServingAccountsPullImages",
            "Effect": "Allow",
            "Principal": {
                "AWS": ["arn:aws:iam::400000000001:root", "arn:aws:iam::400000000004:root"]
            },
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
        }
    ]
