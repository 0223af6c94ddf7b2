"""Shared set-up for the onboarding tests: an organization in moto and a stacks folder whose
organization.yaml names that organization's OUs."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
REGION = "eu-west-1"
MANAGEMENT = "123456789012"  # moto's default account: the organization's management account
OU_NAMES = (
    "ml-dev",
    "data-dev",
    "ml-staging",
    "data-staging",
    "ml-prod",
    "data-prod",
    "suspended",
)


def build_organization(session: boto3.Session) -> dict[str, str]:
    """Create the organization and its OUs; return OU name -> id."""
    orgs = session.client("organizations", region_name=REGION)
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    return {
        name: orgs.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in OU_NAMES
    }


DEPLOYER = "arn:aws:iam::123456789012:user/moto"  # moto's caller, as an IAM principal


def write_stacks(
    target: Path, ou_ids: dict[str, str], org_id: str, default_vpcs: bool = False
) -> Path:
    """Copy the shipped stacks (accounts.yaml byte for byte, comments included) and point
    organization.yaml at the moto organization. The deployment role trusts moto's caller (so
    onboarding proves it by assuming it), and default VPCs are left alone unless asked for
    (moto makes one in each of its Regions for every account: slow, and tested on its own)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.dev.yaml", "Pulumi.prod.yaml", "accounts.yaml"):
        shutil.copyfile(STACKS / name, target / name)
    org = yaml.safe_load((STACKS / "organization.yaml").read_text())
    org["organization"]["id"] = org_id
    org["organization"]["managementAccountId"] = MANAGEMENT
    for ou in org["organization"]["organizationalUnits"]:
        ou["id"] = ou_ids[ou["name"]]
    org["accountFactory"]["deployerArn"] = DEPLOYER
    org["accountFactory"]["deleteDefaultVpcs"] = default_vpcs
    (target / "organization.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
    return target


def only_power_user_policy() -> str:
    """moto's AWS-managed policy data cut down to the one policy onboarding attaches: moto
    loads all of them into every new account, which costs seconds per account."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.dumps({"PowerUserAccess": json.loads(aws_managed_policies_data)["PowerUserAccess"]})


@dataclass
class CallLog:
    """Every API call made through clients carrying this hook, as service:Operation."""

    calls: list[str] = field(default_factory=list)

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_name}:{model.name}")

    @property
    def writes(self) -> list[str]:
        reads = ("Get", "List", "Describe")
        return [
            c
            for c in self.calls
            if not c.split(":")[1].startswith(reads) and c not in ("sts:AssumeRole",)
        ]

    def count(self) -> Counter:
        return Counter(self.calls)


# ---------------------------------------------------------------------- fault injection
# botocore's own event hooks, as its docs describe them: a ``before-call`` handler that returns
# (http_response, parsed) short-circuits the call; a ``before-send`` handler that returns an
# HTTP response replaces the network round trip (and goes through retries); an ``after-call``
# handler sees the parsed response and may change it.


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any):
        yield self.body


def http_response(status: int, body: bytes, headers: dict[str, str] | None = None):
    from botocore.awsrequest import AWSResponse

    return AWSResponse("https://fault.invalid/", status, headers or {}, _Raw(body))


def fake_error(operation: str, code: str, message: str, times: int | None = None, **extra: Any):
    """A ``before-call`` hook: ``operation`` fails with ``code`` (``times`` times, or always)."""
    state = {"left": times}

    def hook(model: Any = None, **_: Any):
        if model.name != operation or state["left"] == 0:
            return None
        if state["left"] is not None:
            state["left"] -= 1
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
            **extra,
        }
        return http_response(400, b""), parsed

    return ("before-call", hook)


def fake_response(operation: str, parsed: dict[str, Any]):
    """A ``before-call`` hook answering ``operation`` (one moto does not implement)."""
    seen: list[dict[str, Any]] = []

    def hook(model: Any = None, params: Any = None, **_: Any):
        if model.name != operation:
            return None
        seen.append(json.loads(params["body"]))  # the JSON request Organizations would get
        return http_response(200, b""), {**parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}

    hook.seen = seen  # type: ignore[attr-defined]
    return ("before-call", hook)


class Throttle:
    """A ``before-send`` hook: the first ``times`` attempts of each listed operation get a
    throttling error over HTTP, as AWS sends it; counts every attempt."""

    def __init__(self, operations: dict[str, int]) -> None:
        self.left = dict(operations)
        self.attempts: Counter = Counter()

    def __call__(self, request: Any = None, event_name: str = "", **_: Any):
        operation = event_name.rsplit(".", 1)[-1]
        self.attempts[operation] += 1
        if self.left.get(operation, 0) <= 0:
            return None
        self.left[operation] -= 1
        # AWS does not execute a throttled request: steer it past moto's stub, which runs
        # for every before-send handler's request even when an earlier one answered.
        request.url = "https://throttled.invalid/"
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        if b"Action=" in body:  # query protocol (IAM, STS): an XML error
            body = (
                b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                b"<Message>Rate exceeded</Message></Error><RequestId>1</RequestId>"
                b"</ErrorResponse>"
            )
            return http_response(400, body)
        body = b'{"__type":"TooManyRequestsException","Message":"Rate exceeded"}'
        return http_response(400, body, {"x-amzn-errortype": "TooManyRequestsException"})
