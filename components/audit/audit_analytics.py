"""Athena over the organization trail, in the log-archive account (next to the data).

A Glue table reads ``s3://<archive>/AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD``
with partition projection on account, region and day, so no crawler or ``MSCK REPAIR`` is ever
needed. Queries run in a workgroup that enforces its own settings (results encrypted with KMS
in a hardened bucket, a per-query scan limit); three named queries answer recurring audit
questions.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from obsgov.config.models.central import AnalyticsSettings

from ..shared.buckets import hardened_bucket
from ..shared.iam_documents import (
    account_administers,
    deny_insecure_transport,
    document,
    statement,
)
from ..shared.keys import rotated_key
from ..shared.type_tokens import formerly

TABLE_NAME = "organization_trail"

# The CloudTrail record as Athena's CloudTrail table documents it
# (create-cloudtrail-table-partition-projection), lower-cased as Glue stores column names.
CLOUDTRAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", "string"),
    (
        "useridentity",
        "struct<type:string,principalid:string,arn:string,accountid:string,"
        "invokedby:string,accesskeyid:string,username:string,"
        "onbehalfof:struct<userid:string,identitystorearn:string>,"
        "sessioncontext:struct<attributes:struct<mfaauthenticated:string,"
        "creationdate:string>,sessionissuer:struct<type:string,principalid:string,"
        "arn:string,accountid:string,username:string>,ec2roledelivery:string,"
        "webidfederationdata:struct<federatedprovider:string,"
        "attributes:map<string,string>>>>",
    ),
    ("eventtime", "string"),
    ("eventsource", "string"),
    ("eventname", "string"),
    ("awsregion", "string"),
    ("sourceipaddress", "string"),
    ("useragent", "string"),
    ("errorcode", "string"),
    ("errormessage", "string"),
    ("requestparameters", "string"),
    ("responseelements", "string"),
    ("additionaleventdata", "string"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "string"),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("recipientaccountid", "string"),
    ("serviceeventdetails", "string"),
    ("sharedeventid", "string"),
    ("vpcendpointid", "string"),
    ("vpcendpointaccountid", "string"),
    ("eventcategory", "string"),
    (
        "addendum",
        "struct<reason:string,updatedfields:string,originalrequestid:string,"
        "originaleventid:string>",
    ),
    ("sessioncredentialfromconsole", "string"),
    ("edgedevicedetails", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
)
# `date` is reserved in Athena DDL; `logdate` needs no quoting.
PARTITION_KEYS: tuple[tuple[str, str], ...] = (
    ("account", "string"),
    ("region", "string"),
    ("logdate", "string"),
)

_RECENT = "logdate >= date_format(current_date - interval '30' day, '%Y/%m/%d')"

# name -> (description, SQL with {table} for the qualified table name)
NAMED_QUERIES: dict[str, tuple[str, str]] = {
    "model-approval-changes": (
        "Who changed a SageMaker model package's approval status, and to what (30 days).",
        f"""
        SELECT eventtime,
               account,
               useridentity.arn AS principal,
               eventname,
               json_extract_scalar(requestparameters, '$.modelPackageArn') AS model_package,
               json_extract_scalar(requestparameters, '$.modelApprovalStatus') AS new_status,
               sourceipaddress
        FROM {{table}}
        WHERE eventsource = 'sagemaker.amazonaws.com'
          AND eventname IN ('UpdateModelPackage', 'CreateModelPackage')
          AND json_extract_scalar(requestparameters, '$.modelApprovalStatus') IS NOT NULL
          AND errorcode IS NULL
          AND {_RECENT}
        ORDER BY eventtime DESC
        """,
    ),
    "console-logins-without-mfa": (
        "Successful console sign-ins without MFA, by account and principal (30 days).",
        f"""
        SELECT account,
               useridentity.type AS identity_type,
               useridentity.arn AS principal,
               count(*) AS logins,
               max(eventtime) AS last_login
        FROM {{table}}
        WHERE eventname = 'ConsoleLogin'
          AND json_extract_scalar(additionaleventdata, '$.MFAUsed') <> 'Yes'
          AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
          AND {_RECENT}
        GROUP BY account, useridentity.type, useridentity.arn
        ORDER BY logins DESC
        """,
    ),
    "api-errors-by-principal": (
        "API calls that failed, by principal and error code (30 days).",
        f"""
        SELECT useridentity.arn AS principal,
               errorcode,
               count(*) AS errors,
               count(DISTINCT eventname) AS distinct_calls,
               max(eventtime) AS last_error
        FROM {{table}}
        WHERE errorcode IS NOT NULL
          AND {_RECENT}
        GROUP BY useridentity.arn, errorcode
        ORDER BY errors DESC
        LIMIT 100
        """,
    ),
}


def default_database_name(environment: str) -> str:
    return f"obsgov_{environment}_audit"


def default_workgroup_name(environment: str) -> str:
    return f"obsgov-{environment}-audit"


def results_bucket_name(environment: str, account_id: str) -> str:
    return f"obsgov-{environment}-athena-results-{account_id}"


def trail_location(bucket: str, organization_id: str) -> str:
    return f"s3://{bucket}/AWSLogs/{organization_id}/"


# Global services (IAM, STS, CloudFront, the console sign-in) log to us-east-1 in a multi-region
# trail that includes global service events (CloudTrail user guide, "Global service events").
GLOBAL_EVENTS_REGION = "us-east-1"


def projected_regions(
    configured: Sequence[str], allowed: Sequence[str], stack_region: str
) -> list[str]:
    """The Regions the table projects: ``analytics.regions`` when set, else the organization's
    allowed Regions (the region-deny SCP keeps everything else empty), else the stack's
    Region; always with us-east-1, where global service events land."""
    chosen = list(configured) or list(allowed) or [stack_region]
    return sorted({*chosen, GLOBAL_EVENTS_REGION})


def projection_range(start: str, unqueryable_after_days: int | None) -> str:
    """The days the table projects. Athena skips objects in GLACIER and DEEP_ARCHIVE (they
    must be restored first), so when the archive moves logs there after N days the table stops
    at the last day still readable: a query then sees a shorter history, not a silently partial
    one. Relative ranges are documented for date projection (``NOW-3YEARS,NOW``)."""
    if unqueryable_after_days is None:
        return f"{start},NOW"
    # an object transitions at midnight UTC after N days: the day N-1 back is whole
    return f"NOW-{max(unqueryable_after_days - 1, 0)}DAYS,NOW"


def projection_parameters(
    bucket: str,
    organization_id: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    start: str,
    unqueryable_after_days: int | None = None,
) -> dict[str, str]:
    return {
        "EXTERNAL": "TRUE",
        "classification": "cloudtrail",
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(sorted(set(accounts))),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(sorted(set(regions))),
        "projection.logdate.type": "date",
        "projection.logdate.format": "yyyy/MM/dd",
        "projection.logdate.range": projection_range(start, unqueryable_after_days),
        "projection.logdate.interval": "1",
        "projection.logdate.interval.unit": "DAYS",
        "storage.location.template": f"{trail_location(bucket, organization_id)}${{account}}/CloudTrail/${{region}}/"
        "${logdate}",
    }


def results_key_policy(account_id: str, reader_arns: Sequence[str]) -> str:
    """Athena writes and reads results with the caller's credentials, so the readers need to
    generate data keys and decrypt, and no one else does."""
    statements = [account_administers(account_id)]
    if reader_arns:
        statements.append(
            statement(
                "ReadersUseKey",
                ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "*",
                principal={"AWS": sorted(reader_arns)},
            )
        )
    return document(*statements)


def results_bucket_policy(bucket: str) -> str:
    return document(deny_insecure_transport(bucket))


def query_sql(name: str, database: str) -> str:
    return (
        textwrap.dedent(NAMED_QUERIES[name][1]).strip().format(table=f'"{database}"."{TABLE_NAME}"')
    )


@dataclass
class AuditAnalyticsArgs:
    environment: str
    region: str
    account_id: str
    organization_id: str
    archive_bucket_name: str
    # The log archive's access-log bucket (its id, so that logging waits for the bucket).
    access_log_bucket: pulumi.Input[str]
    # Every account whose logs the organization trail writes (the projection's enum).
    account_ids: Sequence[str]
    regions: Sequence[str]
    reader_arns: Sequence[str] = ()
    settings: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    # The age at which the archive moves logs where Athena cannot read them (None: never).
    unqueryable_after_days: int | None = None
    # The access-log bucket's policy: the results bucket's logging waits for it.
    access_log_ready: Sequence[pulumi.Resource] = ()

    @property
    def database_name(self) -> str:
        return self.settings.database_name or default_database_name(self.environment)

    @property
    def workgroup_name(self) -> str:
        return self.settings.workgroup_name or default_workgroup_name(self.environment)

    @property
    def results_bucket_name(self) -> str:
        return results_bucket_name(self.environment, self.account_id)


class AuditAnalytics(pulumi.ComponentResource):
    """Glue catalog, Athena workgroup, results bucket and named queries over the trail."""

    key: aws.kms.Key
    results_bucket: aws.s3.Bucket
    database: aws.glue.CatalogDatabase
    table: aws.glue.CatalogTable
    workgroup: aws.athena.Workgroup

    def __init__(
        self,
        name: str,
        args: AuditAnalyticsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "obsgov:audit_analytics:AuditAnalytics",
            name,
            None,
            formerly(opts, "obsgov:auditanalytics:AuditAnalytics"),
        )
        self._create_results_bucket(name, args)
        self._create_catalog(name, args)
        self._create_named_queries(name, args)
        self.register_outputs(
            {
                "databaseName": args.database_name,
                "tableName": TABLE_NAME,
                "workgroupName": args.workgroup_name,
                "resultsBucketName": args.results_bucket_name,
            }
        )

    def _create_results_bucket(self, name: str, args: AuditAnalyticsArgs) -> None:
        """The key and the bucket of the query results."""
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} Athena audit query results",
            policy=results_key_policy(args.account_id, args.reader_arns),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/obsgov-{args.environment}-athena-results",
            target_key_id=self.key.key_id,
            opts=child,
        )
        bucket = args.results_bucket_name
        self.results_bucket = hardened_bucket(
            self,
            f"{name}-results",
            bucket,
            kms_key_arn=self.key.arn,
            policy=results_bucket_policy(bucket),
            lifecycle_rules=[
                {
                    "id": "query-results",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": settings.results_expiration_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            access_log_bucket=args.access_log_bucket,
            access_log_ready=args.access_log_ready,
            purpose="query-results",
        )

    def _create_catalog(self, name: str, args: AuditAnalyticsArgs) -> None:
        """The Glue table over the archived trail and the workgroup that queries it."""
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.database_name,
            description="obsgov audit: the organization trail",
            opts=child,
        )
        self.table = aws.glue.CatalogTable(
            f"{name}-table",
            name=TABLE_NAME,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters=projection_parameters(
                args.archive_bucket_name,
                args.organization_id,
                args.account_ids,
                args.regions,
                settings.projection_start,
                args.unqueryable_after_days,
            ),
            partition_keys=[{"name": n, "type": t} for n, t in PARTITION_KEYS],
            storage_descriptor={
                "location": trail_location(args.archive_bucket_name, args.organization_id),
                "input_format": "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "ser_de_info": {"serialization_library": "org.apache.hive.hcatalog.data.JsonSerDe"},
                "columns": [{"name": n, "type": t} for n, t in CLOUDTRAIL_COLUMNS],
            },
            opts=child,
        )
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.workgroup_name,
            description="obsgov audit queries over the organization trail",
            state="ENABLED",
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": settings.bytes_scanned_cutoff_per_query,
                "result_configuration": {
                    "output_location": f"s3://{args.results_bucket_name}/",
                    "expected_bucket_owner": args.account_id,
                    "encryption_configuration": {
                        "encryption_option": "SSE_KMS",
                        "kms_key_arn": self.key.arn,
                    },
                },
            },
            opts=child,
        )

    def _create_named_queries(self, name: str, args: AuditAnalyticsArgs) -> None:
        """The audit queries, saved in the workgroup."""
        for query in NAMED_QUERIES:
            aws.athena.NamedQuery(
                f"{name}-{query}",
                name=query,
                description=NAMED_QUERIES[query][0],
                database=self.database.name,
                workgroup=self.workgroup.id,
                query=query_sql(query, args.database_name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.table]),
            )
