"""The corpus of known-bad stacks: one per defect class the deploy-readiness pack exists for,
including every example of issue 27, each with the policy that must flag it and the two
resources its message must name. Each case also has its fixed form, which the pack passes
(for that policy), so a finding is proved to come from the defect and not from the scaffold.

Resources are placed in the example organisation's accounts: management 100000000001,
observability 100000000002, log archive 100000000003, a member 400000000001 (eu-west-1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.deploy_graphs import ARCHIVE, MEMBER, MGMT, OBS, ORG, ORG_CONFIG, REGION, at, doc
from tests.support.policies import UNKNOWN, R

SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
DESTINATION = "aws:cloudwatch/logDestination:LogDestination"
DESTINATION_POLICY = "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SINK = "aws:oam/sink:Sink"
SINK_POLICY = "aws:oam/sinkPolicy:SinkPolicy"
LINK = "aws:oam/link:Link"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUS = "aws:cloudwatch/eventBus:EventBus"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
DOMAIN = "aws:opensearch/domain:Domain"
TRAIL = "aws:cloudtrail/trail:Trail"
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
DATA_SOURCE = "aws:quicksight/dataSource:DataSource"
DATA_SET = "aws:quicksight/dataSet:DataSet"
WORKGROUP = "aws:athena/workgroup:Workgroup"
TABLE = "aws:glue/catalogTable:CatalogTable"

ROOT = f"arn:aws:iam::{OBS}:root"
ADMINISTERS = {
    "Sid": "AccountAdministers",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": "kms:*",
    "Resource": "*",
}


@dataclass(frozen=True)
class Case:
    policy: str
    resource: str  # the resource the finding is reported on
    other: str  # the other resource the message must name
    build: Callable[[bool], list[R]]  # build(fixed)
    config: dict = field(default_factory=dict)
    issue_example: bool = False


# --------------------------------------------------------------------------- creation order


def subscription_before_destination(fixed: bool) -> list[R]:
    """Member log subscription filters do not wait for the central destination and its
    policy (issue 27)."""
    return [
        at(
            OBS,
            DESTINATION,
            "destination",
            {"name": "obsgov-prod-logs", "roleArn": UNKNOWN, "targetArn": UNKNOWN},
        ),
        at(
            OBS,
            DESTINATION_POLICY,
            "destination-policy",
            {
                "destinationName": "obsgov-prod-logs",
                "accessPolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "logs:PutSubscriptionFilter",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                    }
                ),
            },
            depends_on=["destination"],
        ),
        at(MEMBER, LOG_GROUP, "app-logs", {"name": "/obsgov/app"}),
        at(
            MEMBER,
            SUBSCRIPTION,
            "forward",
            {
                "name": "obsgov-central-forward",
                "logGroup": "/obsgov/app",
                "filterPattern": "",
                "destinationArn": f"arn:aws:logs:{REGION}:{OBS}:destination:obsgov-prod-logs",
            },
            depends_on=["app-logs", *(["destination-policy"] if fixed else [])],
        ),
    ]


def link_before_sink_policy(fixed: bool) -> list[R]:
    """OAM links wait for the sink but not for the sink policy (issue 27)."""
    return [
        at(OBS, SINK, "sink", {"name": "obsgov-prod"}),
        at(
            OBS,
            SINK_POLICY,
            "sink-policy",
            {
                "sinkIdentifier": UNKNOWN,
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Resource": "*",
                        "Action": ["oam:CreateLink", "oam:UpdateLink"],
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                    }
                ),
            },
            depends_on=["sink"],
            prop_deps={"sinkIdentifier": ["sink"]},
        ),
        at(
            MEMBER,
            LINK,
            "link",
            {
                "labelTemplate": "$AccountName",
                "sinkIdentifier": UNKNOWN,
                "resourceTypes": ["AWS::CloudWatch::Metric"],
            },
            depends_on=["sink", *(["sink-policy"] if fixed else [])],
            prop_deps={"sinkIdentifier": ["sink"]},
        ),
    ]


def firehose_before_role_policy(fixed: bool) -> list[R]:
    return [
        at(OBS, ROLE, "firehose-role", {"name": "delivery", "assumeRolePolicy": doc()}),
        at(
            OBS,
            ROLE_POLICY,
            "firehose-policy",
            {
                "role": UNKNOWN,
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::lake-bucket/*",
                    }
                ),
            },
            prop_deps={"role": ["firehose-role"]},
        ),
        at(OBS, BUCKET, "lake", {"bucket": "lake-bucket"}),
        at(
            OBS,
            FIREHOSE,
            "stream",
            {
                "name": "lake-stream",
                "destination": "extended_s3",
                "extendedS3Configuration": {"roleArn": UNKNOWN, "bucketArn": UNKNOWN},
            },
            depends_on=["firehose-policy"] if fixed else [],
            prop_deps={"extendedS3Configuration": ["firehose-role", "lake"]},
        ),
    ]


def target_before_topic_policy(fixed: bool) -> list[R]:
    rule_arn = f"arn:aws:events:{REGION}:{OBS}:rule/route"
    return [
        at(OBS, RULE, "rule", {"name": "route", "eventPattern": "{}"}),
        at(OBS, TOPIC, "topic", {"name": "alerts"}),
        at(
            OBS,
            TOPIC_POLICY,
            "topic-policy",
            {
                "arn": UNKNOWN,
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": "*",
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                    }
                ),
            },
            prop_deps={"arn": ["topic"]},
        ),
        at(
            OBS,
            TARGET,
            "target",
            {"rule": "route", "arn": UNKNOWN},
            depends_on=["rule", *(["topic-policy"] if fixed else [])],
            prop_deps={"arn": ["topic"]},
        ),
    ]


def permission_before_function(fixed: bool) -> list[R]:
    return [
        at(OBS, FUNCTION, "function", {"name": "guard", "role": UNKNOWN}),
        at(
            OBS,
            PERMISSION,
            "permission",
            {
                "function": "guard",
                "action": "lambda:InvokeFunction",
                "principal": "events.amazonaws.com",
            },
            depends_on=["function"] if fixed else [],
        ),
    ]


# --------------------------------------------------------------------------- flows


def lifecycle_rule_to_critical_topic(fixed: bool) -> list[R]:
    """EventBridge targets publish to a topic whose policy only allows another rule
    (model-lifecycle-*-failed-notify -> obsgov-<env>-critical, issue 27)."""
    bus = "obsgov-prod-alerts"
    allowed = [f"arn:aws:events:{REGION}:{OBS}:rule/{bus}/route-critical-alarms"]
    if fixed:
        allowed.append(f"arn:aws:events:{REGION}:{OBS}:rule/{bus}/lifecycle-pipeline-failed")
    return [
        at(OBS, BUS, "bus", {"name": bus}),
        at(
            OBS, RULE, "pipeline-failed", {"name": "lifecycle-pipeline-failed", "eventBusName": bus}
        ),
        at(OBS, TOPIC, "critical", {"name": "obsgov-prod-critical"}),
        at(
            OBS,
            TOPIC_POLICY,
            "critical-policy",
            {
                "arn": UNKNOWN,
                "policy": doc(
                    {
                        "Sid": "RoutingRulesPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": f"arn:aws:sns:{REGION}:{OBS}:obsgov-prod-critical",
                        "Condition": {"ArnEquals": {"aws:SourceArn": allowed}},
                    }
                ),
            },
            prop_deps={"arn": ["critical"]},
        ),
        at(
            OBS,
            TARGET,
            "pipeline-failed-notify",
            {
                "rule": "lifecycle-pipeline-failed",
                "eventBusName": bus,
                "arn": f"arn:aws:sns:{REGION}:{OBS}:obsgov-prod-critical",
            },
            depends_on=["pipeline-failed", "critical-policy"],
        ),
    ]


def _firehose_to_bucket(key_statement: dict | None, bucket_keys: bool) -> list[R]:
    role_statements = [
        {
            "Sid": "BackUp",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetBucketLocation"],
            "Resource": ["arn:aws:s3:::failed-docs", "arn:aws:s3:::failed-docs/*"],
        },
    ]
    if key_statement is not None:
        role_statements.append(key_statement)
    return [
        at(OBS, KEY, "backup-key", {"policy": doc(ADMINISTERS)}),
        at(OBS, BUCKET, "failed-documents", {"bucket": "failed-docs"}),
        at(
            OBS,
            ENCRYPTION,
            "failed-documents-encryption",
            {
                "bucket": UNKNOWN,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": UNKNOWN,
                        },
                        "bucketKeyEnabled": bucket_keys,
                    }
                ],
            },
            prop_deps={"bucket": ["failed-documents"], "rules": ["backup-key"]},
        ),
        at(OBS, ROLE, "ingest-role", {"name": "log-ingest-firehose", "assumeRolePolicy": doc()}),
        at(
            OBS,
            ROLE_POLICY,
            "ingest-policy",
            {"role": UNKNOWN, "policy": doc(*role_statements)},
            prop_deps={"role": ["ingest-role"]},
        ),
        at(
            OBS,
            FIREHOSE,
            "ingest",
            {
                "name": "log-ingest",
                "destination": "extended_s3",
                "extendedS3Configuration": {"roleArn": UNKNOWN, "bucketArn": UNKNOWN},
            },
            depends_on=["ingest-policy"],
            prop_deps={"extendedS3Configuration": ["ingest-role", "failed-documents"]},
        ),
    ]


KMS_VIA_S3 = {
    "Sid": "EncryptBackups",
    "Effect": "Allow",
    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
}


def firehose_without_backup_key_grant(fixed: bool) -> list[R]:
    """A Firehose role without the KMS grant for its backup bucket's key (issue 27)."""
    return _firehose_to_bucket(KMS_VIA_S3 if fixed else None, bucket_keys=True)


