"""The alarms of a business KPI: an anomaly band, and the optional hard bounds."""

from __future__ import annotations

from obsgov.config.models.accounts import BusinessKpi
from obsgov_policies.signals import FRESHNESS, QUALITY

from .alarm_spec import AlarmContext, AlarmSpec, MetricRef

# A KPI's producer (the team's application) is silent for this long before the heartbeat
# alarm fires: a quiet minute is not an incident, a silent hour is.
HEARTBEAT_SECONDS = 3600

BAND_OPERATORS = {
    "drop": "LessThanLowerThreshold",
    "spike": "GreaterThanUpperThreshold",
    "both": "LessThanLowerOrGreaterThanUpperThreshold",
}


def kpi_alarms(ctx: AlarmContext, kpi: BusinessKpi) -> list[AlarmSpec]:
    ref = MetricRef(kpi.namespace, kpi.metric_name, kpi.dimensions, kpi.statistic)
    where = f"{kpi.namespace} {kpi.metric_name}" + (
        f" and the workload that drives it, {kpi.driven_by}" if kpi.driven_by else ""
    )
    specs = [
        AlarmSpec(
            "anomaly",
            QUALITY,
            f"Business KPI {kpi.metric_name} left its expected band ({kpi.alert_on}).",
            where,
            BAND_OPERATORS[kpi.alert_on],
            {"m1": ref},
            band_width=ctx.defaults.anomaly_band_width,
            # a period without a datapoint is judged by the heartbeat below, not here
            treat_missing="notBreaching",
        ),
        AlarmSpec(
            "heartbeat",
            FRESHNESS,
            f"Nothing published Business KPI {kpi.metric_name} for "
            f"{HEARTBEAT_SECONDS // 60} minutes: its producer stopped.",
            where,
            "LessThanThreshold",
            {
                "m1": MetricRef(
                    kpi.namespace,
                    kpi.metric_name,
                    kpi.dimensions,
                    "SampleCount",
                    None,
                    HEARTBEAT_SECONDS,
                )
            },
            threshold=1,
            evaluation=(1, 1),
            # absence is exactly what the heartbeat is about
            treat_missing="breaching",
        ),
    ]
    if kpi.lower_bound is not None:
        specs.append(
            AlarmSpec(
                "below-bound",
                QUALITY,
                f"Business KPI {kpi.metric_name} fell below {kpi.lower_bound:g}.",
                where,
                "LessThanThreshold",
                {"m1": ref},
                threshold=kpi.lower_bound,
                severity="high",
                treat_missing="notBreaching",
            )
        )
    if kpi.upper_bound is not None:
        specs.append(
            AlarmSpec(
                "above-bound",
                QUALITY,
                f"Business KPI {kpi.metric_name} rose above {kpi.upper_bound:g}.",
                where,
                "GreaterThanThreshold",
                {"m1": ref},
                threshold=kpi.upper_bound,
                severity="high",
                treat_missing="notBreaching",
            )
        )
    return specs
