"""The central log pipeline of the prod stack as AWS would create it on the first ``pulumi up``:
Firehose reaching the VPC domain, one document per log event, health alarms by severity, and
member subscription filters that wait for the destination and its policy."""

from __future__ import annotations

from .conftest import ALARM, statements

OBS = "100000000002"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
DOMAIN_SG = "sg-0a1b2c3d4e5f60744"  # stacks/Pulumi.prod.yaml openSearch.securityGroupIds
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"]


def _one(graph, token, name):
    [found] = [r for r in graph.of_type(token) if r.name == name]
    return found


def _urn(graph, token, name):
    return _one(graph, token, name).urn


def _ingest(graph):
    return _one(graph, STREAM, "log-analytics-prod-ingest")


def _firehose_policy(graph):
    policy = _one(graph, "aws:iam/rolePolicy:RolePolicy", "log-analytics-prod-firehose-policy")
    return statements(policy.inputs["policy"])


# --------------------------------------------------------------------------- network


def test_the_stream_reaches_the_vpc_domain_through_its_own_security_group(prod):
    """docs.aws.amazon.com/firehose/latest/dev/vpc.html: a stream into a domain in a VPC gets a
    vpc_config (subnets, security groups, a role); the domain's security group must admit
    HTTPS from the stream's, which must allow HTTPS out to it."""
    stream = _ingest(prod)
    config = stream.inputs["opensearchConfiguration"]["vpcConfig"]
    domain = _one(prod, "aws:opensearch/domain:Domain", "log-analytics-prod-domain")
    assert config["subnetIds"] == domain.inputs["vpcOptions"]["subnetIds"] == SUBNETS
    group_urn = _urn(prod, "aws:ec2/securityGroup:SecurityGroup", "log-analytics-prod-firehose-sg")
    role_urn = _urn(prod, "aws:iam/role:Role", "log-analytics-prod-firehose-role")
    assert set(stream.property_dependencies["opensearchConfiguration"]) >= {group_urn, role_urn}

    group = _one(prod, "aws:ec2/securityGroup:SecurityGroup", "log-analytics-prod-firehose-sg")
    # the VPC of the domain's subnets (obsgov.synth answers ec2:DescribeSubnets offline)
    assert group.inputs["vpcId"].startswith("vpc-")
    assert "ingress" not in group.inputs
    assert "egress" not in group.inputs

    ingress = _one(
        prod,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "log-analytics-prod-domain-https-from-firehose-0",
    )
    assert ingress.inputs["securityGroupId"] == DOMAIN_SG
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (443, 443)
    assert ingress.inputs["ipProtocol"] == "tcp"
    assert ingress.property_dependencies["referencedSecurityGroupId"] == [group_urn]
    egress = _one(
        prod,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "log-analytics-prod-firehose-https-to-domain-0",
    )
    assert egress.inputs["referencedSecurityGroupId"] == DOMAIN_SG
    assert (egress.inputs["fromPort"], egress.inputs["toPort"]) == (443, 443)
    # the stream's first delivery finds the path open
    assert {ingress.urn, egress.urn} <= set(stream.dependencies)


def test_the_firehose_role_may_place_network_interfaces_as_aws_documents(prod):
    """The eight EC2 actions of docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
    #using-iam-es-vpc, on "*" as that page grants them."""
    from components.shared.firehose import VPC_DELIVERY_ACTIONS

    assert VPC_DELIVERY_ACTIONS == (
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkInterfaces",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
    )
    place = _firehose_policy(prod)["PlaceNetworkInterfaces"]
    assert place == {"Effect": "Allow", "Action": list(VPC_DELIVERY_ACTIONS), "Resource": "*"}


def test_a_domain_outside_a_vpc_gets_no_network_permissions():
    from components.central.log_analytics_args import LogAnalyticsArgs
    from components.central.log_analytics_documents import firehose_role_policy

    args = LogAnalyticsArgs("dev", OBS, "eu-west-1", "o-k7x2m9p4q1", [])
    assert "PlaceNetworkInterfaces" not in statements(firehose_role_policy(args))


# --------------------------------------------------------------------------- encryption


def test_the_role_may_encrypt_failed_documents_with_the_domain_key_through_s3(prod):
    """The failed-documents bucket is SSE-KMS with a Bucket Key under the domain's key
    (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3). With a
    Bucket Key the encryption context is the bucket's ARN, so the grant must not be
    conditioned on an object's ARN (docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html)."""
    encrypt = _firehose_policy(prod)["EncryptFailedDocuments"]
    assert encrypt["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert encrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/obsgov-prod-log-analytics"},
    }
    alias = _one(prod, "aws:kms/alias:Alias", "log-analytics-prod-key-alias")
    assert alias.inputs["name"] == "alias/obsgov-prod-log-analytics"
    key_urn = _urn(prod, "aws:kms/key:Key", "log-analytics-prod-key")
    assert alias.property_dependencies["targetKeyId"] == [key_urn]
    bucket = _one(
        prod,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "log-analytics-prod-failed-documents-encryption",
    )
    [rule] = bucket.inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    assert bucket.property_dependencies["rules"] == [key_urn]