def object_arn_condition_with_bucket_keys(fixed: bool) -> list[R]:
    """A KMS condition on aws:s3:arn = bucket/* while the bucket uses Bucket Keys (issue 27)."""
    statement = {
        **KMS_VIA_S3,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::failed-docs"
                + ("" if fixed else "/*")
            },
        },
    }
    return _firehose_to_bucket(statement, bucket_keys=True)


def quicksight_role_without_lake_access(fixed: bool) -> list[R]:
    """QuickSight's service role with no S3/KMS access to the lake (issue 27)."""
    resources = [
        at(OBS, KEY, "lake-key", {"policy": doc(ADMINISTERS)}),
        at(OBS, BUCKET, "lake", {"bucket": "metric-lake"}),
        at(
            OBS,
            ENCRYPTION,
            "lake-encryption",
            {
                "bucket": UNKNOWN,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": UNKNOWN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            prop_deps={"bucket": ["lake"], "rules": ["lake-key"]},
        ),
        at(
            OBS,
            WORKGROUP,
            "workgroup",
            {
                "name": "metrics",
                "configuration": {
                    "resultConfiguration": {"outputLocation": "s3://metric-lake/athena-results/"}
                },
            },
        ),
        at(
            OBS,
            TABLE,
            "table",
            {
                "name": "platform_metrics",
                "databaseName": "metrics_db",
                "storageDescriptor": {"location": "s3://metric-lake/metrics/"},
            },
        ),
        at(
            OBS,
            DATA_SET,
            "data-set",
            {
                "dataSetId": "health",
                "physicalTableMaps": [
                    {
                        "customSql": {
                            "dataSourceArn": UNKNOWN,
                            "sqlQuery": 'SELECT * FROM "metrics_db"."platform_metrics"',
                        }
                    }
                ],
            },
            prop_deps={"physicalTableMaps": ["metric-lake-source"]},
        ),
    ]
    athena: dict = {"workGroup": "metrics"}
    if fixed:
        athena["roleArn"] = UNKNOWN
        resources += [
            at(
                OBS, ROLE, "quicksight-role", {"name": "quicksight-lake", "assumeRolePolicy": doc()}
            ),
            at(
                OBS,
                ROLE_POLICY,
                "quicksight-policy",
                {
                    "role": UNKNOWN,
                    "policy": doc(
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:PutObject"],
                            "Resource": "arn:aws:s3:::metric-lake/*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": "*",
                        },
                    ),
                },
                prop_deps={"role": ["quicksight-role"]},
            ),
        ]
    resources.append(
        at(
            OBS,
            DATA_SOURCE,
            "metric-lake-source",
            {
                "dataSourceId": "metric-lake",
                "type": "ATHENA",
                "awsAccountId": OBS,
                "parameters": {"athena": athena},
            },
            prop_deps={"parameters": ["quicksight-role"]} if fixed else {},
        )
    )
    return resources


