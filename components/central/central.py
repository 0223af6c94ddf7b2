"""The central observability account: the CloudWatch OAM sink every member links to.

The sink policy admits ``oam:CreateLink``/``oam:UpdateLink`` only from principals of this
organization (``aws:PrincipalOrgID``) and only for the resource types obsgov shares.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..member.member_baseline import SHARED_RESOURCE_TYPES


@dataclass
class CentralObservabilityArgs:
    organization_id: str
    environment: str
    shared_resource_types: Sequence[str] = tuple(SHARED_RESOURCE_TYPES)


def sink_policy(organization_id: str, resource_types: Sequence[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OrganizationMembersLink",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Resource": "*",
                    "Action": ["oam:CreateLink", "oam:UpdateLink"],
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": organization_id},
                        "ForAllValues:StringEquals": {"oam:ResourceTypes": list(resource_types)},
                    },
                }
            ],
        },
        sort_keys=True,
    )


class CentralObservability(pulumi.ComponentResource):
    """OAM sink in the observability account, open to the organization's accounts only."""

    sink: aws.oam.Sink

    def __init__(
        self,
        name: str,
        args: CentralObservabilityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("obsgov:central:CentralObservability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.sink = aws.oam.Sink(f"{name}-sink", name=f"obsgov-{args.environment}", opts=child)
        aws.oam.SinkPolicy(
            f"{name}-sink-policy",
            sink_identifier=self.sink.arn,
            policy=sink_policy(args.organization_id, args.shared_resource_types),
            opts=child,
        )
        self.register_outputs({"sinkArn": self.sink.arn})
