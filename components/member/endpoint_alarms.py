"""The alarms of an ML endpoint (SageMaker real-time, serverless or asynchronous inference).

``ModelLatency`` and ``OverheadLatency`` are in microseconds with ``EndpointName``/``VariantName``;
instance metrics live in ``/aws/sagemaker/Endpoints`` (leading slash), where ``CPUUtilization``
sums every vCPU and ``GPUUtilization``/``GPUMemoryUtilization`` every GPU, so their thresholds
come from the instance type's row of the shipped table (:mod:`obsgov.config.instance_types`).
Each inference kind publishes its own metrics, and an alarm on a metric the kind never publishes
could never fire:

* real-time: invocations, errors, latencies, ``InvocationsPerInstance`` and instance metrics
  (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html);
* serverless: no instance metrics but ``MemoryUtilization``; ``ModelSetupTime`` (cold starts)
  and ``ServerlessConcurrentExecutionsUtilization``
  (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html);
* asynchronous: no ``Invocations``, ``InvocationsPerInstance`` or ``OverheadLatency``; the
  queue's ``ApproximateAgeOfOldestRequest``, ``ApproximateBacklogSize`` and
  ``HasBacklogWithoutCapacity`` (``EndpointName`` only) and ``InvocationFailures``
  (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html).
Drift and model quality come from :mod:`obsgov.metric_contract`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from obsgov import metric_contract as mc
from obsgov.config.models.accounts import MlEndpoint
from obsgov_policies.signals import (
    ENDPOINT_NAME,
    ERRORS,
    LATENCY,
    QUALITY,
    SAGEMAKER_INSTANCES_NAMESPACE,
    SAGEMAKER_NAMESPACE,
    SATURATION,
    TRAFFIC,
    VARIANT_NAME,
)

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef

# CloudWatch judges a percentile p only on at least 10/(1-p) samples in the period (1,000 for
# p99); with fewer, p99 is the period's maximum, so one slow request of a quiet minute would
# page. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
# (Percentile-based alarms and low data samples)
P99 = 0.99
P99_MIN_SAMPLES = math.ceil(10 / (1 - P99))
LONGEST_PERCENTILE_PERIOD = 3600


def _rate(errors: MetricRef, calls: MetricRef) -> dict[str, MetricRef]:
    return {"errors": errors, "calls": calls}


def percentile_period(per_minute: float | None, default_period: int) -> int:
    """The shortest period (a multiple of 60 s, at most an hour) in which an endpoint serving at
    least ``per_minute`` requests collects enough samples for a p99; the environment's period
    when the rate is unknown (the alarm then ignores low-sample periods instead)."""
    if not per_minute:
        return default_period
    minutes = math.ceil(P99_MIN_SAMPLES / per_minute)
    return max(default_period, min(minutes * 60, LONGEST_PERCENTILE_PERIOD))


def endpoint_alarms(ctx: AlarmContext, endpoint: MlEndpoint) -> list[AlarmSpec]:
    name, slo, d = endpoint.name, endpoint.slo, ctx.defaults
    dims = {ENDPOINT_NAME: name, VARIANT_NAME: endpoint.variant_name}
    metrics = f"AWS/SageMaker metrics of endpoint {name}, variant {endpoint.variant_name}"
    asynchronous = endpoint.inference == "asynchronous"
    serverless = endpoint.inference == "serverless"

    def sm(metric: str, stat: str, unit: str | None = None) -> MetricRef:
        return MetricRef(SAGEMAKER_NAMESPACE, metric, dims, stat, unit)

    calls = sm("Invocations", "Sum")
    # An idle endpoint reports no Invocations at all, so absence is the signal here.
    min_calls = max(1.0, (slo.min_invocations_per_minute or 0) * d.period_seconds / 60)
    # p99 over enough samples: a longer period when the expected traffic is known, and in any
    # period with too few samples the alarm keeps its state rather than judge a maximum
    p99_period = percentile_period(slo.min_invocations_per_minute, d.period_seconds)
    # one full period of >= 1,000 samples is a p99 already; waiting for 3 of 5 hours is not
    p99_evaluation = (1, 1) if p99_period > d.period_seconds else None

    def p99(metric: str) -> MetricRef:
        return MetricRef(SAGEMAKER_NAMESPACE, metric, dims, "p99", "Microseconds", p99_period)

    specs = [
        AlarmSpec(
            "latency-p99",
            LATENCY,
            f"p99 model latency of {name} is above its SLO of {slo.latency_p99_ms:g} ms "
            f"(judged only on periods of at least {P99_MIN_SAMPLES} requests).",
            metrics + " (ModelLatency) and the model container's logs",
            "GreaterThanThreshold",
            {"m1": p99("ModelLatency")},
            threshold=slo.latency_p99_ms * 1000,
            evaluation=p99_evaluation,
            low_sample_percentile="ignore",
        ),
        AlarmSpec(
            "latency-anomaly",
            LATENCY,
            f"Average model latency of {name} rose above its expected band.",
            metrics + " (ModelLatency) and recent deployments",
            "GreaterThanUpperThreshold",
            {"m1": sm("ModelLatency", "Average", "Microseconds")},
            band_width=d.anomaly_band_width,
        ),
    ]
    if not asynchronous:
        specs.append(
            AlarmSpec(
                "overhead-latency",
                LATENCY,
                f"p99 SageMaker overhead latency of {name} is above "
                f"{slo.overhead_latency_p99_ms:g} ms (judged only on periods of at least "
                f"{P99_MIN_SAMPLES} requests).",
                metrics + " (OverheadLatency): payload sizes and instance health",
                "GreaterThanThreshold",
                {"m1": p99("OverheadLatency")},
                threshold=slo.overhead_latency_p99_ms * 1000,
                evaluation=p99_evaluation,
                low_sample_percentile="ignore",
            )
        )
    specs += _error_specs(endpoint, sm, calls, metrics, asynchronous)
    if not asynchronous:
        specs += _traffic_specs(endpoint, calls, metrics, min_calls, d.anomaly_band_width)
    if endpoint.inference == "real-time" and slo.max_invocations_per_instance_per_minute:
        per_instance = slo.max_invocations_per_instance_per_minute * d.period_seconds / 60
        specs.append(
            AlarmSpec(
                "invocations-per-instance",
                SATURATION,
                f"Each instance of {name} serves more than {per_instance:g} invocations a "
                "period, its tested capacity; add instances or scale out sooner.",
                metrics + " (InvocationsPerInstance) and the variant's scaling policy",
                "GreaterThanThreshold",
                {"m1": sm("InvocationsPerInstance", "Sum")},
                threshold=per_instance,
                # published only with traffic: no traffic is no saturation, and silence pages
                # through invocations-zero
                treat_missing="notBreaching",
            )
        )
    if serverless:
        specs += _serverless_specs(endpoint, sm, metrics)
    if asynchronous:
        specs += _asynchronous_specs(endpoint, sm, metrics)
    specs += _instance_specs(ctx, endpoint)
    if asynchronous:
        # An idle asynchronous endpoint (empty queue, scaled to zero) publishes no latency or
        # instance metrics: silence is not a fault there, and the queue alarms say when
        # requests wait (backlog-age, backlog-without-capacity).
        specs = [
            s if s.treat_missing else dataclasses.replace(s, treat_missing="notBreaching")
            for s in specs
        ]
    # Drift and model-quality jobs publish once per run (hourly or slower): between runs the
    # metric is absent, and ``ignore`` keeps the last verdict instead of flapping to OK.
    hourly = (1, 1)
    # Drift has no alarm here: the drift job that publishes DriftedFeatureShare brings its own
    # (components/lifecycle/signal_alarms.py, dataset-drift, with its no-data and malformed
    # siblings), so one drifted window pages once, and only where a job produces the metric.
    if endpoint.model_quality is not None:
        target = endpoint.model_quality
        unit = next(
            m.unit
            for m in (*mc.CLASSIFICATION_METRICS, *mc.REGRESSION_METRICS)
            if m.name == target.metric
        )
        specs.append(
            AlarmSpec(
                "model-quality",
                QUALITY,
                f"{target.metric} of {name} (the model version it serves) is "
                f"{'below' if target.higher_is_better else 'above'} {target.threshold:g}.",
                f"{mc.MODEL_QUALITY_NAMESPACE} metrics with Endpoint={name} and the labelled data",
                "LessThanThreshold" if target.higher_is_better else "GreaterThanThreshold",
                {
                    "m1": MetricRef(
                        mc.MODEL_QUALITY_NAMESPACE,
                        target.metric,
                        # Endpoint alone: the job reads the served version at run time and
                        # publishes each figure under Endpoint too (obsgov.model_quality.job,
                        # metric_data), so the alarm follows every release without a deploy
                        {mc.ENDPOINT_DIMENSION: name},
                        "Average",
                        unit,
                        3600,
                    )
                },
                threshold=target.threshold,
                treat_missing="ignore",
                evaluation=hourly,
            )
        )
    return specs


def _error_specs(
    endpoint: MlEndpoint, sm: Any, calls: MetricRef, metrics: str, asynchronous: bool
) -> list[AlarmSpec]:
    name, slo = endpoint.name, endpoint.slo
    specs = []
    for signal, metric, limit, severity, what in (
        ("errors-5xx", "Invocation5XXErrors", slo.error_rate_percent, None, "its SLO of "),
        ("errors-4xx", "Invocation4XXErrors", slo.client_error_rate_percent, "medium", ""),
    ):
        where = (
            metrics
            + f" ({metric}) and "
            + ("the model container's logs" if signal == "errors-5xx" else "the callers' changes")
        )
        text = f"{signal[-3:].upper()} error rate of {name} is above {what}{limit:g}%."
        if asynchronous:
            # No Invocations to divide by; each request sends 1 (error) or 0, so the Average
            # is the error rate
            specs.append(
                AlarmSpec(
                    signal,
                    ERRORS,
                    text,
                    where,
                    "GreaterThanThreshold",
                    {"m1": sm(metric, "Average")},
                    threshold=limit / 100,
                    treat_missing="notBreaching",
                    severity=severity,
                )
            )
        else:
            specs.append(
                AlarmSpec(
                    signal,
                    ERRORS,
                    text,
                    where,
                    "GreaterThanThreshold",
                    _rate(sm(metric, "Sum"), calls),
                    threshold=limit,
                    expression="IF(calls > 0, 100 * errors / calls, 0)",
                    label=f"{signal[-3:].upper()} error rate (%)",
                    severity=severity,
                )
            )
    return specs


def _traffic_specs(
    endpoint: MlEndpoint, calls: MetricRef, metrics: str, min_calls: float, band: float
) -> list[AlarmSpec]:
    name = endpoint.name
    return [
        AlarmSpec(
            "invocations-anomaly",
            TRAFFIC,
            f"Invocations of {name} dropped below the expected band.",
            metrics + " (Invocations) and the callers' health",
            "LessThanLowerThreshold",
            {"m1": calls},
            band_width=band,
        ),
        AlarmSpec(
            "invocations-zero",
            TRAFFIC,
            f"{name} received fewer than {min_calls:g} invocations in a period, or none at all.",
            metrics + " (Invocations), the callers and the endpoint's status",
            "LessThanThreshold",
            {"m1": calls},
            threshold=min_calls,
            treat_missing="breaching",
            severity="high",
        ),
    ]


def _serverless_specs(endpoint: MlEndpoint, sm: Any, metrics: str) -> list[AlarmSpec]:
    name, slo = endpoint.name, endpoint.slo
    return [
        AlarmSpec(
            "concurrency",
            SATURATION,
            f"{name} uses more than {slo.max_concurrency_utilization:.0%} of its serverless "
            "MaxConcurrency: further requests are throttled.",
            metrics + " (ServerlessConcurrentExecutionsUtilization) and MaxConcurrency",
            "GreaterThanThreshold",
            {"m1": sm("ServerlessConcurrentExecutionsUtilization", "Maximum")},
            threshold=slo.max_concurrency_utilization,
            treat_missing="notBreaching",  # no traffic, no concurrency to saturate
        ),
        AlarmSpec(
            "cold-start",
            LATENCY,
            f"A cold start of {name} took longer than {slo.max_model_setup_seconds:g} s to "
            "set up its compute.",
            metrics + " (ModelSetupTime): model size, download time and container start-up",
            "GreaterThanThreshold",
            {"m1": sm("ModelSetupTime", "Maximum", "Microseconds")},
            threshold=slo.max_model_setup_seconds * 1_000_000,
            treat_missing="notBreaching",  # published only when a cold start happens
        ),
    ]


def _asynchronous_specs(endpoint: MlEndpoint, sm: Any, metrics: str) -> list[AlarmSpec]:
    name, slo = endpoint.name, endpoint.slo
    queue = {ENDPOINT_NAME: name}  # the queue's metrics carry EndpointName alone

    def backlog(metric: str, stat: str, unit: str | None = None) -> MetricRef:
        return MetricRef(SAGEMAKER_NAMESPACE, metric, queue, stat, unit)

    where = f"AWS/SageMaker queue metrics of endpoint {name} and its scaling policy"
    specs = [
        AlarmSpec(
            "backlog-age",
            LATENCY,
            f"The oldest queued request of {name} has waited more than "
            f"{slo.max_backlog_age_seconds:g} s.",
            where + " (ApproximateAgeOfOldestRequest)",
            "GreaterThanThreshold",
            {"m1": backlog("ApproximateAgeOfOldestRequest", "Maximum", "Seconds")},
            threshold=slo.max_backlog_age_seconds,
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "backlog-without-capacity",
            SATURATION,
            f"{name} has queued requests and no instance to serve them (scaled to zero and "
            "not scaling out).",
            where + " (HasBacklogWithoutCapacity) and the scale-out-from-zero policy",
            "GreaterThanThreshold",
            {"m1": backlog("HasBacklogWithoutCapacity", "Average")},
            threshold=0,
            treat_missing="notBreaching",
            severity="high",
        ),
        AlarmSpec(
            "invocation-failures",
            ERRORS,
            f"Asynchronous invocations of {name} failed.",
            metrics + " (InvocationFailures) and the endpoint's failure path in S3",
            "GreaterThanThreshold",
            {"m1": sm("InvocationFailures", "Sum")},
            threshold=0,
            treat_missing="notBreaching",  # published when something fails
        ),
    ]
    if slo.max_backlog_size is not None:
        specs.append(
            AlarmSpec(
                "backlog-size",
                SATURATION,
                f"More than {slo.max_backlog_size:g} requests wait in the queue of {name}.",
                where + " (ApproximateBacklogSize)",
                "GreaterThanThreshold",
                {"m1": backlog("ApproximateBacklogSize", "Maximum")},
                threshold=slo.max_backlog_size,
                treat_missing="notBreaching",
            )
        )
    return specs


def _instance_specs(ctx: AlarmContext, endpoint: MlEndpoint) -> list[AlarmSpec]:
    """Saturation of the variant's instances, sized from the instance type's row; a serverless
    endpoint has no instances of its own and publishes MemoryUtilization alone."""
    name, slo, d = endpoint.name, endpoint.slo, ctx.defaults
    dims = {ENDPOINT_NAME: name, VARIANT_NAME: endpoint.variant_name}
    instances = f"{SAGEMAKER_INSTANCES_NAMESPACE} metrics and the endpoint's instances"

    def instance(metric: str) -> MetricRef:
        return MetricRef(SAGEMAKER_INSTANCES_NAMESPACE, metric, dims, "Average", "Percent")

    def saturation(signal: str, metric: str, threshold: float, what: str, look: str) -> AlarmSpec:
        return AlarmSpec(
            signal,
            SATURATION,
            what,
            instances + f" ({metric}){look}",
            "GreaterThanThreshold",
            {"m1": instance(metric)},
            threshold=threshold,
        )

    memory = slo.max_memory_percent or d.memory_utilization_percent
    memory_spec = saturation(
        "memory",
        "MemoryUtilization",
        memory,
        f"Memory of {name}'s instances is above {memory:g}%.",
        " and the container's memory use",
    )
    kind = endpoint.instance
    if kind is None:
        return [memory_spec]
    per_vcpu = slo.max_cpu_percent or d.cpu_utilization_percent
    cpu = per_vcpu * kind.vcpus
    disk = slo.max_disk_percent or d.disk_utilization_percent
    specs = [
        saturation(
            "cpu",
            "CPUUtilization",
            cpu,
            f"CPU of {name}'s instances is above {cpu:g}% ({per_vcpu:g}% of each of the "
            f"{kind.vcpus} vCPUs of {kind.name}).",
            "; consider scaling out",
        ),
        memory_spec,
        saturation(
            "disk",
            "DiskUtilization",
            disk,
            f"Disk of {name}'s instances is above {disk:g}%.",
            ": model artifacts and temp files",
        ),
    ]
    if kind.has_gpus:
        gpu = slo.max_gpu_percent * kind.gpus
        gpu_memory = slo.max_gpu_memory_percent * kind.gpus
        specs += [
            saturation(
                "gpu",
                "GPUUtilization",
                gpu,
                f"GPU of {name}'s instances is above {gpu:g}% ({slo.max_gpu_percent:g}% of "
                f"each of the {kind.gpus} GPUs of {kind.name}).",
                "; consider scaling out or a larger GPU",
            ),
            saturation(
                "gpu-memory",
                "GPUMemoryUtilization",
                gpu_memory,
                f"GPU memory of {name}'s instances is above {gpu_memory:g}% "
                f"({slo.max_gpu_memory_percent:g}% of each of the {kind.gpus} GPUs' "
                f"{kind.gpu_memory_gib} GiB in all).",
                ": model size, batch size and the container's memory use",
            ),
        ]
    return specs