def member_target_to_bus_outside_org(fixed: bool) -> list[R]:
    """A member account's alarms forwarded to a central bus whose policy admits another
    organisation."""
    bus_arn = f"arn:aws:events:{REGION}:{OBS}:event-bus/alerts"
    org = ORG if fixed else "o-otherorg1"
    return [
        at(OBS, BUS, "bus", {"name": "alerts"}),
        at(
            OBS,
            BUS_POLICY,
            "bus-policy",
            {
                "eventBusName": "alerts",
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "events:PutEvents",
                        "Resource": bus_arn,
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}},
                    }
                ),
            },
            depends_on=["bus"],
        ),
        at(MEMBER, RULE, "forward-rule", {"name": "forward"}),
        at(
            MEMBER,
            ROLE,
            "forward-role",
            {
                "name": "forward",
                "assumeRolePolicy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ),
            },
        ),
        at(
            MEMBER,
            ROLE_POLICY,
            "forward-role-policy",
            {
                "role": "forward",
                "policy": doc(
                    {"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
                ),
            },
        ),
        at(
            MEMBER,
            TARGET,
            "forward-target",
            {"rule": "forward", "arn": bus_arn, "roleArn": f"arn:aws:iam::{MEMBER}:role/forward"},
            depends_on=["forward-rule", "forward-role", "bus", "bus-policy"],
        ),
    ]


