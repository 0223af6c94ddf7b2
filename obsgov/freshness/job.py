"""The scheduled freshness job: for each pipeline, find its newest output and publish its age.

A pipeline's run heartbeat (the ``RunSucceeded`` EMF line) says a run finished; it does not say
the run wrote anything, and it is absent whenever the pipeline forgets to print it. This job
looks at the output instead, from the platform's side:

* ``s3://bucket/prefix/``: the newest object's LastModified. With a key layout
  (``dt=%Y-%m-%d/``, ``%Y/%m/%d/%H/``) only the most recent periods are listed, newest first,
  back to ``lookbackHours``; without one the whole prefix is listed.
* ``glue://database/table``: the newest partition (Glue GetPartitions), by its CreationTime
  (when it was registered) or, with ``partitionTimeFormat``, by the time its values name
  (``["2026", "11", "27"]`` read with ``%Y/%m/%d``).

A pipeline is stale when its newest output is older than its interval plus its grace period,
or when none is found: ``DataStale=1``, and ``DataAge`` is published only when there is an age
to publish. A pipeline whose output cannot be read (access denied, no such table) is reported
stale with the reason, and the run then fails, so the function's error alarm tells a broken
job from a stale pipeline.

A Step Functions pipeline (``stateMachineArn`` with ``maxDurationMinutes``) is also checked for
hung executions: one that never ends sends no ``ExecutionTime`` (Step Functions publishes it when
an execution closes), so no duration alarm can see it. The job lists the state machine's RUNNING
executions (ListExecutions) and publishes ``OverdueExecutions``, how many started more than
``maxDurationMinutes`` ago (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).

Schedule input::

    {"pipelines": [{"pipeline": "nightly-features", "location": "s3://out/features/",
                    "intervalMinutes": 1440, "graceMinutes": 120, "layout": "dt=%Y-%m-%d/"},
                   {"pipeline": "orders", "location": "glue://sales/orders",
                    "intervalMinutes": 60, "graceMinutes": 15,
                    "stateMachineArn": "arn:aws:states:eu-west-1:111111111111:stateMachine:orders",
                    "maxDurationMinutes": 45}]}
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from obsgov import metric_contract as contract
from obsgov.clock import utc_now
from obsgov.s3_window import KeyLayout, ListingStats, S3Location, is_data, list_periods, list_prefix

DEFAULT_GRACE = timedelta(minutes=30)
DEFAULT_LOOKBACK = timedelta(days=8)  # one more day than the longest interval alarms allow


class FreshnessConfigError(ValueError):
    """The schedule's input is wrong: the message names the pipeline and the key."""


class FreshnessError(RuntimeError):
    """Some pipelines' output could not be read; their DataStale=1 was published first."""


@dataclass(frozen=True)
class PipelineOutput:
    pipeline: str
    location: str  # s3://bucket/prefix/ or glue://database/table
    interval: timedelta  # new output is expected at least this often
    grace: timedelta = timedelta(minutes=30)
    layout: str | None = None  # key time layout under an S3 prefix
    partition_time_format: str | None = None  # Glue partition values -> time
    lookback: timedelta = timedelta(days=8)
    state_machine_arn: str | None = None  # a Step Functions pipeline: watch for hung runs
    max_duration: timedelta | None = None

    @property
    def limit(self) -> timedelta:
        return self.interval + self.grace


@dataclass
class Freshness:
    pipeline: str
    newest: datetime | None
    where: str  # the object key or partition values that are newest
    age: timedelta | None
    stale: bool
    reason: str
    listed: int = 0  # objects or partitions looked at
    failed: bool = False
    overdue: int | None = None  # RUNNING executions past maxDurationMinutes; None: not watched

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "newest": self.newest.isoformat() if self.newest else None,
            "where": self.where,
            "ageSeconds": self.age.total_seconds() if self.age is not None else None,
            "stale": self.stale,
            "reason": self.reason,
            "listed": self.listed,
            "overdueExecutions": self.overdue,
        }


DEFAULT_GRACE_MINUTES = 30
DEFAULT_LOOKBACK_MINUTES = 8 * 24 * 60  # one day more than the longest interval alarms allow


def _minutes(entry: Mapping[str, Any], key: str, default: int | None, low: int = 0) -> timedelta:
    value = entry.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{key} must be a whole number of minutes >= {low}, not {value!r}")
    return timedelta(minutes=value)


