"""The alarms of an ML endpoint (SageMaker real-time inference).

``ModelLatency`` and ``OverheadLatency`` are in microseconds with ``EndpointName``/``VariantName``;
instance metrics live in ``/aws/sagemaker/Endpoints`` (leading slash) and ``CPUUtilization``
sums every core. Drift and model quality come from :mod:`obsgov.metric_contract`.
"""

from __future__ import annotations

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


def _rate(errors: MetricRef, calls: MetricRef) -> dict[str, MetricRef]:
    return {"errors": errors, "calls": calls}


def endpoint_alarms(ctx: AlarmContext, endpoint: MlEndpoint) -> list[AlarmSpec]:
    name, slo, d = endpoint.name, endpoint.slo, ctx.defaults
    dims = {ENDPOINT_NAME: name, VARIANT_NAME: endpoint.variant_name}
    metrics = f"AWS/SageMaker metrics of endpoint {name}, variant {endpoint.variant_name}"
    instances = f"{SAGEMAKER_INSTANCES_NAMESPACE} metrics and the endpoint's instances"

    def sm(metric: str, stat: str, unit: str | None = None) -> MetricRef:
        return MetricRef(SAGEMAKER_NAMESPACE, metric, dims, stat, unit)

    def instance(metric: str) -> MetricRef:
        return MetricRef(SAGEMAKER_INSTANCES_NAMESPACE, metric, dims, "Average", "Percent")

    calls = sm("Invocations", "Sum")
    cpu = (slo.max_cpu_percent or d.cpu_utilization_percent) * endpoint.instance_vcpus
    memory = slo.max_memory_percent or d.memory_utilization_percent
    disk = slo.max_disk_percent or d.disk_utilization_percent
    # An idle endpoint reports no Invocations at all, so absence is the signal here.
    min_calls = max(1.0, (slo.min_invocations_per_minute or 0) * d.period_seconds / 60)
    specs = [
        AlarmSpec(
            "latency-p99",
            LATENCY,
            f"p99 model latency of {name} is above its SLO of {slo.latency_p99_ms:g} ms.",
            metrics + " (ModelLatency) and the model container's logs",
            "GreaterThanThreshold",
            {"m1": sm("ModelLatency", "p99", "Microseconds")},
            threshold=slo.latency_p99_ms * 1000,
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
        AlarmSpec(
            "overhead-latency",
            LATENCY,
            f"p99 SageMaker overhead latency of {name} is above "
            f"{slo.overhead_latency_p99_ms:g} ms.",
            metrics + " (OverheadLatency): payload sizes and instance health",
            "GreaterThanThreshold",
            {"m1": sm("OverheadLatency", "p99", "Microseconds")},
            threshold=slo.overhead_latency_p99_ms * 1000,
        ),
        AlarmSpec(
            "errors-5xx",
            ERRORS,
            f"5XX error rate of {name} is above its SLO of {slo.error_rate_percent:g}%.",
            metrics + " (Invocation5XXErrors) and the model container's logs",
            "GreaterThanThreshold",
            _rate(sm("Invocation5XXErrors", "Sum"), calls),
            threshold=slo.error_rate_percent,
            expression="IF(calls > 0, 100 * errors / calls, 0)",
            label="5XX error rate (%)",
        ),
        AlarmSpec(
            "errors-4xx",
            ERRORS,
            f"4XX error rate of {name} is above {slo.client_error_rate_percent:g}%: callers "
            f"send requests the model rejects.",
            metrics + " (Invocation4XXErrors) and the callers' recent changes",
            "GreaterThanThreshold",
            _rate(sm("Invocation4XXErrors", "Sum"), calls),
            threshold=slo.client_error_rate_percent,
            expression="IF(calls > 0, 100 * errors / calls, 0)",
            label="4XX error rate (%)",
            severity="medium",
        ),
        AlarmSpec(
            "invocations-anomaly",
            TRAFFIC,
            f"Invocations of {name} dropped below the expected band.",
            metrics + " (Invocations) and the callers' health",
            "LessThanLowerThreshold",
            {"m1": calls},
            band_width=d.anomaly_band_width,
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
        AlarmSpec(
            "cpu",
            SATURATION,
            f"CPU of {name}'s instances is above {cpu:g}% (summed over "
            f"{endpoint.instance_vcpus} vCPU(s)).",
            instances + " (CPUUtilization); consider scaling out",
            "GreaterThanThreshold",
            {"m1": instance("CPUUtilization")},
            threshold=cpu,
        ),
        AlarmSpec(
            "memory",
            SATURATION,
            f"Memory of {name}'s instances is above {memory:g}%.",
            instances + " (MemoryUtilization) and the container's memory use",
            "GreaterThanThreshold",
            {"m1": instance("MemoryUtilization")},
            threshold=memory,
        ),
        AlarmSpec(
            "disk",
            SATURATION,
            f"Disk of {name}'s instances is above {disk:g}%.",
            instances + " (DiskUtilization): model artifacts and temp files",
            "GreaterThanThreshold",
            {"m1": instance("DiskUtilization")},
            threshold=disk,
        ),
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