def log_group_key_without_logs(fixed: bool) -> list[R]:
    statements = [ADMINISTERS]
    if fixed:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt*"],
                "Resource": "*",
            }
        )
    return [
        at(OBS, KEY, "logs-key", {"policy": doc(*statements)}),
        at(
            OBS,
            LOG_GROUP,
            "audit-logs",
            {"name": "/obsgov/audit", "kmsKeyId": UNKNOWN},
            prop_deps={"kmsKeyId": ["logs-key"]},
        ),
    ]


# --------------------------------------------------------------------------- prerequisites


def opensearch_without_slr(fixed: bool) -> list[R]:
    """The OpenSearch service-linked role (issue 27)."""
    resources = [
        at(
            OBS,
            DOMAIN,
            "domain",
            {
                "domainName": "logs",
                "vpcOptions": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
            },
        )
    ]
    if fixed:
        resources.append(
            at(
                OBS,
                "aws:iam/serviceLinkedRole:ServiceLinkedRole",
                "slr",
                {"awsServiceName": "opensearchservice.amazonaws.com"},
            )
        )
    return resources


def organization_trail_without_trusted_access(fixed: bool) -> list[R]:
    """CloudTrail trusted access (issue 27)."""
    resources = [
        at(
            MGMT,
            TRAIL,
            "trail",
            {"name": "org-trail", "isOrganizationTrail": True, "s3BucketName": "archive"},
        )
    ]
    if fixed:
        resources.append(
            at(
                MGMT,
                "aws:organizations/organization:Organization",
                "organization",
                {
                    "awsServiceAccessPrincipals": ["cloudtrail.amazonaws.com"],
                    "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY", "TAG_POLICY"],
                },
            )
        )
    return resources


