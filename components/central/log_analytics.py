"""OpenSearch log analytics in the observability account, fed by every member account.

Member accounts subscribe their log groups to one CloudWatch Logs destination here. The
destination admits only the organization's principals; it hands records to Kinesis Data Firehose,
which indexes them in the OpenSearch domain and backs up failed documents to an encrypted bucket.

The domain meets Security Hub Opensearch.1-.8 and .10: a customer-managed key at rest,
node-to-node encryption, HTTPS only with ``Policy-Min-TLS-1-2-PFS-2023-10``, fine-grained
access control with an IAM master role (no internal users, so no password anywhere), audit and
error logs in KMS-encrypted log groups, at least three data nodes across zones, automatic
software updates, and a VPC when subnets are given, else an access policy naming principals.

In a VPC, Firehose reaches the domain through network interfaces it places in the domain's
subnets (the stream's ``vpc_config``), in a security group of its own that the domain's security
group admits on 443 (docs.aws.amazon.com/firehose/latest/dev/vpc.html). Firehose decompresses
the subscription records and extracts each log event's message, dropping CloudWatch Logs'
control messages, so one log event is one document. Fine-grained access control maps IAM
principals to OpenSearch roles inside the domain, which no Pulumi resource of pulumi-aws can
write: ``obsgov opensearch bootstrap`` maps the Firehose role (see obsgov/opensearch/security.py
for why it is that command and not the pulumi-opensearch provider), with the index template
and the ISM policy. Health alarms on the domain and the stream notify the central severity
topics.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..shared.buckets import hardened_bucket
from ..shared.firehose import cloudwatch_logs_processing, delivery_stream, firehose_role
from ..shared.iam_documents import (
    deny_insecure_transport,
    document,
)
from ..shared.keys import rotated_key
from .log_analytics_alarms import health_alarms
from .log_analytics_args import LogAnalyticsArgs
from .log_analytics_documents import (
    INDEX,
    LOG_TYPES,
    destination_policy,
    destination_role_policy,
    destination_trust_policy,
    domain_access_policy,
    domain_log_groups,
    firehose_role_policy,
    key_alias,
    key_policy,
    log_publishing_policy,
    master_trust_policy,
    names,
)

TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"


class LogAnalytics(pulumi.ComponentResource):
    """The domain, its ingestion path and the destination member accounts subscribe to."""

    domain: aws.opensearch.Domain
    destination: aws.cloudwatch.LogDestination
    destination_policy: aws.cloudwatch.LogDestinationPolicy
    # The destination's ARN, known only once its access policy exists: a subscription filter
    # that takes it as input is created after both (PutSubscriptionFilter fails with
    # ResourceNotFoundException before the destination, AccessDeniedException before its policy).
    subscribable_destination_arn: pulumi.Output[str]
    firehose_security_group: aws.ec2.SecurityGroup | None
    alarms: list[aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: LogAnalyticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("obsgov:log_analytics:LogAnalytics", name, None, opts)
        key, groups, publishing = self._create_key_and_logs(name, args)
        domain_groups, network = self._create_network(name, args)
        self._create_domain(name, args, key, groups, publishing, domain_groups)
        stream = self._create_ingestion(name, args, key, network)
        self._create_destination(name, args, stream)
        self.alarms = health_alarms(self, name, args, self.domain, stream)
        self.register_outputs(
            {
                "domainArn": self.domain.arn,
                "destinationArn": self.subscribable_destination_arn,
            }
        )

    def _create_key_and_logs(
        self, name: str, args: LogAnalyticsArgs
    ) -> tuple[aws.kms.Key, dict[str, aws.cloudwatch.LogGroup], aws.cloudwatch.LogResourcePolicy]:
        """The domain's key, its log groups and the policy that lets OpenSearch write to them."""
        child = pulumi.ResourceOptions(parent=self)
        key = rotated_key(
            f"{name}-key",
            description=f"obsgov {args.environment} log analytics",
            policy=key_policy(args),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=key_alias(args.environment),
            target_key_id=key.key_id,
            opts=child,
        )
        groups = {}
        for log_type, group_name in domain_log_groups(args.environment).items():
            groups[log_type] = aws.cloudwatch.LogGroup(
                f"{name}-{LOG_TYPES[log_type]}-logs",
                name=group_name,
                retention_in_days=args.log_retention_days,
                kms_key_id=key.arn,
                opts=child,
            )
        publishing = aws.cloudwatch.LogResourcePolicy(
            f"{name}-log-publishing",
            policy_name=f"obsgov-{args.environment}-opensearch-logs",
            policy_document=log_publishing_policy(args),
            opts=child,
        )
        return key, groups, publishing

    def _create_network(
        self, name: str, args: LogAnalyticsArgs
    ) -> tuple[list[pulumi.Input[str]], list[pulumi.Resource]]:
        """In a VPC: the security group Firehose's network interfaces use, 443 from it into the
        domain's security groups (a group of the component's own when config names none), and
        443 out of it to them only. Returns the domain's groups and the rules Firehose needs.

        The VPC is the one of the domain's first subnet (``ec2:DescribeSubnets``), so config
        names the network once."""
        self.firehose_security_group = None
        if not args.subnet_ids:
            return [], []
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        vpc_id = aws.ec2.get_subnet_output(
            id=args.subnet_ids[0], opts=pulumi.InvokeOutputOptions(parent=self)
        ).vpc_id
        # Without inline rules the provider removes the default allow-all egress rule, so the
        # group's only traffic is the rules below.
        firehose_group = aws.ec2.SecurityGroup(
            f"{name}-firehose-sg",
            name=n["firehose_security_group"],
            description="Firehose network interfaces that index logs into the domain",
            vpc_id=vpc_id,
            opts=child,
        )
        self.firehose_security_group = firehose_group
        domain_groups: list[pulumi.Input[str]] = list(args.security_group_ids)
        if not domain_groups:
            domain_group = aws.ec2.SecurityGroup(
                f"{name}-domain-sg",
                name=n["domain_security_group"],
                description="The log analytics domain: HTTPS from the named sources only",
                vpc_id=vpc_id,
                opts=child,
            )
            domain_groups = [domain_group.id]
        rules: list[pulumi.Resource] = []
        for i, group in enumerate(domain_groups):
            rules.append(
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-domain-https-from-firehose-{i}",
                    security_group_id=group,
                    referenced_security_group_id=firehose_group.id,
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    description="HTTPS from the log ingest Firehose stream",
                    opts=child,
                )
            )
            rules.append(
                aws.vpc.SecurityGroupEgressRule(
                    f"{name}-firehose-https-to-domain-{i}",
                    security_group_id=firehose_group.id,
                    referenced_security_group_id=group,
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    description="HTTPS to the log analytics domain",
                    opts=child,
                )
            )
        return domain_groups, rules

    def _create_domain(
        self,
        name: str,
        args: LogAnalyticsArgs,
        key: aws.kms.Key,
        groups: dict[str, aws.cloudwatch.LogGroup],
        publishing: aws.cloudwatch.LogResourcePolicy,
        domain_groups: list[pulumi.Input[str]],
    ) -> None:
        """The domain, and the master role fine-grained access control maps to IAM."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        master = aws.iam.Role(
            f"{name}-master-role",
            name=n["master_role"],
            assume_role_policy=master_trust_policy(args),
            opts=child,
        )

        in_vpc = bool(args.subnet_ids)
        zones = min(args.zone_count, 3) if args.instance_count >= 2 else 1
        self.domain = aws.opensearch.Domain(
            f"{name}-domain",
            domain_name=n["domain"],
            engine_version=args.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=args.instance_type,
                instance_count=args.instance_count,
                zone_awareness_enabled=zones > 1,
                zone_awareness_config=aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                    availability_zone_count=zones
                )
                if zones > 1
                else None,
                dedicated_master_enabled=args.dedicated_master_count > 0,
                dedicated_master_count=args.dedicated_master_count or None,
                dedicated_master_type=args.dedicated_master_type
                if args.dedicated_master_count
                else None,
                # UltraWarm and cold storage only when configured (the settings check their
                # prerequisites: dedicated masters, UltraWarm before cold)
                warm_enabled=True if args.warm_enabled else None,
                warm_type=args.warm_type if args.warm_enabled else None,
                warm_count=args.warm_count if args.warm_enabled else None,
                cold_storage_options=aws.opensearch.DomainClusterConfigColdStorageOptionsArgs(
                    enabled=True
                )
                if args.cold_storage
                else None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_size=args.volume_size_gib, volume_type="gp3"
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(
                enabled=True, kms_key_id=key.arn
            ),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=True,
                internal_user_database_enabled=False,
                master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                    master_user_arn=master.arn
                ),
            ),
            log_publishing_options=[
                aws.opensearch.DomainLogPublishingOptionArgs(
                    log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True
                )
                for log_type, group in groups.items()
            ],
            software_update_options=aws.opensearch.DomainSoftwareUpdateOptionsArgs(
                auto_software_update_enabled=True
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=list(args.subnet_ids), security_group_ids=domain_groups
            )
            if in_vpc
            else None,
            access_policies=domain_access_policy(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[publishing]),
        )

    def _create_ingestion(
        self,
        name: str,
        args: LogAnalyticsArgs,
        key: aws.kms.Key,
        network: list[pulumi.Resource],
    ) -> aws.kinesis.FirehoseDeliveryStream:
        """The Firehose stream into the domain, with its role, logs and failed-document bucket."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        backup = hardened_bucket(
            self,
            f"{name}-failed-documents",
            n["backup"],
            kms_key_arn=key.arn,
            policy=document(deny_insecure_transport(n["backup"])),
            lifecycle_rules=[
                {
                    "id": "expire-failed-documents",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.backup_expiry_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                }
            ],
            purpose="log-ingest-backup",
            access_log_bucket=args.access_log_bucket,
            access_log_ready=args.access_log_ready,
        )
        firehose_logs = aws.cloudwatch.LogGroup(
            f"{name}-firehose-logs",
            name=n["firehose_logs"],
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            opts=child,
        )
        aws.cloudwatch.LogStream(
            f"{name}-firehose-errors",
            name="DestinationDelivery",
            log_group_name=firehose_logs.name,
            opts=child,
        )
        delivery_role, firehose_policy = firehose_role(
            name,
            role_name=n["firehose_role"],
            account_id=args.account_id,
            policy=firehose_role_policy(args),
            opts=child,
        )
        stream = delivery_stream(
            f"{name}-ingest",
            parent=self,
            stream_name=n["stream"],
            key_arn=key.arn,
            role_policy=firehose_policy,
            destination="opensearch",
            opensearch_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationArgs(
                domain_arn=self.domain.arn,
                index_name=INDEX,
                index_rotation_period="OneDay",
                processing_configuration=cloudwatch_logs_processing(),
                role_arn=delivery_role.arn,
                s3_backup_mode="FailedDocumentsOnly",
                s3_configuration=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationS3ConfigurationArgs(
                    role_arn=delivery_role.arn,
                    bucket_arn=backup.arn,
                    kms_key_arn=key.arn,
                    compression_format="GZIP",
                ),
                cloudwatch_logging_options=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationCloudwatchLoggingOptionsArgs(
                    enabled=True,
                    log_group_name=n["firehose_logs"],
                    log_stream_name="DestinationDelivery",
                ),
                vpc_config=aws.kinesis.FirehoseDeliveryStreamOpensearchConfigurationVpcConfigArgs(
                    subnet_ids=list(args.subnet_ids),
                    security_group_ids=[self.firehose_security_group.id],
                    role_arn=delivery_role.arn,
                )
                if self.firehose_security_group is not None
                else None,
            ),
            depends_on=network,
        )
        return stream

    def _create_destination(
        self, name: str, args: LogAnalyticsArgs, stream: aws.kinesis.FirehoseDeliveryStream
    ) -> None:
        """The CloudWatch Logs destination member accounts subscribe to, and who may."""
        child = pulumi.ResourceOptions(parent=self)
        n = names(args.environment, args.account_id)
        destination_role = aws.iam.Role(
            f"{name}-destination-role",
            name=n["destination_role"],
            assume_role_policy=destination_trust_policy(args),
            opts=child,
        )
        destination_policy_attachment = aws.iam.RolePolicy(
            f"{name}-destination-role-policy",
            role=destination_role.id,
            policy=destination_role_policy(args),
            opts=child,
        )
        self.destination = aws.cloudwatch.LogDestination(
            f"{name}-destination",
            name=n["destination"],
            role_arn=destination_role.arn,
            target_arn=stream.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[destination_policy_attachment]),
        )
        self.destination_policy = aws.cloudwatch.LogDestinationPolicy(
            f"{name}-destination-policy",
            destination_name=self.destination.name,
            access_policy=destination_policy(args),
            opts=child,
        )
        self.subscribable_destination_arn = pulumi.Output.all(
            self.destination.arn, self.destination_policy.destination_name
        ).apply(lambda values: values[0])
