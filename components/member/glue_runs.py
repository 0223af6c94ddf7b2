"""Glue job runs counted from Glue's own state-change events, not from Spark task counters.

``glue.driver.aggregate.numFailedTasks`` counts Spark tasks, retried ones included: a run
that succeeds after task retries looks failed, and a run that fails before Spark starts
(a bad script, a missing connection, a timeout) publishes no task at all. Glue sends a
``Glue Job State Change`` event to the account's default bus when a run ends, with ``state``
SUCCEEDED, FAILED, TIMEOUT, STOPPED or ERROR
(https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html).
Two rules per job match its failed runs and all its ended runs; EventBridge publishes each
rule's ``MatchedEvents`` in ``AWS/Events`` with the ``RuleName`` dimension
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html), which the
failures and error-rate alarms read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
import pulumi_aws as aws

GLUE_SOURCE = "aws.glue"
GLUE_JOB_STATE_CHANGE = "Glue Job State Change"
FAILED_STATES = ("FAILED", "TIMEOUT", "ERROR")
ENDED_STATES = ("SUCCEEDED", *FAILED_STATES, "STOPPED")
EVENTS_NAMESPACE = "AWS/Events"
MATCHED_EVENTS = "MatchedEvents"
RULE_NAME = "RuleName"
# PutRule accepts names of at most 64 characters.
_MAX_RULE_NAME = 64


def run_rule_name(environment: str, job: str, which: str) -> str:
    """``obsgov-<env>-glue-<job>-<which>``, shortened stably when it would exceed 64."""
    name = f"obsgov-{environment}-glue-{job}-{which}"
    if len(name) <= _MAX_RULE_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_RULE_NAME - 9 - len(which)]}-{digest}-{which}"


def run_pattern(job: str, states: tuple[str, ...]) -> str:
    return json.dumps(
        {
            "source": [GLUE_SOURCE],
            "detail-type": [GLUE_JOB_STATE_CHANGE],
            "detail": {"jobName": [job], "state": list(states)},
        },
        sort_keys=True,
    )


def glue_run_rules(
    logical_prefix: str, environment: str, pipeline: Any, opts: pulumi.ResourceOptions
) -> None:
    """The failed-runs and ended-runs rules of one Glue job (no target: only their
    MatchedEvents metric is read)."""
    for which, states in (("failed", FAILED_STATES), ("ended", ENDED_STATES)):
        aws.cloudwatch.EventRule(
            f"{logical_prefix}-{pipeline.name}-glue-runs-{which}",
            name=run_rule_name(environment, pipeline.name, which),
            description=f"Glue job {pipeline.name}: runs that ended "
            + ("in failure" if which == "failed" else "in any state")
            + " (counted by AWS/Events MatchedEvents)",
            event_pattern=run_pattern(pipeline.name, states),
            opts=opts,
        )