def policy_types_not_enabled(fixed: bool) -> list[R]:
    """SCP and TAG_POLICY types enabled on the root (issue 27)."""
    resources = [
        at(MGMT, ORG_POLICY, "tag-policy", {"name": "tags", "type": "TAG_POLICY", "content": "{}"}),
        at(
            MGMT,
            ORG_ATTACHMENT,
            "tag-policy-ou",
            {"policyId": UNKNOWN, "targetId": "ou-1"},
            prop_deps={"policyId": ["tag-policy"]},
        ),
    ]
    if fixed:
        resources.append(
            at(
                MGMT,
                "aws:organizations/organization:Organization",
                "organization",
                {"enabledPolicyTypes": ["TAG_POLICY"]},
            )
        )
    return resources


def roles_named_in_policies(fixed: bool) -> list[R]:
    """Roles named in key and trust policies (obsgov-auditor, obsgov-platform-admins) that may
    not exist (issue 27)."""
    auditor = f"arn:aws:iam::{ARCHIVE}:role/obsgov-auditor"
    resources = [
        at(
            ARCHIVE,
            KEY,
            "archive-key",
            {
                "policy": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": [auditor]},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                    }
                )
            },
        ),
    ]
    if fixed:
        resources.append(
            at(ARCHIVE, ROLE, "auditor", {"name": "obsgov-auditor", "assumeRolePolicy": doc()})
        )
    return resources


def master_role_trusts_missing_admins(fixed: bool) -> list[R]:
    admins = f"arn:aws:iam::{OBS}:role/obsgov-platform-admins"
    resources = [
        at(
            OBS,
            ROLE,
            "master-role",
            {
                "name": "opensearch-master",
                "assumeRolePolicy": doc(
                    {"Effect": "Allow", "Principal": {"AWS": [admins]}, "Action": "sts:AssumeRole"}
                ),
            },
        ),
    ]
    if fixed:
        resources.append(
            at(
                OBS,
                ROLE,
                "platform-admins",
                {"name": "obsgov-platform-admins", "assumeRolePolicy": doc()},
            )
        )
    return resources


# --------------------------------------------------------------------------- names and singletons


def registry_groups(stack_env: str) -> list[R]:
    return [
        at(
            OBS,
            GROUP,
            f"model-registry-{stack_env}-fraud-scoring",
            {"modelPackageGroupName": "fraud-scoring"},
        )
    ]


def shared_model_package_groups(fixed: bool) -> list[R]:
    """Staging and prod both create fraud-scoring in the registry account (issue 27)."""
    return [
        at(
            OBS,
            GROUP,
            "model-registry-prod-fraud-scoring",
            {"modelPackageGroupName": "prod-fraud-scoring" if fixed else "fraud-scoring"},
        )
    ]


STAGING_CLAIMS = {
    "otherStacks": [
        {
            "stack": "staging",
            "claims": [
                [GROUP, OBS, REGION, "", "fraud-scoring", "model-registry-staging-fraud-scoring"],
                [SINK, OBS, REGION, "", "*", "central-staging-sink"],
                [SINK, OBS, REGION, "", "obsgov-staging", "central-staging-sink"],
            ],
        }
    ]
}


def lambda_log_group_for_running_function(fixed: bool) -> list[R]:
    """/aws/lambda/<fn> for a function AWS already logs (issue 27)."""
    resources = [at(MEMBER, LOG_GROUP, "enricher-logs", {"name": "/aws/lambda/events-enricher"})]
    if fixed:
        resources.append(
            at(
                MEMBER,
                FUNCTION,
                "enricher",
                {"name": "events-enricher"},
                depends_on=["enricher-logs"],
            )
        )
    return resources


