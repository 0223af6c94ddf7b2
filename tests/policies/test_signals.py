"""The shared vocabulary: the words alarms are tagged and matched with, and AWS's metric names.

The values are on the wire (alarm tags of deployed stacks, metrics AWS publishes), so they are
pinned here word for word: changing one would retag every deployed alarm or read a metric that
does not exist.
"""

from __future__ import annotations

from obsgov_policies import signals
from obsgov_policies.alarms import ALARM_CLASSES, WORKLOADS


def test_signal_classes_are_the_words_the_alarm_tags_carry():
    assert signals.SIGNAL_CLASSES == (
        "latency",
        "errors",
        "traffic",
        "saturation",
        "freshness",
        "quality",
    )
    assert signals.COMPOSITE == "composite"
    assert (signals.THROUGHPUT, signals.DURATION) == ("throughput", "duration")


def test_the_packs_classify_metrics_and_require_classes_in_the_vocabulary():
    words = {*signals.SIGNAL_CLASSES, signals.THROUGHPUT, signals.DURATION}
    assert {c for metrics in ALARM_CLASSES.values() for c in metrics.values()} <= words
    for workload in WORKLOADS.values():
        assert set(workload.required) <= words, workload.label


def test_aws_namespaces_and_dimensions_are_awss_names():
    # SageMaker: docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html (endpoint
    # invocation metrics in AWS/SageMaker, instance metrics in /aws/sagemaker/Endpoints, both
    # with EndpointName and VariantName); Lambda: docs.aws.amazon.com/lambda/latest/dg/
    # monitoring-metrics-types.html (FunctionName); Step Functions: docs.aws.amazon.com/
    # step-functions/latest/dg/procedure-cw-metrics.html (StateMachineArn); Glue:
    # docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html
    # (namespace Glue, JobName).
    assert (
        signals.SAGEMAKER_NAMESPACE,
        signals.SAGEMAKER_INSTANCES_NAMESPACE,
        signals.LAMBDA_NAMESPACE,
        signals.STATES_NAMESPACE,
        signals.GLUE_NAMESPACE,
    ) == ("AWS/SageMaker", "/aws/sagemaker/Endpoints", "AWS/Lambda", "AWS/States", "Glue")
    assert (
        signals.ENDPOINT_NAME,
        signals.VARIANT_NAME,
        signals.FUNCTION_NAME,
        signals.STATE_MACHINE_ARN,
        signals.JOB_NAME,
    ) == ("EndpointName", "VariantName", "FunctionName", "StateMachineArn", "JobName")
    assert set(ALARM_CLASSES) >= {
        signals.SAGEMAKER_NAMESPACE,
        signals.SAGEMAKER_INSTANCES_NAMESPACE,
        signals.LAMBDA_NAMESPACE,
        signals.STATES_NAMESPACE,
        signals.GLUE_NAMESPACE,
    }