def _output(entry: Any) -> PipelineOutput:
    if not isinstance(entry, Mapping):
        raise ValueError("must be an object")
    name = entry.get("pipeline")
    if not isinstance(name, str) or not name:
        raise ValueError("pipeline must name the pipeline")
    location = entry.get("location")
    if not isinstance(location, str):
        raise ValueError("location must be s3://bucket/prefix/ or glue://database/table")
    if location.startswith("s3://"):
        S3Location.from_uri(location)
    else:
        parts = location.removeprefix("glue://").split("/")
        if not location.startswith("glue://") or len(parts) != 2 or "" in parts:
            raise ValueError(
                f"location {location!r} is not s3://bucket/prefix/ or glue://database/table"
            )
    layout = entry.get("layout") or None
    if layout is not None:
        KeyLayout(str(layout))
    time_format = entry.get("partitionTimeFormat") or None
    if time_format is not None and not isinstance(time_format, str):
        raise ValueError(f"partitionTimeFormat must be a strptime format, not {time_format!r}")
    state_machine = entry.get("stateMachineArn") or None
    max_duration = None
    if state_machine is not None:
        if not isinstance(state_machine, str) or not _STATE_MACHINE_ARN.fullmatch(state_machine):
            raise ValueError(
                f"stateMachineArn must be arn:aws:states:<region>:<account>:stateMachine:<name>, "
                f"not {state_machine!r}"
            )
        max_duration = _minutes(entry, "maxDurationMinutes", None, low=1)
    elif "maxDurationMinutes" in entry:
        raise ValueError("maxDurationMinutes needs the stateMachineArn whose runs it limits")
    return PipelineOutput(
        name,
        location,
        _minutes(entry, "intervalMinutes", None, low=1),
        _minutes(entry, "graceMinutes", DEFAULT_GRACE_MINUTES),
        layout,
        time_format,
        _minutes(entry, "lookbackMinutes", DEFAULT_LOOKBACK_MINUTES, low=1),
        state_machine,
        max_duration,
    )


_STATE_MACHINE_ARN = re.compile(r"arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}")


