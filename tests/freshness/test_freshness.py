"""Pipeline freshness from the age of the newest output (moto: S3, Glue, CloudWatch).

S3 ListObjectsV2 returns each object's LastModified
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); Glue GetPartitions
returns each partition's Values and CreationTime
(https://docs.aws.amazon.com/glue/latest/webapi/API_GetPartitions.html). moto stamps both from
the clock, frozen here with time-machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
import time_machine
from moto import mock_aws

from obsgov.freshness import job
from obsgov.freshness.job import FreshnessConfigError, PipelineOutput, measure, parse_outputs

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
REGION = "eu-west-1"


@pytest.fixture
def aws(aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="out", CreateBucketConfiguration={"LocationConstraint": REGION})
        glue = boto3.client("glue", region_name=REGION)
        glue.create_database(DatabaseInput={"Name": "sales"})
        glue.create_table(
            DatabaseName="sales",
            TableInput={
                "Name": "orders",
                "PartitionKeys": [
                    {"Name": "year", "Type": "string"},
                    {"Name": "month", "Type": "string"},
                    {"Name": "day", "Type": "string"},
                ],
            },
        )
        yield s3, glue, boto3.client("cloudwatch", region_name=REGION)


def write(s3, key, when, body=b"data"):
    with time_machine.travel(when, tick=False):
        s3.put_object(Bucket="out", Key=key, Body=body)


def partition(glue, day: datetime, registered: datetime):
    with time_machine.travel(registered, tick=False):
        glue.create_partition(
            DatabaseName="sales",
            TableName="orders",
            PartitionInput={"Values": [f"{day:%Y}", f"{day:%m}", f"{day:%d}"]},
        )


def daily(location, grace_minutes=120, **extra):
    return PipelineOutput(
        "nightly", location, timedelta(hours=24), timedelta(minutes=grace_minutes), **extra
    )


def test_age_is_the_newest_objects_and_the_grace_period_decides(aws):
    s3, _, _ = aws
    write(s3, "features/part-0.parquet", NOW - timedelta(hours=49))
    write(s3, "features/part-1.parquet", NOW - timedelta(hours=25))
    write(s3, "features/_SUCCESS", NOW - timedelta(hours=1), b"")  # a marker is not data
    fresh = measure(daily("s3://out/features/"), NOW, s3=s3)
    assert fresh.age == timedelta(hours=25)
    assert not fresh.stale
    assert fresh.where == "features/part-1.parquet"
    tight = measure(daily("s3://out/features/", grace_minutes=30), NOW, s3=s3)
    assert tight.stale
    assert tight.reason == "newest output is 25 h old, more than the 24 h interval + 0.5 h grace"


def test_a_partition_layout_is_searched_newest_period_first(aws):
    s3, _, _ = aws
    for days_ago in range(1, 60):
        day = NOW - timedelta(days=days_ago)
        write(s3, f"orders/dt={day:%Y-%m-%d}/part-0.parquet", day + timedelta(hours=2))
    output = daily("s3://out/orders/", layout="dt=%Y-%m-%d/")
    result = measure(output, NOW, s3=s3)
    assert result.where == "orders/dt=2026-11-26/part-0.parquet"
    assert result.age == timedelta(hours=22)
    assert not result.stale
    # today's partition is empty, yesterday's holds the newest: two periods, one object listed
    assert result.listed == 1


def test_nothing_within_the_lookback_is_stale_without_an_age(aws):
    s3, _, cloudwatch = aws
    write(s3, "orders/dt=2026-09-01/part-0.parquet", datetime(2026, 9, 1, tzinfo=timezone.utc))
    output = daily("s3://out/orders/", layout="dt=%Y-%m-%d/")
    results = job.run([output], NOW, s3=s3, cloudwatch=cloudwatch)
    assert results[0].stale
    assert results[0].age is None
    assert results[0].reason == "no output found under s3://out/orders/ in the last 192 h"
    names = {
        m["MetricName"] for m in cloudwatch.list_metrics(Namespace="Obsgov/Pipelines")["Metrics"]
    }
    assert names == {"DataStale"}  # no DataAge: there is no age to publish


def test_glue_partitions_by_registration_or_by_their_values(aws):
    _, glue, _ = aws
    for days_ago in (3, 2, 1):
        day = (NOW - timedelta(days=days_ago)).replace(hour=0)
        partition(glue, day, day + timedelta(hours=26))  # registered the next morning
    by_creation = measure(daily("glue://sales/orders"), NOW, glue=glue)
    assert by_creation.where == "2026/11/26"
    assert by_creation.age == timedelta(hours=4)
    by_values = measure(
        daily("glue://sales/orders", partition_time_format="%Y/%m/%d"), NOW, glue=glue
    )
    assert by_values.age == timedelta(hours=30)
    assert by_values.stale
    assert by_values.listed == 3


def test_the_handler_publishes_and_fails_when_an_output_cannot_be_read(aws):
    s3, glue, cloudwatch = aws
    write(s3, "features/part-0.parquet", NOW - timedelta(hours=2))
    event = {
        "pipelines": [
            {"pipeline": "nightly", "location": "s3://out/features/", "intervalMinutes": 1440},
            {"pipeline": "orders", "location": "glue://sales/missing", "intervalMinutes": 60},
        ]
    }
    with time_machine.travel(NOW, tick=False), pytest.raises(job.FreshnessError) as caught:
        job.handler(event)
    assert str(caught.value) == "orders: cannot read glue://sales/missing: EntityNotFoundException"

    def latest(name, pipeline):
        stats = cloudwatch.get_metric_statistics(
            Namespace="Obsgov/Pipelines",
            MetricName=name,
            Dimensions=[{"Name": "Pipeline", "Value": pipeline}],
            StartTime=NOW - timedelta(minutes=5),
            EndTime=NOW + timedelta(minutes=5),
            Period=60,
            Statistics=["Maximum"],
        )
        return [p["Maximum"] for p in stats["Datapoints"]]

    assert latest("DataAge", "nightly") == [7200.0]
    assert latest("DataStale", "nightly") == [0.0]
    # the unreadable pipeline is reported stale before the run fails
    assert latest("DataStale", "orders") == [1.0]
    assert latest("DataAge", "orders") == []


def test_every_problem_in_the_schedule_input_is_named_at_once():
    with pytest.raises(FreshnessConfigError) as caught:
        parse_outputs(
            {
                "pipelines": [
                    {"pipeline": "a", "location": "s3://out/a/", "intervalMinutes": 0},
                    {"pipeline": "b", "location": "glue://only-db", "intervalMinutes": 60},
                    {"location": "s3://out/c/", "intervalMinutes": 60},
                    {
                        "pipeline": "d",
                        "location": "s3://out/d/",
                        "intervalMinutes": 60,
                        "layout": "%Y/%j/",
                    },
                ]
            }
        )
    assert str(caught.value).split("; ") == [
        "pipelines[0] (a): intervalMinutes must be a whole number of minutes >= 1, not 0",
        "pipelines[1] (b): location 'glue://only-db' is not s3://bucket/prefix/ or "
        "glue://database/table",
        "pipelines[2] (unnamed): pipeline must name the pipeline",
        "pipelines[3] (d): key layout '%Y/%j/': only %Y %m %d %H may be used, not %j",
    ]
    with pytest.raises(FreshnessConfigError, match="needs a non-empty pipelines list"):
        parse_outputs({"pipelines": []})


def test_the_archive_holds_only_stdlib_and_boto3_code(tmp_path):
    """The function ships the modules its handler imports (platform_function.package_files):
    it must import with no site-packages at all, boto3 being the runtime's."""
    import subprocess
    import sys
    import zipfile

    from components.shared.platform_function import package_files

    files = package_files("freshness")
    assert set(files) == {
        "obsgov/__init__.py",
        "obsgov/clock.py",
        "obsgov/freshness/__init__.py",
        "obsgov/freshness/job.py",
        "obsgov/metric_contract.py",
        "obsgov/s3_window.py",
    }
    archive = tmp_path / "freshness.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, source in files.items():
            zf.write(source, name)
    check = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import obsgov.freshness.job as j; "
            "assert j.__file__.startswith(sys.argv[1]); print('ok')",
            str(archive),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == "ok", check.stderr


