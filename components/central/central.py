"""The central observability account: the CloudWatch OAM sink every member links to.

The sink policy admits ``oam:CreateLink``/``oam:UpdateLink`` only from the registered member
accounts (of every environment that shares the sink), only while they are in this organization
(``aws:PrincipalOrgID``) and only for the resource types obsgov shares: another account of the
organization cannot put its metrics and logs beside prod's. A newly registered account can link
once the stack that owns the sink has been updated with it.
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
    account_id: str  # the observability account, which owns the sink
    # the member accounts that link to the sink (their OAM links)
    source_account_ids: Sequence[str]
    shared_resource_types: Sequence[str] = tuple(SHARED_RESOURCE_TYPES)


def sink_policy(
    organization_id: str,
    resource_types: Sequence[str],
    source_account_ids: Sequence[str],
    sink_account_id: str,
) -> str:
    """The account form of a sink policy (CloudWatch user guide, "Link monitoring accounts with
    source accounts", PutSinkPolicy: ``"Principal": {"AWS": [account ids]}``), kept inside the
    organization. With no member yet, only the sink's own account (a Principal list may not be
    empty)."""
    accounts = sorted(set(source_account_ids)) or [sink_account_id]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RegisteredAccountsLink",
                    "Effect": "Allow",
                    "Principal": {"AWS": accounts},
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
    """OAM sink in the observability account, open to the registered member accounts only."""

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
            policy=sink_policy(
                args.organization_id,
                args.shared_resource_types,
                args.source_account_ids,
                args.account_id,
            ),
            opts=child,
        )
        self.register_outputs({"sinkArn": self.sink.arn})