def parse_outputs(event: Any) -> list[PipelineOutput]:
    """Every pipeline of the schedule's input, or every problem at once."""
    entries = event.get("pipelines") if isinstance(event, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise FreshnessConfigError("the schedule's input needs a non-empty pipelines list")
    outputs, problems = [], []
    for index, entry in enumerate(entries):
        named = entry.get("pipeline") if isinstance(entry, Mapping) else None
        try:
            outputs.append(_output(entry))
        except ValueError as exc:
            problems.append(f"pipelines[{index}] ({named or 'unnamed'}): {exc}")
    if problems:
        raise FreshnessConfigError("; ".join(problems))
    return outputs


def newest_s3_object(
    s3: Any, output: PipelineOutput, now: datetime
) -> tuple[datetime | None, str, int]:
    """(LastModified, key, objects listed) of the newest data object."""
    location = S3Location.from_uri(output.location)
    stats = ListingStats()
    if output.layout is None:
        candidates = [o for o in list_prefix(s3, location, stats) if is_data(o)]
    else:
        layout = KeyLayout(output.layout)
        candidates = []
        period = layout.floor(now)
        oldest = now - output.lookback
        # newest period first: the first one holding data holds the newest data
        while period >= layout.floor(oldest) and not candidates:
            candidates = [
                o for o in list_periods(s3, location, layout, period, period, stats) if is_data(o)
            ]
            period = _previous(layout, period)
    if not candidates:
        return None, "", stats.objects_listed
    newest = max(candidates, key=lambda o: (o.last_modified, o.key))
    return newest.last_modified, newest.key, stats.objects_listed


def _previous(layout: KeyLayout, period: datetime) -> datetime:
    return layout.floor(period - timedelta(microseconds=1))


def newest_glue_partition(glue: Any, output: PipelineOutput) -> tuple[datetime | None, str, int]:
    """(time, values, partitions looked at) of the newest partition of a Glue table."""
    database, table = output.location[len("glue://") :].split("/")
    newest: tuple[datetime, str] | None = None
    count = 0
    for page in glue.get_paginator("get_partitions").paginate(
        DatabaseName=database, TableName=table, ExcludeColumnSchema=True
    ):
        for partition in page.get("Partitions", []):
            count += 1
            values = partition.get("Values", [])
            shown = "/".join(values)
            if output.partition_time_format:
                try:
                    when = datetime.strptime(shown, output.partition_time_format).replace(
                        tzinfo=timezone.utc
                    )
                except ValueError:
                    continue  # a partition whose values name no time (a backfill marker)
            else:
                when = partition["CreationTime"].astimezone(timezone.utc)
            if newest is None or when > newest[0]:
                newest = (when, shown)
    if newest is None:
        return None, "", count
    return newest[0], newest[1], count


def measure(
    output: PipelineOutput, now: datetime, *, s3: Any = None, glue: Any = None
) -> Freshness:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if output.location.startswith("s3://"):
            newest, where, listed = newest_s3_object(s3, output, now)
        else:
            newest, where, listed = newest_glue_partition(glue, output)
    except (ClientError, BotoCoreError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        return Freshness(
            output.pipeline,
            None,
            "",
            None,
            True,
            f"cannot read {output.location}: {code}",
            failed=True,
        )
    if newest is None:
        looked = f" in the last {_hours(output.lookback)}" if output.layout else ""
        return Freshness(
            output.pipeline,
            None,
            "",
            None,
            True,
            f"no output found under {output.location}{looked}",
            listed,
        )
    age = max(now - newest, timedelta(0))
    stale = age > output.limit
    reason = (
        f"newest output is {_hours(age)} old, more than the {_hours(output.interval)} "
        f"interval + {_hours(output.grace)} grace"
        if stale
        else f"newest output is {_hours(age)} old"
    )
    return Freshness(output.pipeline, newest, where, age, stale, reason, listed)


def overdue_executions(states: Any, output: PipelineOutput, now: datetime) -> tuple[int, str]:
    """(how many, the oldest's name) of the state machine's RUNNING executions that started
    more than the pipeline's maximum duration ago."""
    if output.state_machine_arn is None or output.max_duration is None:
        raise ValueError(f"{output.pipeline}: no state machine and maximum duration to watch")
    cutoff = now - output.max_duration
    overdue: list[tuple[datetime, str]] = []
    for page in states.get_paginator("list_executions").paginate(
        stateMachineArn=output.state_machine_arn, statusFilter="RUNNING"
    ):
        for execution in page.get("executions", []):
            started = execution["startDate"].astimezone(timezone.utc)
            if started < cutoff:
                overdue.append((started, execution["name"]))
    return len(overdue), min(overdue)[1] if overdue else ""


def watch_running(
    output: PipelineOutput, now: datetime, states: Any, result: Freshness
) -> Freshness:
    """``result`` with the pipeline's overdue executions counted, or marked failed (and
    stale, so the run's error alarm fires) when they cannot be listed."""
    from botocore.exceptions import BotoCoreError, ClientError

    if output.state_machine_arn is None or output.max_duration is None:
        return result
    try:
        count, oldest = overdue_executions(states, output, now)
    except (ClientError, BotoCoreError) as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        return dataclasses.replace(
            result,
            failed=True,
            reason=f"{result.reason}; cannot list executions of {output.state_machine_arn}: {code}",
        )
    if count:
        reason = (
            f"{result.reason}; {count} execution(s) running longer than "
            f"{_hours(output.max_duration)} (oldest: {oldest})"
        )
        return dataclasses.replace(result, overdue=count, reason=reason)
    return dataclasses.replace(result, overdue=0)


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:g} h"


def metric_data(results: Sequence[Freshness], timestamp: datetime) -> list[dict[str, Any]]:
    data = []
    for result in results:
        dims = [{"Name": "Pipeline", "Value": result.pipeline}]
        if result.age is not None:
            data.append(
                {
                    "MetricName": contract.DATA_AGE.name,
                    "Dimensions": dims,
                    "Value": result.age.total_seconds(),
                    "Unit": contract.DATA_AGE.unit,
                    "Timestamp": timestamp,
                }
            )
        data.append(
            {
                "MetricName": contract.DATA_STALE.name,
                "Dimensions": dims,
                "Value": 1.0 if result.stale else 0.0,
                "Unit": contract.DATA_STALE.unit,
                "Timestamp": timestamp,
            }
        )
        if result.overdue is not None:
            data.append(
                {
                    "MetricName": contract.OVERDUE_EXECUTIONS.name,
                    "Dimensions": dims,
                    "Value": float(result.overdue),
                    "Unit": contract.OVERDUE_EXECUTIONS.unit,
                    "Timestamp": timestamp,
                }
            )
    return data


def publish(cloudwatch: Any, results: Sequence[Freshness], timestamp: datetime) -> int:
    data = metric_data(results, timestamp)
    for i in range(0, len(data), 1000):  # PutMetricData takes up to 1,000 datums a call
        cloudwatch.put_metric_data(
            Namespace=contract.PIPELINE_NAMESPACE, MetricData=data[i : i + 1000]
        )
    return len(data)


def run(
    outputs: Sequence[PipelineOutput],
    now: datetime,
    *,
    s3: Any = None,
    glue: Any = None,
    cloudwatch: Any = None,
    states: Any = None,
) -> list[Freshness]:
    results = [watch_running(o, now, states, measure(o, now, s3=s3, glue=glue)) for o in outputs]
    if cloudwatch is not None:
        publish(cloudwatch, results, now)
    return results


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; the schedule's input lists the pipelines (see the module)."""
    import boto3

    outputs = parse_outputs(event)
    now = utc_now()
    results = run(
        outputs,
        now,
        s3=boto3.client("s3"),
        glue=boto3.client("glue"),
        cloudwatch=boto3.client("cloudwatch"),
        states=boto3.client("stepfunctions"),
    )
    summary = {"obsgov": "freshness", "pipelines": [r.to_json() for r in results]}
    print(json.dumps(summary, sort_keys=True))
    failed = [r for r in results if r.failed]
    if failed:
        raise FreshnessError("; ".join(f"{r.pipeline}: {r.reason}" for r in failed))
    return summary
