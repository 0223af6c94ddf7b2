"""The drift job of one pipeline as an AWS Glue 5.0 Spark job (``driftJob.engine: spark``).

The same profile-and-compare logic as the Lambda job (:mod:`.drift_monitor`), run by
``obsgov/drift/spark_job.py`` in Spark tasks, for windows past what one function should read.
Glue 5.0 runs Spark 3.5 on Python 3.11 (AWS Glue Developer Guide, "AWS Glue versions":
https://docs.aws.amazon.com/glue/latest/dg/release-notes.html); the job reads the pipeline's
output prefix in place, judges it against the baseline, writes the JSON report and publishes the
``Obsgov/DataQuality`` metrics the drift alarms watch, so those alarms' producer is this job.

What it is made of:

* the script (``spark_job.py``) and the ``obsgov`` modules it imports, zipped, uploaded by
  :class:`.monitoring_store.MonitoringStore` under ``layers/`` of the monitoring bucket; the
  zip goes to ``--extra-py-files`` and the third-party libraries Glue's image lacks or holds
  too old to ``--additional-python-modules`` (pip at job start; "Using Python libraries with
  AWS Glue": https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html);
* DefaultArguments in the job's own form (``--command run --data ... --baseline ...``): Glue
  passes a job's arguments to the script as ``--key value`` pairs, its own included ("Using job
  parameters in AWS Glue jobs":
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html);
  the script ignores the ones it does not define;
* a role trusted by ``glue.amazonaws.com`` in this account only, allowed to list and read the
  data prefix, read the baseline and its code, write reports, publish metrics in the one
  namespace, use the monitoring key and write its two log groups;
* a scheduled Glue trigger (Glue takes ``cron()``: :func:`glue_cron`), one run at a time;
* log groups ``<prefix>/error`` and ``<prefix>/output`` (Glue 5.0's ``--custom-logGroup-prefix``,
  "Logging for AWS Glue jobs": https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html),
  with retention and a key of their own;
* two rules on Glue's ``Glue Job State Change`` events (runs that failed, and runs that ended:
  https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html),
  whose ``AWS/Events`` ``MatchedEvents`` the run alarms (``signal_alarms.glue_run_signal_specs``)
  read: a failed run pages at once, no ended run within two schedule periods pages as a job
  that did not run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from obsgov import metric_contract as mc
from obsgov.config.models.settings import glue_cron

from ..member.glue_runs import ENDED_STATES, FAILED_STATES, run_pattern, run_rule_name
from ..shared.iam_documents import account_administers, document, log_group_arn, logs_encrypt
from ..shared.keys import rotated_key
from ..shared.service_roles import service_role
from .drift_monitor import function_name

GLUE_VERSION = "5.0"
GLUE_COMMAND = "glueetl"
# What the job imports beyond the standard library and obsgov, as pip requirements: each
# requirement whole (one specifier: Glue splits the list at commas), lower bounds as in
# pyproject.toml. pip leaves a module of Glue's image that already satisfies its bound alone.
PYTHON_MODULES = (
    "datasketches>=5.2",
    "pydantic>=2.7",
    "PyYAML>=6.0",
    "numpy>=1.26",
    "scipy>=1.11",
    "pyarrow>=15",
)
# Arguments Glue reads for itself (the job-parameters page above); the script ignores them.
GLUE_ARGUMENTS = frozenset(
    {
        "--job-language",
        "--extra-py-files",
        "--additional-python-modules",
        "--custom-logGroup-prefix",
        "--enable-metrics",
        "--enable-observability-metrics",
    }
)


@dataclass
class DriftGlueJobArgs:
    environment: str
    account_id: str
    region: str
    workload_kind: str  # "Pipeline": the metric dimension (endpoints run on Lambda)
    workload_name: str
    code_bucket: str  # the monitoring bucket, holding the script and the modules' zip
    script_key: str
    modules_key: str
    code_objects: list[pulumi.Resource]  # their uploads: the job runs what they put there
    data_bucket: str
    data_prefix: str  # the pipeline's output, ending in "/"
    data_format: str  # parquet, csv or jsonl
    baseline_bucket: str
    baseline_key: str
    report_bucket: str
    report_prefix: str  # ending in "/"
    key_statement: Mapping[str, Any]  # use of the key the buckets are encrypted with
    # use of the monitoring bucket's key, which encrypts the code; None: key_statement covers it
    code_key_statement: Mapping[str, Any] | None = None
    schedule_expression: str = "rate(1 hour)"  # rate() or cron(); the trigger takes cron()
    worker_type: str = "G.1X"
    number_of_workers: int = 2
    timeout_minutes: int = 120
    log_retention_days: int = 365


def job_name(kind: str, name: str) -> str:
    """The Lambda job's name: a workload has one drift job, whichever engine runs it."""
    return function_name(kind, name)


