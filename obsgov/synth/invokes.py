"""Answers for the AWS data sources programs call most, derived from the call's own arguments
and the calling provider's account and region.

Under bare mocks an invoke returns nothing and a program either crashes or builds nonsense.
Every answer here has the shape the provider returns; identifiers that only AWS can know (an
AMI id, a VPC id, a parameter's value) are derived deterministically from the arguments, so the
same program always yields the same graph. Invokes with no answer are counted by token, so a
report can say which verdicts rest on guesses.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from .policy_document import render as render_policy_document

Answer = Callable[[Mapping[str, Any], str, str], dict[str, Any]]


def _hex(*parts: Any, length: int = 17) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:length]


def _uuid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def caller_identity(args, account, region):
    return {
        "accountId": account,
        "arn": f"arn:aws:sts::{account}:assumed-role/ObsgovDeploymentRole/obsgov",
        "userId": f"AROA{hashlib.sha1(account.encode()).hexdigest()[:16].upper()}:obsgov",
        "id": account,
    }


def region_info(args, account, region):
    name = args.get("region") or args.get("name") or region
    return {
        "name": name,
        "region": name,
        "id": name,
        "endpoint": f"ec2.{name}.amazonaws.com",
        "description": name,
    }


def partition(args, account, region):
    return {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "id": "aws",
        "reverseDnsPrefix": "com.amazonaws",
    }


def availability_zones(args, account, region):
    letters = "abc"
    code = "".join(part[0] for part in region.split("-")[:2]) + region.rsplit("-", 1)[-1]
    return {
        "names": [f"{region}{x}" for x in letters],
        "zoneIds": [f"{code}-az{i}" for i in range(1, len(letters) + 1)],
        "groupNames": [region],
        "id": region,
        "state": args.get("state") or "available",
    }


def arn_parts(args, account, region):
    arn = str(args.get("arn", ""))
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"{arn!r} is not an ARN")
    return {
        "arn": arn,
        "id": arn,
        "partition": parts[1],
        "service": parts[2],
        "region": parts[3],
        "account": parts[4],
        "resource": parts[5],
    }


def ami(args, account, region):
    image = f"ami-{_hex(region, sorted(map(str, args.get('owners') or [])), args.get('filters'), args.get('nameRegex'))}"
    names = [
        f.get("values", [None])[0] for f in args.get("filters") or [] if f.get("name") == "name"
    ]
    return {
        "id": image,
        "imageId": image,
        "arn": f"arn:aws:ec2:{region}::image/{image}",
        "name": (names[0] or "image").replace("*", "2026.11.0")
        if names
        else "obsgov-offline-image",
        "architecture": "x86_64",
        "ownerId": (args.get("owners") or [account])[0],
        "rootDeviceType": "ebs",
        "virtualizationType": "hvm",
        "state": "available",
        "mostRecent": bool(args.get("mostRecent")),
    }


def ami_ids(args, account, region):
    return {"ids": [ami(args, account, region)["id"]], "id": region}


def default_vpc(args, account, region):
    vpc = f"vpc-{_hex(account, region, args.get('id'), args.get('filters'))}"
    return {
        "id": args.get("id") or vpc,
        "arn": f"arn:aws:ec2:{region}:{account}:vpc/{args.get('id') or vpc}",
        "cidrBlock": "172.31.0.0/16",
        "default": True,
        "ownerId": account,
        "state": "available",
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "instanceTenancy": "default",
    }


def subnets(args, account, region):
    zones = availability_zones({}, account, region)["names"]
    return {
        "ids": [f"subnet-{_hex(account, zone, args.get('filters'))}" for zone in zones],
        "id": region,
    }


def subnet(args, account, region):
    """One subnet by id: its VPC is derived from the account and region, so the subnets a
    stack names share one VPC, as the subnets of one OpenSearch domain must."""
    ident = args.get("id") or f"subnet-{_hex(account, region, args.get('filters'))}"
    zone = availability_zones({}, account, region)["names"][0]
    return {
        "id": ident,
        "arn": f"arn:aws:ec2:{region}:{account}:subnet/{ident}",
        "vpcId": f"vpc-{_hex(account, region)}",
        "availabilityZone": args.get("availabilityZone") or zone,
        "cidrBlock": args.get("cidrBlock") or "10.0.0.0/24",
        "ownerId": account,
        "state": "available",
    }


def kms_key(args, account, region):
    key_id = str(args.get("keyId", ""))
    if key_id.startswith("arn:aws:kms:") and ":key/" in key_id:
        ident = key_id.rsplit("/", 1)[-1]
    else:
        ident = _uuid(account, region, key_id)
    aws_managed = key_id.startswith("alias/aws/")
    return {
        "id": ident,
        "keyId": key_id,
        "arn": f"arn:aws:kms:{region}:{account}:key/{ident}",
        "keyManager": "AWS" if aws_managed else "CUSTOMER",
        "keyState": "Enabled",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "enabled": True,
        "awsAccountId": account,
        "origin": "AWS_KMS",
        "multiRegion": False,
    }


# Documents of AWS-managed policies short enough to ship; others get an unknown-free shape
# without a document and are counted as unanswered.
MANAGED_POLICIES = {
    "AdministratorAccess": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "PowerUserAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": ["iam:*", "organizations:*", "account:*"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "iam:CreateServiceLinkedRole",
                    "iam:DeleteServiceLinkedRole",
                    "iam:ListRoles",
                    "organizations:DescribeOrganization",
                    "account:ListRegions",
                    "account:GetAccountInformation",
                ],
                "Resource": "*",
            },
        ],
    },
}


def iam_policy(args, account, region):
    arn = args.get("arn") or f"arn:aws:iam::aws:policy/{args.get('name', '')}"
    name = arn.rsplit("/", 1)[-1]
    document = MANAGED_POLICIES.get(name) if ":aws:policy/" in arn else None
    if document is None:
        raise LookupError(arn)
    import json

    return {
        "arn": arn,
        "id": arn,
        "name": name,
        "path": "/",
        "policyId": f"ANPA{_hex(arn, length=17).upper()}",
        "policy": json.dumps(document),
        "attachmentCount": 0,
        "tags": {},
    }


def iam_role(args, account, region):
    name = str(args.get("name", ""))
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:iam::{account}:role/{name}",
        "path": "/",
        "uniqueId": f"AROA{_hex(account, name, length=17).upper()}",
        "maxSessionDuration": 3600,
    }


def hosted_zone(args, account, region):
    name = str(args.get("name", "")).rstrip(".") + "."
    zone = args.get("zoneId") or f"Z{_hex(account, name, length=20).upper()}"
    return {
        "id": zone,
        "zoneId": zone,
        "name": name,
        "arn": f"arn:aws:route53:::hostedzone/{zone}",
        "privateZone": bool(args.get("privateZone")),
        "callerReference": zone,
        "nameServers": [f"ns-{i}.awsdns-{i:02d}.org" for i in (101, 202, 303, 404)],
        "resourceRecordSetCount": 2,
    }


def certificate(args, account, region):
    ident = _uuid(account, region, args.get("domain"))
    arn = f"arn:aws:acm:{region}:{account}:certificate/{ident}"
    return {
        "id": arn,
        "arn": arn,
        "domain": args.get("domain"),
        "status": "ISSUED",
        "type": "AMAZON_ISSUED",
        "keyTypes": ["RSA_2048"],
    }


def ssm_parameter(args, account, region):
    name = str(args.get("name", ""))
    value = f"offline-value-of-{name.strip('/').replace('/', '-')}"
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}",
        "type": "String",
        "value": value,
        "insecureValue": value,
        "version": 1,
        "withDecryption": args.get("withDecryption", True),
    }


ANSWERS: dict[str, Answer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": caller_identity,
    "aws:index/getRegion:getRegion": region_info,
    "aws:index/getPartition:getPartition": partition,
    "aws:index/getAvailabilityZones:getAvailabilityZones": availability_zones,
    "aws:index/getArn:getArn": arn_parts,
    "aws:iam/getPolicyDocument:getPolicyDocument": lambda args, account, region: (
        render_policy_document(args)
    ),
    "aws:ec2/getAmi:getAmi": ami,
    "aws:ec2/getAmiIds:getAmiIds": ami_ids,
    "aws:ec2/getVpc:getVpc": default_vpc,
    "aws:ec2/getSubnets:getSubnets": subnets,
    "aws:ec2/getSubnet:getSubnet": subnet,
    "aws:kms/getKey:getKey": kms_key,
    "aws:iam/getPolicy:getPolicy": iam_policy,
    "aws:iam/getRole:getRole": iam_role,
    "aws:route53/getZone:getZone": hosted_zone,
    "aws:acm/getCertificate:getCertificate": certificate,
    "aws:ssm/getParameter:getParameter": ssm_parameter,
}
# Answers whose values AWS alone knows, derived deterministically instead: the report says so.
DERIVED = frozenset(
    {
        "aws:ec2/getAmi:getAmi",
        "aws:ec2/getAmiIds:getAmiIds",
        "aws:ec2/getVpc:getVpc",
        "aws:ec2/getSubnets:getSubnets",
        "aws:ec2/getSubnet:getSubnet",
        "aws:ssm/getParameter:getParameter",
        "aws:route53/getZone:getZone",
        "aws:acm/getCertificate:getCertificate",
        "aws:index/getAvailabilityZones:getAvailabilityZones",
    }
)


class InvokeAnswers:
    """Answers invokes and keeps count of those answered by derivation or not at all."""

    def __init__(self) -> None:
        self.unanswered: Counter[str] = Counter()
        self.derived: Counter[str] = Counter()
        # plain (non-Output) invokes handed an empty result, which the program may trip on
        self.empty: Counter[str] = Counter()
        # the SDK calls the monitor from several threads at once
        self._lock = threading.Lock()

    def record_empty(self, token: str) -> None:
        with self._lock:
            self.empty[token] += 1

    def empty_note(self) -> str:
        """Names the invokes that got an empty result, for a program that then failed."""
        if not self.empty:
            return ""
        listed = ", ".join(f"{t} ({n}x)" for t, n in sorted(self.empty.items()))
        return (
            f"\nobsgov has no offline answer for the invoke(s) {listed}: the program got an "
            "empty result, which may be what it failed on"
        )

    def answer(
        self, token: str, args: Mapping[str, Any], account: str, region: str
    ) -> dict[str, Any] | None:
        handler = ANSWERS.get(token)
        try:
            result = handler(args, account, region) if handler is not None else None
        except LookupError:
            result = None
        with self._lock:
            if result is None:
                self.unanswered[token] += 1
            elif token in DERIVED:
                self.derived[token] += 1
        return result