# --------------------------------------------------------------------------- hung executions
# Step Functions publishes ExecutionTime when an execution closes
# (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html), so a hung
# execution is seen only by listing RUNNING ones: ListExecutions with statusFilter RUNNING
# returns each execution's startDate
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).

DEFINITION = '{"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": true}}}'


@pytest.fixture
def states(aws):
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="feature-refresh",
        definition=DEFINITION,
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    return client, arn


def start(client, arn, name, when):
    with time_machine.travel(when, tick=False):
        return client.start_execution(stateMachineArn=arn, name=name)["executionArn"]


def watched(arn, location="s3://out/features/"):
    return daily(location, state_machine_arn=arn, max_duration=timedelta(minutes=45))


def test_running_executions_past_the_maximum_duration_are_counted(aws, states):
    s3, _, cloudwatch = aws
    client, arn = states
    write(s3, "features/part-0.parquet", NOW - timedelta(hours=1))
    start(client, arn, "hung", NOW - timedelta(hours=3))
    start(client, arn, "also-hung", NOW - timedelta(minutes=46))
    start(client, arn, "on-time", NOW - timedelta(minutes=10))
    ended = start(client, arn, "ended", NOW - timedelta(hours=5))
    client.stop_execution(executionArn=ended)
    (result,) = job.run([watched(arn)], NOW, s3=s3, cloudwatch=cloudwatch, states=client)
    assert result.overdue == 2
    assert not result.stale
    assert result.reason.endswith("2 execution(s) running longer than 0.75 h (oldest: hung)")
    data = {d["MetricName"]: d for d in job.metric_data([result], NOW)}
    assert data["OverdueExecutions"]["Value"] == 2
    assert data["OverdueExecutions"]["Dimensions"] == [{"Name": "Pipeline", "Value": "nightly"}]
    published = cloudwatch.list_metrics(
        Namespace="Obsgov/Pipelines", MetricName="OverdueExecutions"
    )
    assert [m["Dimensions"] for m in published["Metrics"]] == [
        [{"Name": "Pipeline", "Value": "nightly"}]
    ]