def log_group_prefix(name: str) -> str:
    return f"/aws-glue/jobs/{name}"


def log_groups(name: str) -> list[str]:
    """The groups Glue 5.0 writes under a custom prefix: system and Spark logs to ``error``,
    the script's stdout and stderr to ``output``."""
    return [f"{log_group_prefix(name)}/error", f"{log_group_prefix(name)}/output"]


def data_uri(args: DriftGlueJobArgs) -> str:
    return f"s3://{args.data_bucket}/{args.data_prefix}"


def pipeline_tags(args: DriftGlueJobArgs) -> dict[str, str]:
    """The tagging pack holds Glue jobs and triggers to the organization's pipeline tags
    (tagSchema.pipelines): the drift job of a pipeline carries the pipeline's name."""
    return {"pipeline": args.workload_name}


def default_arguments(args: DriftGlueJobArgs) -> dict[str, str]:
    """The job's DefaultArguments: the script's own (``spark_job.parse_arguments``) and
    Glue's (:data:`GLUE_ARGUMENTS`)."""
    name = job_name(args.workload_kind, args.workload_name)
    return {
        # the script's
        "--command": "run",
        "--data": data_uri(args),
        "--format": args.data_format,
        "--baseline": f"s3://{args.baseline_bucket}/{args.baseline_key}",
        "--report": f"s3://{args.report_bucket}/{args.report_prefix}",
        "--workload-kind": args.workload_kind,
        "--workload-name": args.workload_name,
        "--publish": "true",
        # Glue's
        "--job-language": "python",
        "--extra-py-files": f"s3://{args.code_bucket}/{args.modules_key}",
        "--additional-python-modules": ",".join(PYTHON_MODULES),
        "--custom-logGroup-prefix": log_group_prefix(name),
        # Glue's job metrics (Glue namespace), which the duration and task-failure alarms read
        "--enable-metrics": "true",
    }


def job_statements(args: DriftGlueJobArgs) -> list[dict[str, Any]]:
    """The job role's permissions, each for something the job does."""
    s3 = "arn:aws:s3:::"
    name = job_name(args.workload_kind, args.workload_name)
    folder = args.data_prefix.rstrip("/")
    return [
        {
            # Spark lists the window's prefix; its S3 connector also asks for the prefix
            # itself as a key (is it a file?) before listing it as a folder
            "Sid": "ListWindow",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"{s3}{args.data_bucket}",
            "Condition": {"StringLike": {"s3:prefix": [folder, f"{folder}/*"]}},
        },
        {
            "Sid": "ReadWindowAndBaseline",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": sorted(
                {
                    f"{s3}{args.data_bucket}/{folder}",
                    f"{s3}{args.data_bucket}/{folder}/*",
                    f"{s3}{args.baseline_bucket}/{args.baseline_key}",
                }
            ),
        },
        {
            # the script and the zip of obsgov's modules (--extra-py-files)
            "Sid": "ReadJobCode",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": sorted(
                {
                    f"{s3}{args.code_bucket}/{args.script_key}",
                    f"{s3}{args.code_bucket}/{args.modules_key}",
                }
            ),
        },
        {
            "Sid": "WriteReports",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{s3}{args.report_bucket}/{args.report_prefix}*",
        },
        # PutMetricData has no resource-level permissions; the namespace condition is the
        # only way to narrow it.
        {
            "Sid": "PublishDataQualityMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": mc.DATA_QUALITY_NAMESPACE}},
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                f"{log_group_arn(args.region, args.account_id, group)}:log-stream:*"
                for group in log_groups(name)
            ],
        },
        dict(args.key_statement),
        *([dict(args.code_key_statement)] if args.code_key_statement else []),
    ]