def endpoint_log_group_for_running_endpoint(fixed: bool) -> list[R]:
    """/aws/sagemaker/Endpoints/<ep> for an endpoint SageMaker already logs (issue 27)."""
    name = "/aws/sagemaker/Endpoints/" + ("fraud-scoring-prod" if not fixed else "x")
    resources = [at(MEMBER, LOG_GROUP, "endpoint-logs", {"name": name})]
    if fixed:
        resources.append(
            at(
                MEMBER,
                "aws:sagemaker/endpoint:Endpoint",
                "endpoint",
                {"name": "x"},
                depends_on=["endpoint-logs"],
            )
        )
    return resources


def state_machine_log_group_for_running_state_machine(fixed: bool) -> list[R]:
    """/aws/vendedlogs/states/<sm> for a state machine that already logs there: its logging
    configuration named an existing group (issue 29)."""
    name = "/aws/vendedlogs/states/feature-refresh-prod"
    resources = [at(MEMBER, LOG_GROUP, "feature-refresh-logs", {"name": name})]
    if fixed:
        resources.append(
            at(
                MEMBER,
                "aws:sfn/stateMachine:StateMachine",
                "feature-refresh",
                {"name": "feature-refresh-prod"},
                depends_on=["feature-refresh-logs"],
            )
        )
    return resources


def oam_sink_per_environment(fixed: bool) -> list[R]:
    """dev, staging and prod each create an OAM sink in the observability account (issue 27)."""
    return [] if fixed else [at(OBS, SINK, "central-prod-sink", {"name": "obsgov-prod"})]


def catalog_encryption_per_environment(fixed: bool) -> list[R]:
    return [] if fixed else [at(OBS, CATALOG_ENCRYPTION, "data-catalog-prod-settings", {})]


STAGING_CATALOG = {
    "otherStacks": [
        {
            "stack": "staging",
            "claims": [
                [CATALOG_ENCRYPTION, OBS, REGION, "", "*", "data-catalog-staging-settings"],
            ],
        }
    ]
}


# --------------------------------------------------------------------------- alarms


def _alarm(name, namespace, metric, dims, missing, operator="GreaterThanThreshold"):
    return at(
        MEMBER,
        ALARM,
        name,
        {
            "name": name,
            "namespace": namespace,
            "metricName": metric,
            "dimensions": dims,
            "treatMissingData": missing,
            "comparisonOperator": operator,
        },
    )


def quality_alarms_without_producer(fixed: bool) -> list[R]:
    """Alarms on Obsgov/ModelQuality with no deployed producer and missing data ignored
    (issue 27); fixed: the model-quality job's role may publish there."""
    resources = [
        _alarm(
            "fraud-model-quality",
            "Obsgov/ModelQuality",
            "AUC",
            {"Endpoint": "fraud", "ModelVersion": "12"},
            "ignore",
            "LessThanThreshold",
        )
    ]
    if fixed:
        resources += [
            at(MEMBER, ROLE, "quality-role", {"name": "model-quality", "assumeRolePolicy": doc()}),
            at(
                MEMBER,
                ROLE_POLICY,
                "quality-policy",
                {
                    "role": UNKNOWN,
                    "policy": doc(
                        {
                            "Effect": "Allow",
                            "Action": "cloudwatch:PutMetricData",
                            "Resource": "*",
                            "Condition": {
                                "StringEquals": {"cloudwatch:namespace": "Obsgov/ModelQuality"}
                            },
                        }
                    ),
                },
                prop_deps={"role": ["quality-role"]},
            ),
            at(
                MEMBER,
                FUNCTION,
                "quality-job",
                {"name": "model-quality", "role": UNKNOWN},
                prop_deps={"role": ["quality-role"]},
            ),
        ]
    return resources