# --------------------------------------------------------------------------- documents


def test_one_log_event_is_one_document_and_control_messages_are_dropped(prod):
    """docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html: decompression, then
    CloudWatch Logs processing with message extraction (processor and parameter names as the
    pulumi-aws v7 schema spells them)."""
    processing = _ingest(prod).inputs["opensearchConfiguration"]["processingConfiguration"]
    assert processing == {
        "enabled": True,
        "processors": [
            {
                "type": "Decompression",
                "parameters": [{"parameterName": "CompressionFormat", "parameterValue": "GZIP"}],
            },
            {
                "type": "CloudWatchLogProcessing",
                "parameters": [
                    {"parameterName": "DataMessageExtraction", "parameterValue": "true"}
                ],
            },
        ],
    }


# --------------------------------------------------------------------------- ordering


def test_member_subscription_filters_wait_for_the_destination_and_its_policy(prod):
    """PutSubscriptionFilter fails with ResourceNotFoundException before the destination
    (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html) and is refused
    before the destination policy admits the account
    (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html)."""
    destination = _urn(
        prod, "aws:cloudwatch/logDestination:LogDestination", "log-analytics-prod-destination"
    )
    policy = _urn(
        prod,
        "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy",
        "log-analytics-prod-destination-policy",
    )
    filters = prod.of_type("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
    assert len(filters) >= 5
    for found in filters:
        # the wait is stated by depends_on (on the log analytics component, which the SDK
        # expands to its children); the ARN stays a value known at preview, so the packs can
        # follow the flow to the destination
        assert {destination, policy} <= set(found.dependencies), found.name
        assert found.inputs["destinationArn"] == (
            "arn:aws:logs:eu-west-1:100000000002:destination:obsgov-prod-logs"
        )


# --------------------------------------------------------------------------- alarms


def _alarms(graph, prefix):
    return {r.inputs["name"]: r for r in graph.of_type(ALARM) if r.name.startswith(prefix)}


def _topic_urn(graph, severity):
    return _urn(graph, "aws:sns/topic:Topic", f"event-routing-prod-{severity}")


def test_domain_and_stream_health_alarms_page_by_severity(prod):
    """Metrics and thresholds of docs.aws.amazon.com/opensearch-service/latest/developerguide/
    cloudwatch-alarms.html (published per managedomains-cloudwatchmetrics.html) and
    docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html with the
    15-minute freshness limit of firehose-cloudwatch-metrics-best-practices.html."""
    alarms = _alarms(prod, "log-analytics-prod-")
    expected = {
        "obsgov-prod-logs-cluster-red": ("AWS/ES", "ClusterStatus.red", "critical"),
        "obsgov-prod-logs-writes-blocked": ("AWS/ES", "ClusterIndexWritesBlocked", "critical"),
        "obsgov-prod-logs-free-storage": ("AWS/ES", "FreeStorageSpace", "critical"),
        "obsgov-prod-logs-cluster-yellow": ("AWS/ES", "ClusterStatus.yellow", "warning"),
        "obsgov-prod-logs-jvm-pressure": ("AWS/ES", "JVMMemoryPressure", "warning"),
        "obsgov-prod-log-ingest-delivery-failures": (
            "AWS/Firehose",
            "DeliveryToAmazonOpenSearchService.Success",
            "warning",
        ),
        "obsgov-prod-log-ingest-delivery-freshness": (
            "AWS/Firehose",
            "DeliveryToAmazonOpenSearchService.DataFreshness",
            "warning",
        ),
    }
    assert set(alarms) == set(expected)
    for name, (namespace, metric, severity) in expected.items():
        alarm = alarms[name]
        assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (namespace, metric)
        assert alarm.inputs["alarmDescription"].startswith(f"[{severity.upper()}] ")
        topic = _topic_urn(prod, severity)
        assert alarm.property_dependencies["alarmActions"] == [topic], name
        assert alarm.property_dependencies["okActions"] == [topic], name
        if namespace == "AWS/ES":
            assert alarm.inputs["dimensions"] == {"DomainName": "obsgov-prod-logs", "ClientId": OBS}
        else:
            assert alarm.inputs["dimensions"] == {"DeliveryStreamName": "obsgov-prod-log-ingest"}
    # a quarter of one node's 500 GiB, in MiB as OpenSearch publishes FreeStorageSpace
    storage = alarms["obsgov-prod-logs-free-storage"].inputs
    assert storage["threshold"] == 500 * 1024 / 4
    assert storage["comparisonOperator"] == "LessThanOrEqualToThreshold"
    assert alarms["obsgov-prod-log-ingest-delivery-freshness"].inputs["threshold"] == 900
    red = alarms["obsgov-prod-logs-cluster-red"].inputs
    assert (red["statistic"], red["threshold"], red["evaluationPeriods"]) == ("Maximum", 1, 1)
