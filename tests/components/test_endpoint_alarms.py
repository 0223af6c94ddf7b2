"""What each endpoint kind and instance type gets alarmed on, from the builder's specs.

AWS facts:
* instance metrics (namespace /aws/sagemaker/Endpoints): CPUUtilization 0-(vCPUs x 100)%,
  GPUUtilization and GPUMemoryUtilization 0-(GPUs x 100)%, published only by GPU instances;
  InvocationsPerInstance in AWS/SageMaker
  (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html);
* serverless endpoints publish no instance metrics but MemoryUtilization, and ModelSetupTime
  and ServerlessConcurrentExecutionsUtilization
  (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html);
* asynchronous endpoints publish no Invocations, InvocationsPerInstance or OverheadLatency; their
  queue metrics ApproximateBacklogSize, ApproximateAgeOfOldestRequest and
  HasBacklogWithoutCapacity carry EndpointName alone
  (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html);
* a percentile alarm with fewer than 10/(1-p) samples (1,000 for p99) evaluates a maximum unless
  EvaluateLowSampleCountPercentile is ignore
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html,
  "Percentile-based alarms and low data samples").
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.member.alarm_spec import AlarmContext, AlarmSpec
from components.member.endpoint_alarms import endpoint_alarms, percentile_period
from obsgov.config.models.accounts import MlEndpoint
from obsgov.config.models.settings import AlarmDefaults

INSTANCES = "/aws/sagemaker/Endpoints"


def context() -> AlarmContext:
    return AlarmContext(
        logical_prefix="t",
        environment="prod",
        account_name="serving",
        account_id="111111111111",
        region="eu-west-1",
        defaults=AlarmDefaults(),
        actions=["arn:aws:sns:eu-west-1:111111111111:obsgov-prod-alarms"],
        opts=pulumi.ResourceOptions(),
    )


def endpoint(**extra: Any) -> MlEndpoint:
    entry: dict[str, Any] = {
        "kind": "ml-endpoint",
        "name": "scoring",
        "account": "serving",
        "environment": "prod",
        "modelId": "scoring",
        "modelVersion": "1",
        "modelPackageGroup": "scoring",
        "instanceType": "ml.m5.xlarge",
        "slo": {"latencyP99Ms": 100, "errorRatePercent": 1},
    }
    slo = extra.pop("slo", {})
    entry.update(extra)
    entry["slo"].update(slo)
    if entry.get("inference") == "serverless":
        entry.pop("instanceType")
    return MlEndpoint.model_validate(entry)


def specs(**extra: Any) -> dict[str, AlarmSpec]:
    return {s.signal: s for s in endpoint_alarms(context(), endpoint(**extra))}


def metric(spec: AlarmSpec) -> tuple[str, str]:
    (ref,) = spec.metrics.values()
    return ref.namespace, ref.name


def test_cpu_threshold_is_the_per_vcpu_limit_times_the_types_vcpus():
    four = specs(instanceType="ml.m5.xlarge")["cpu"]
    ninety_six = specs(instanceType="ml.m5.24xlarge", slo={"maxCpuPercent": 70})["cpu"]
    assert metric(four) == (INSTANCES, "CPUUtilization")
    assert four.threshold == 80 * 4  # alarmDefaults.cpuUtilizationPercent x 4 vCPUs
    assert ninety_six.threshold == 70 * 96


def test_cpu_only_instances_get_no_gpu_alarms():
    assert not {"gpu", "gpu-memory"} & set(specs(instanceType="ml.c5.4xlarge"))


def test_gpu_instances_get_gpu_and_gpu_memory_alarms_scaled_by_gpu_count():
    found = specs(instanceType="ml.g5.12xlarge", slo={"maxGpuPercent": 85})
    assert metric(found["gpu"]) == (INSTANCES, "GPUUtilization")
    assert metric(found["gpu-memory"]) == (INSTANCES, "GPUMemoryUtilization")
    assert found["gpu"].threshold == 85 * 4  # four A10G GPUs
    assert found["gpu-memory"].threshold == 90 * 4
    assert found["cpu"].threshold == 80 * 48
    (ref,) = found["gpu"].metrics.values()
    assert ref.dimensions == {"EndpointName": "scoring", "VariantName": "AllTraffic"}


def test_invocations_per_instance_is_alarmed_from_the_tested_capacity():
    found = specs(slo={"maxInvocationsPerInstancePerMinute": 600})["invocations-per-instance"]
    (ref,) = found.metrics.values()
    assert (ref.namespace, ref.name, ref.stat) == ("AWS/SageMaker", "InvocationsPerInstance", "Sum")
    assert found.threshold == 600  # per 60 s period
    assert found.operator == "GreaterThanThreshold"
    assert found.treat_missing == "notBreaching"
    assert "invocations-per-instance" not in specs()


def test_p99_ignores_periods_too_small_for_a_percentile():
    for signal in ("latency-p99", "overhead-latency"):
        spec = specs()[signal]
        (ref,) = spec.metrics.values()
        assert ref.stat == "p99"
        assert spec.low_sample_percentile == "ignore"


def test_p99_period_grows_until_the_expected_traffic_fills_1000_samples():
    # 5 requests a minute: 200 minutes would be needed; capped at an hour
    assert percentile_period(5, 60) == 3600
    assert percentile_period(100, 60) == 600  # 10 minutes x 100 = 1,000 samples
    assert percentile_period(5000, 60) == 60
    assert percentile_period(None, 60) == 60
    spec = specs(slo={"minInvocationsPerMinute": 100})["latency-p99"]
    (ref,) = spec.metrics.values()
    assert ref.period == 600
    assert spec.evaluation == (1, 1)


def test_serverless_endpoints_get_their_own_metrics_and_no_instance_alarms():
    found = specs(inference="serverless")
    assert not {"cpu", "disk", "gpu", "gpu-memory", "invocations-per-instance"} & set(found)
    # MemoryUtilization is the one instance metric a serverless endpoint publishes
    assert metric(found["memory"]) == (INSTANCES, "MemoryUtilization")
    assert metric(found["concurrency"]) == (
        "AWS/SageMaker",
        "ServerlessConcurrentExecutionsUtilization",
    )
    assert found["concurrency"].threshold == 0.9
    assert metric(found["cold-start"]) == ("AWS/SageMaker", "ModelSetupTime")
    assert found["cold-start"].threshold == 60_000_000  # microseconds
    assert found["cold-start"].treat_missing == "notBreaching"


def test_asynchronous_endpoints_alarm_on_the_queue_not_on_invocations():
    found = specs(inference="asynchronous", slo={"maxBacklogSize": 500})
    used = set().union(*(metric_names(spec) for spec in found.values()))
    assert not {"Invocations", "InvocationsPerInstance", "OverheadLatency"} & used
    queue = {"EndpointName": "scoring"}
    for signal, name in (
        ("backlog-age", "ApproximateAgeOfOldestRequest"),
        ("backlog-without-capacity", "HasBacklogWithoutCapacity"),
        ("backlog-size", "ApproximateBacklogSize"),
    ):
        (ref,) = found[signal].metrics.values()
        assert (ref.namespace, ref.name, dict(ref.dimensions)) == ("AWS/SageMaker", name, queue)
    assert found["backlog-age"].threshold == 900
    # 5XX rate without Invocations: each request sends 1 or 0, so Average is the rate
    (errors,) = found["errors-5xx"].metrics.values()
    assert (errors.name, errors.stat, found["errors-5xx"].threshold) == (
        "Invocation5XXErrors",
        "Average",
        0.01,
    )
    # an idle endpoint may scale to zero and then publish no latency or instance metric
    assert {found[s].treat_missing for s in ("cpu", "latency-p99", "latency-anomaly")} == {
        "notBreaching"
    }
    assert specs()["latency-p99"].treat_missing is None  # real-time: the environment's rule


def metric_names(spec: AlarmSpec) -> set[str]:
    return {ref.name for ref in spec.metrics.values()}


@pytest.mark.parametrize("kind", ["real-time", "asynchronous"])
def test_instance_kinds_keep_cpu_memory_and_disk(kind):
    assert {"cpu", "memory", "disk"} <= set(specs(inference=kind))