def test_no_overdue_execution_publishes_zero_and_unwatched_pipelines_publish_none(aws, states):
    s3, _, _ = aws
    client, arn = states
    write(s3, "features/part-0.parquet", NOW - timedelta(hours=1))
    start(client, arn, "on-time", NOW - timedelta(minutes=10))
    on_time, unwatched = job.run(
        [watched(arn), daily("s3://out/features/")], NOW, s3=s3, states=client
    )
    assert on_time.overdue == 0
    assert unwatched.overdue is None
    names = [d["MetricName"] for d in job.metric_data([on_time, unwatched], NOW)]
    assert names.count("OverdueExecutions") == 1


def test_a_state_machine_that_cannot_be_listed_fails_the_run(aws, states):
    s3, _, _ = aws
    client, arn = states
    write(s3, "features/part-0.parquet", NOW - timedelta(hours=1))
    missing = arn.replace("feature-refresh", "gone")
    (result,) = job.run([watched(missing)], NOW, s3=s3, states=client)
    assert result.failed
    assert result.overdue is None
    assert result.reason.endswith(f"cannot list executions of {missing}: StateMachineDoesNotExist")


def test_the_schedule_input_names_the_state_machine_and_its_limit():
    (output,) = parse_outputs(
        {
            "pipelines": [
                {
                    "pipeline": "feature-refresh",
                    "location": "s3://out/features/",
                    "intervalMinutes": 60,
                    "stateMachineArn": "arn:aws:states:eu-west-1:111111111111:stateMachine:fr",
                    "maxDurationMinutes": 45,
                }
            ]
        }
    )
    assert output.max_duration == timedelta(minutes=45)
    with pytest.raises(FreshnessConfigError) as caught:
        parse_outputs(
            {
                "pipelines": [
                    {
                        "pipeline": "fr",
                        "location": "s3://out/features/",
                        "intervalMinutes": 60,
                        "stateMachineArn": "arn:aws:states:eu-west-1:111111111111:stateMachine:fr",
                    },
                    {
                        "pipeline": "other",
                        "location": "s3://out/other/",
                        "intervalMinutes": 60,
                        "maxDurationMinutes": 45,
                    },
                ]
            }
        )
    assert str(caught.value) == (
        "pipelines[0] (fr): maxDurationMinutes must be a whole number of minutes >= 1, not "
        "None; pipelines[1] (other): maxDurationMinutes needs the stateMachineArn whose runs "
        "it limits"
    )
