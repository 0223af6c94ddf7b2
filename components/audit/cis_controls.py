"""Security Hub CloudWatch.1-14: the CIS benchmark's monitoring controls as metric filters.

Each control is a metric filter on the organization trail's log group with AWS's exact filter
pattern and an alarm named after the control; the alarms' state changes are forwarded to the
central event bus by the pattern :func:`forwarding_event_pattern` matches.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..central.event_routing import ALARM_DETAIL_TYPE, ALARM_SOURCE


class CisControl(NamedTuple):
    control: str  # Security Hub control id
    slug: str
    title: str
    pattern: str


# Security Hub CloudWatch.1-14 as documented (cloudwatch-controls, "Remediation"): Security
# Hub fails the control unless the filter is exactly this pattern, so none may be reworded.
CIS_CONTROLS: tuple[CisControl, ...] = (
    CisControl(
        "CloudWatch.1",
        "root-usage",
        "Usage of the root user",
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent"}',
    ),
    CisControl(
        "CloudWatch.2",
        "unauthorized-api-calls",
        "Unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    ),
    CisControl(
        "CloudWatch.3",
        "console-signin-without-mfa",
        "Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = '
        '"Success") }',
    ),
    CisControl(
        "CloudWatch.4",
        "iam-policy-changes",
        "IAM policy changes",
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
        "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
        "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || "
        "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || "
        "($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || "
        "($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
    ),
    CisControl(
        "CloudWatch.5",
        "cloudtrail-changes",
        "CloudTrail configuration changes",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || "
        "($.eventName=DeleteTrail) || ($.eventName=StartLogging) || "
        "($.eventName=StopLogging)}",
    ),
    CisControl(
        "CloudWatch.6",
        "console-auth-failures",
        "Console authentication failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    ),
    CisControl(
        "CloudWatch.7",
        "kms-key-disable-or-deletion",
        "Disabling or scheduled deletion of customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
        "($.eventName=ScheduleKeyDeletion))}",
    ),
    CisControl(
        "CloudWatch.8",
        "s3-bucket-policy-changes",
        "S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || "
        "($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || "
        "($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || "
        "($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    ),
    CisControl(
        "CloudWatch.9",
        "config-changes",
        "AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && "
        "(($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) "
        "|| ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    ),
    CisControl(
        "CloudWatch.10",
        "security-group-changes",
        "Security group changes",
        "{($.eventName=AuthorizeSecurityGroupIngress) || "
        "($.eventName=AuthorizeSecurityGroupEgress) || "
        "($.eventName=RevokeSecurityGroupIngress) || "
        "($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || "
        "($.eventName=DeleteSecurityGroup)}",
    ),
    CisControl(
        "CloudWatch.11",
        "nacl-changes",
        "Network ACL changes",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || "
        "($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclAssociation)}",
    ),
    CisControl(
        "CloudWatch.12",
        "network-gateway-changes",
        "Network gateway changes",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || "
        "($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || "
        "($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    ),
    CisControl(
        "CloudWatch.13",
        "route-table-changes",
        "Route table changes",
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || "
        "($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || "
        "($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || "
        "($.eventName=DisassociateRouteTable)}",
    ),
    CisControl(
        "CloudWatch.14",
        "vpc-changes",
        "VPC changes",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || "
        "($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || "
        "($.eventName=CreateVpcPeeringConnection) || "
        "($.eventName=DeleteVpcPeeringConnection) || "
        "($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) "
        "|| ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || "
        "($.eventName=EnableVpcClassicLink)}",
    ),
)


def cis_alarm_name(environment: str, control: CisControl) -> str:
    return f"obsgov-{environment}-cis-{control.control.split('.')[1]}-{control.slug}"


def forwarding_event_pattern(environment: str) -> dict[str, Any]:
    return {
        "source": [ALARM_SOURCE],
        "detail-type": [ALARM_DETAIL_TYPE],
        "detail": {"alarmName": [{"prefix": f"obsgov-{environment}-cis-"}]},
    }