def drift_alarm_without_producer(fixed: bool) -> list[R]:
    """Obsgov/DataQuality with no producer and missing data ignored (issue 27)."""
    return [
        _alarm(
            "fraud-drift",
            "Obsgov/DataQuality",
            "DriftedFeatureShare",
            {"Endpoint": "fraud"},
            "breaching" if fixed else "ignore",
        )
    ]


DRIFT_CONTRACT_IF_FIXED = {
    "producerContracts": [
        {
            "namespace": "Obsgov/DataQuality",
            "metrics": ["DriftedFeatureShare"],
            "dimensions": {"Endpoint": "fraud"},
            "owner": "ml@example.com",
            "producer": "obsgov drift run --publish in the team's CI",
        }
    ],
}


def contract_metric_hidden_when_silent(fixed: bool) -> list[R]:
    dims = {"Pipeline": "etl"}
    resources = [
        _alarm(
            "etl-records",
            "Obsgov/Pipelines",
            "RecordsProcessed",
            dims,
            "notBreaching",
            "LessThanLowerThreshold",
        )
    ]
    if fixed:
        resources.append(
            _alarm(
                "etl-fresh",
                "Obsgov/Pipelines",
                "RunSucceeded",
                dims,
                "breaching",
                "LessThanThreshold",
            )
        )
    return resources


PIPELINE_CONTRACT = {
    "producerContracts": [
        {
            "namespace": "Obsgov/Pipelines",
            "metrics": [],
            "dimensions": {"Pipeline": "etl"},
            "owner": "data-eng@example.com",
            "producer": "the pipeline itself",
        }
    ],
}


def zero_invocations_hidden(fixed: bool) -> list[R]:
    return [
        _alarm(
            "fraud-no-traffic",
            "AWS/SageMaker",
            "Invocations",
            {"EndpointName": "fraud", "VariantName": "AllTraffic"},
            "breaching" if fixed else "notBreaching",
            "LessThanThreshold",
        )
    ]


CREATION = "obsgov-deploy-graph-require-creation-order"
FLOWS = "obsgov-deploy-flow-require-allowed"
PREREQUISITES = "obsgov-deploy-account-require-prerequisites"
NAMES = "obsgov-deploy-name-require-unique"
SERVICE_NAMES = "obsgov-deploy-loggroup-disallow-service-owned-names"
SINGLE = "obsgov-deploy-account-require-single-owner"
PRODUCERS = "obsgov-deploy-alarm-require-producer"

