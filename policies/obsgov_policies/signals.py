"""The vocabulary alarms are described in, shared by the packs and obsgov's own program.

Plain constants (no ``pulumi_policy``), so the Pulumi program imports them too: an alarm the
program tags ``signal-class: latency`` and a policy that asks for a latency alarm use one word.

Signal classes say what an alarm's signal tells the on-call about a workload; the program tags
every alarm with one. The packs classify a team's alarms by the metric they read and use two
more words there: ``throughput`` (what the program calls traffic) and ``duration`` (a run's
length, where a request's is latency).

AWS's metric namespaces and dimension names follow: the program's alarms and dashboards, and
the packs' matching of alarms to workloads, name them from here.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- signal classes

LATENCY = "latency"
ERRORS = "errors"
TRAFFIC = "traffic"
SATURATION = "saturation"
FRESHNESS = "freshness"
QUALITY = "quality"
#: the class of a workload's composite "unhealthy" alarm
COMPOSITE = "composite"
SIGNAL_CLASSES = (LATENCY, ERRORS, TRAFFIC, SATURATION, FRESHNESS, QUALITY)

# classes the packs read from a metric
THROUGHPUT = "throughput"
DURATION = "duration"

# --------------------------------------------------------------------------- AWS metrics

SAGEMAKER_NAMESPACE = "AWS/SageMaker"
# an endpoint's instance metrics (the leading slash is part of the name)
SAGEMAKER_INSTANCES_NAMESPACE = "/aws/sagemaker/Endpoints"
GLUE_NAMESPACE = "Glue"
STATES_NAMESPACE = "AWS/States"
LAMBDA_NAMESPACE = "AWS/Lambda"

ENDPOINT_NAME = "EndpointName"
VARIANT_NAME = "VariantName"
JOB_NAME = "JobName"
STATE_MACHINE_ARN = "StateMachineArn"
FUNCTION_NAME = "FunctionName"
