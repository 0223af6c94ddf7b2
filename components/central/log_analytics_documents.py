"""The names and policy documents of the log analytics stack.

All are derived from the environment, the account and the region, never from resource outputs,
so they are plain JSON at preview and the policy packs judge them there.
"""

from __future__ import annotations

import json

from ..shared.firehose import VPC_DELIVERY_ACTIONS
from ..shared.iam_documents import (
    account_administers,
    account_root,
    assume_role_policy,
    bucket_arn,
    document,
    log_group_arn,
    logs_encrypt,
    service,
    statement,
)
from .log_analytics_args import LogAnalyticsArgs

LOG_TYPES = {"AUDIT_LOGS": "audit", "ES_APPLICATION_LOGS": "error"}
INDEX = "obsgov-logs"


def names(environment: str, account_id: str) -> dict[str, str]:
    base = f"obsgov-{environment}"
    return {
        "domain": f"{base}-logs",
        "stream": f"{base}-log-ingest",
        "destination": f"{base}-logs",
        "backup": f"{base}-log-ingest-failed-{account_id}",
        "firehose_logs": f"/aws/kinesisfirehose/{base}-log-ingest",
        "master_role": f"{base}-opensearch-master",
        "firehose_role": f"{base}-log-ingest-firehose",
        "destination_role": f"{base}-log-destination",
        "firehose_security_group": f"{base}-log-ingest-firehose",
        "domain_security_group": f"{base}-logs-domain",
    }


def key_alias(environment: str) -> str:
    """The alias of the domain's key: the Firehose role's policy names the key by it
    (``kms:ResourceAliases``), so the policy is plain JSON at preview, before the key exists."""
    return f"alias/obsgov-{environment}-log-analytics"


def domain_arn(region: str, account_id: str, domain: str) -> str:
    return f"arn:aws:es:{region}:{account_id}:domain/{domain}"


def domain_log_groups(environment: str) -> dict[str, str]:
    return {
        log_type: f"/aws/opensearch/obsgov-{environment}-logs/{kind}"
        for log_type, kind in LOG_TYPES.items()
    }


def key_policy(args: LogAnalyticsArgs) -> str:
    groups = [
        log_group_arn(args.region, args.account_id, g)
        for g in [
            *domain_log_groups(args.environment).values(),
            names(args.environment, args.account_id)["firehose_logs"],
        ]
    ]
    return document(
        account_administers(args.account_id),
        logs_encrypt(args.region, groups),
    )


def log_publishing_policy(args: LogAnalyticsArgs) -> str:
    """The resource policy that lets OpenSearch write its audit and error logs, and nothing
    else (confused-deputy conditions on the account and the domain)."""
    n = names(args.environment, args.account_id)
    resources = [
        f"{log_group_arn(args.region, args.account_id, g)}:*"
        for g in domain_log_groups(args.environment).values()
    ]
    return document(
        statement(
            "OpenSearchPublishesLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            resources,
            principal=service("es.amazonaws.com"),
            condition={
                "StringEquals": {"aws:SourceAccount": args.account_id},
                "ArnLike": {"aws:SourceArn": domain_arn(args.region, args.account_id, n["domain"])},
            },
        )
    )


def domain_access_policy(args: LogAnalyticsArgs) -> str:
    n = names(args.environment, args.account_id)
    arn = domain_arn(args.region, args.account_id, n["domain"])
    principals = sorted(
        {
            f"arn:aws:iam::{args.account_id}:role/{n['master_role']}",
            f"arn:aws:iam::{args.account_id}:role/{n['firehose_role']}",
            *args.admin_principals,
        }
    )
    return document(
        statement("NamedPrincipalsOnly", "es:ESHttp*", f"{arn}/*", principal={"AWS": principals})
    )