class DriftGlueJob(pulumi.ComponentResource):
    job: aws.glue.Job
    failed_rule: aws.cloudwatch.EventRule
    ended_rule: aws.cloudwatch.EventRule

    def __init__(
        self, name: str, args: DriftGlueJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:drift_glue_job:DriftGlueJob", name, None, opts)
        if args.workload_kind not in mc.WORKLOAD_DIMENSIONS:
            raise ValueError(f"workload_kind must be one of {', '.join(mc.WORKLOAD_DIMENSIONS)}")
        self.job_name = job_name(args.workload_kind, args.workload_name)
        # fail at preview, naming the setting, rather than at the first trigger
        self.schedule = glue_cron(args.schedule_expression)
        logs = self._create_logs(name, args)
        role, policy = self._create_role(name, args)
        self._create_job(name, args, role, [policy, *logs, *args.code_objects])
        self._create_trigger(name, args)
        self._create_run_rules(name, args)
        self.register_outputs({"jobName": self.job.name})

    def _create_logs(self, name: str, args: DriftGlueJobArgs) -> list[aws.cloudwatch.LogGroup]:
        """The job's two log groups and the key they are encrypted with."""
        child = pulumi.ResourceOptions(parent=self)
        groups = log_groups(self.job_name)
        key = rotated_key(
            f"{name}-logs-key",
            description=f"{self.job_name}: logs",
            policy=document(
                account_administers(args.account_id),
                logs_encrypt(
                    args.region, [log_group_arn(args.region, args.account_id, g) for g in groups]
                ),
            ),
            opts=child,
        )
        return [
            aws.cloudwatch.LogGroup(
                f"{name}-logs-{group.rsplit('/', 1)[1]}",
                name=group,
                retention_in_days=args.log_retention_days,
                kms_key_id=key.arn,
                opts=child,
            )
            for group in groups
        ]

    def _create_role(
        self, name: str, args: DriftGlueJobArgs
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        return service_role(
            f"{name}-role",
            f"{name}-role-policy",
            role_name=self.job_name,
            service="glue.amazonaws.com",
            condition={"StringEquals": {"aws:SourceAccount": args.account_id}},
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": job_statements(args)}, sort_keys=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_job(
        self,
        name: str,
        args: DriftGlueJobArgs,
        role: aws.iam.Role,
        after: list[pulumi.Resource],
    ) -> None:
        """The job: Glue 5.0, Spark ETL, one run at a time (overlapping runs would judge the
        same prefix twice and publish twice)."""
        self.job = aws.glue.Job(
            f"{name}-job",
            name=self.job_name,
            description=f"Drift check of {args.workload_kind.lower()} {args.workload_name}",
            role_arn=role.arn,
            glue_version=GLUE_VERSION,
            command=aws.glue.JobCommandArgs(
                name=GLUE_COMMAND,
                python_version="3",
                script_location=f"s3://{args.code_bucket}/{args.script_key}",
            ),
            default_arguments=default_arguments(args),
            worker_type=args.worker_type,
            number_of_workers=args.number_of_workers,
            timeout=args.timeout_minutes,
            max_retries=0,
            execution_property=aws.glue.JobExecutionPropertyArgs(max_concurrent_runs=1),
            tags=pipeline_tags(args),
            # the role's permissions and the code must exist before the first run can
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _create_trigger(self, name: str, args: DriftGlueJobArgs) -> None:
        aws.glue.Trigger(
            f"{name}-schedule",
            name=self.job_name,
            type="SCHEDULED",
            schedule=self.schedule,
            start_on_creation=True,
            actions=[aws.glue.TriggerActionArgs(job_name=self.job.name)],
            description=f"Runs {self.job_name} on its schedule",
            tags=pipeline_tags(args),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_run_rules(self, name: str, args: DriftGlueJobArgs) -> None:
        """Rules matching the job's failed and ended runs (no target: their MatchedEvents
        metric is what the run alarms read)."""
        child = pulumi.ResourceOptions(parent=self)
        self.failed_rule, self.ended_rule = (
            aws.cloudwatch.EventRule(
                f"{name}-runs-{which}",
                name=run_rule_name(args.environment, self.job_name, which),
                description=f"Glue job {self.job_name}: runs that ended "
                + ("in failure" if which == "failed" else "in any state")
                + " (counted by AWS/Events MatchedEvents)",
                event_pattern=run_pattern(self.job_name, states),
                opts=child,
            )
            for which, states in (("failed", FAILED_STATES), ("ended", ENDED_STATES))
        )