CASES: dict[str, Case] = {
    "subscription-filter-before-destination-policy": Case(
        CREATION,
        "forward",
        "destination-policy",
        subscription_before_destination,
        issue_example=True,
    ),
    "oam-link-before-sink-policy": Case(
        CREATION, "link", "sink-policy", link_before_sink_policy, issue_example=True
    ),
    "firehose-before-role-policy": Case(
        CREATION, "stream", "firehose-policy", firehose_before_role_policy
    ),
    "event-target-before-topic-policy": Case(
        CREATION, "target", "topic-policy", target_before_topic_policy
    ),
    "lambda-permission-before-function": Case(
        CREATION, "permission", "function", permission_before_function
    ),
    "event-target-to-topic-allowing-another-rule": Case(
        FLOWS,
        "pipeline-failed-notify",
        "obsgov-prod-critical",
        lifecycle_rule_to_critical_topic,
        issue_example=True,
    ),
    "firehose-role-without-backup-key-grant": Case(
        FLOWS, "ingest", "backup-key", firehose_without_backup_key_grant, issue_example=True
    ),
    "object-arn-condition-with-bucket-keys": Case(
        FLOWS, "ingest", "backup-key", object_arn_condition_with_bucket_keys, issue_example=True
    ),
    "quicksight-role-without-lake-access": Case(
        FLOWS,
        "metric-lake-source",
        "metric-lake",
        quicksight_role_without_lake_access,
        issue_example=True,
    ),
    "member-target-to-bus-of-another-organization": Case(
        FLOWS,
        "forward-target",
        "alerts",
        member_target_to_bus_outside_org,
        config={FLOWS: ORG_CONFIG},
    ),
    "log-group-key-without-logs": Case(FLOWS, "audit-logs", "logs-key", log_group_key_without_logs),
    "opensearch-without-service-linked-role": Case(
        PREREQUISITES,
        "domain",
        "AWSServiceRoleForAmazonOpenSearchService",
        opensearch_without_slr,
        issue_example=True,
    ),
    "organization-trail-without-trusted-access": Case(
        PREREQUISITES,
        "trail",
        "CloudTrail trusted access",
        organization_trail_without_trusted_access,
        issue_example=True,
    ),
    "policy-type-not-enabled": Case(
        PREREQUISITES,
        "tag-policy",
        "TAG_POLICY policy type",
        policy_types_not_enabled,
        issue_example=True,
    ),
    "key-policy-names-missing-auditor": Case(
        PREREQUISITES, "archive-key", "obsgov-auditor", roles_named_in_policies, issue_example=True
    ),
    "trust-policy-names-missing-admins": Case(
        PREREQUISITES,
        "master-role",
        "obsgov-platform-admins",
        master_role_trusts_missing_admins,
        issue_example=True,
    ),
    "model-package-group-in-two-environments": Case(
        NAMES,
        "model-registry-prod-fraud-scoring",
        "model-registry-staging-fraud-scoring",
        shared_model_package_groups,
        config={NAMES: STAGING_CLAIMS},
        issue_example=True,
    ),
    "lambda-log-group-aws-creates": Case(
        SERVICE_NAMES,
        "enricher-logs",
        "events-enricher",
        lambda_log_group_for_running_function,
        issue_example=True,
    ),
    "sagemaker-endpoint-log-group-aws-creates": Case(
        SERVICE_NAMES,
        "endpoint-logs",
        "fraud-scoring-prod",
        endpoint_log_group_for_running_endpoint,
        issue_example=True,
    ),
    "step-functions-log-group-a-running-state-machine-logs-to": Case(
        SERVICE_NAMES,
        "feature-refresh-logs",
        "feature-refresh-prod",
        state_machine_log_group_for_running_state_machine,
    ),
    "oam-sink-in-every-environment": Case(
        SINGLE,
        "central-prod-sink",
        "central-staging-sink",
        oam_sink_per_environment,
        config={SINGLE: STAGING_CLAIMS},
        issue_example=True,
    ),
    "catalog-encryption-in-every-environment": Case(
        SINGLE,
        "data-catalog-prod-settings",
        "data-catalog-staging-settings",
        catalog_encryption_per_environment,
        config={SINGLE: STAGING_CATALOG},
    ),
    "model-quality-alarm-without-producer": Case(
        PRODUCERS,
        "fraud-model-quality",
        "Obsgov/ModelQuality",
        quality_alarms_without_producer,
        issue_example=True,
    ),
    "drift-alarm-ignoring-missing-data": Case(
        PRODUCERS,
        "fraud-drift",
        "Obsgov/DataQuality",
        drift_alarm_without_producer,
        config={PRODUCERS: DRIFT_CONTRACT_IF_FIXED},
        issue_example=True,
    ),
    "contract-metric-quiet-when-silent": Case(
        PRODUCERS,
        "etl-records",
        "data-eng@example.com",
        contract_metric_hidden_when_silent,
        config={PRODUCERS: PIPELINE_CONTRACT},
    ),
    "sparse-aws-metric-low-alarm-quiet": Case(
        PRODUCERS, "fraud-no-traffic", "Invocations", zero_invocations_hidden
    ),
}