def firehose_role_policy(args: LogAnalyticsArgs) -> str:
    n = names(args.environment, args.account_id)
    arn = domain_arn(args.region, args.account_id, n["domain"])
    backup = bucket_arn(n["backup"])
    return document(
        statement(
            "DescribeDomain",
            ["es:DescribeDomain", "es:DescribeDomains", "es:DescribeDomainConfig"],
            arn,
        ),
        # Firehose's documented role (docs.aws.amazon.com/firehose/latest/dev/
        # controlling-access.html#using-iam-es) grants ESHttpPost/Put on the whole domain; here
        # only on what Firehose writes: _bulk and the log indexes.
        statement(
            "IndexDocuments", ["es:ESHttpPost", "es:ESHttpPut"], [f"{arn}/_bulk", f"{arn}/{INDEX}*"]
        ),
        # ... and ESHttpGet on exactly the paths that page lists (index-name* is the log index's;
        # its mapping without a type name on OpenSearch), never on the documents
        statement(
            "ReadClusterState",
            "es:ESHttpGet",
            [
                f"{arn}/{INDEX}*/_mapping*",
                f"{arn}/{INDEX}*/_stats",
                f"{arn}/_all/_settings",
                f"{arn}/_cluster/stats",
                f"{arn}/_nodes",
                f"{arn}/_nodes/stats",
                f"{arn}/_nodes/*/stats",
                f"{arn}/_stats",
            ],
        ),
        statement(
            "BackUpFailedDocuments",
            [
                "s3:AbortMultipartUpload",
                "s3:GetBucketLocation",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
            ],
            [backup, f"{backup}/*"],
        ),
        # The failed-documents bucket is encrypted with the domain's key (SSE-KMS with an S3
        # Bucket Key): Firehose's role must use the key through S3
        # (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3). No
        # condition on kms:EncryptionContext:aws:s3:arn: with a Bucket Key the context is the
        # bucket's ARN, not the object's, and an object-ARN condition would refuse every write
        # (docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
        statement(
            "EncryptFailedDocuments",
            ["kms:GenerateDataKey", "kms:Decrypt"],
            f"arn:aws:kms:{args.region}:{args.account_id}:key/*",
            condition={
                "StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias(args.environment)},
            },
        ),
        statement(
            "LogDeliveryErrors",
            "logs:PutLogEvents",
            f"{log_group_arn(args.region, args.account_id, n['firehose_logs'])}:log-stream:*",
        ),
        *(
            # Only a domain in a VPC needs them; AWS documents them on every resource.
            [statement("PlaceNetworkInterfaces", list(VPC_DELIVERY_ACTIONS), "*")]
            if args.subnet_ids
            else []
        ),
    )


def destination_role_policy(args: LogAnalyticsArgs) -> str:
    n = names(args.environment, args.account_id)
    stream = f"arn:aws:firehose:{args.region}:{args.account_id}:deliverystream/{n['stream']}"
    return document(
        statement("ForwardToFirehose", ["firehose:PutRecord", "firehose:PutRecordBatch"], stream)
    )


def destination_trust_policy(args: LogAnalyticsArgs) -> str:
    """CloudWatch Logs assumes the role only on behalf of the member accounts' log groups."""
    sources = sorted(
        f"arn:aws:logs:{args.region}:{a}:*" for a in {*args.member_account_ids, args.account_id}
    )
    return assume_role_policy("logs.amazonaws.com", {"StringLike": {"aws:SourceArn": sources}})


def destination_policy(args: LogAnalyticsArgs) -> str:
    n = names(args.environment, args.account_id)
    arn = f"arn:aws:logs:{args.region}:{args.account_id}:destination:{n['destination']}"
    # Only the environment's member accounts (and this one) subscribe, as the destination role's
    # trust admits only their log groups: another account of the organization may not fill
    # prod's index (CloudWatch Logs user guide, "Step 2: Create a destination",
    # CreateDestination: the access policy names the sender accounts).
    senders = sorted({*args.member_account_ids, args.account_id})
    return document(
        statement(
            "RegisteredAccountsSubscribe",
            "logs:PutSubscriptionFilter",
            arn,
            principal={"AWS": [account_root(a) for a in senders]},
            condition={"StringEquals": {"aws:PrincipalOrgID": [args.organization_id]}},
        )
    )


def master_trust_policy(args: LogAnalyticsArgs) -> str:
    """The administrators assume the domain's master role; with none named, the account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AdministratorsAssume",
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": sorted(args.admin_principals) or account_root(args.account_id)
                    },
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        sort_keys=True,
    )
