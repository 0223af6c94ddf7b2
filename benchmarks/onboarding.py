"""Count the AWS API calls one account onboarding makes, against moto, step by step.

Every client obsgov creates carries a botocore ``before-call`` hook that records the
operation; a second hook on ``before-send`` counts HTTP attempts (retries included). It runs
four scenarios in one moto organization, with the shipped ``accountFactory`` (alternate
contacts, an Identity Center assignment, default VPC deletion in every Region, the
Region-deny SCP), and prints, for each, the calls and writes of each step, the total, and
whether the registry file changed:

* a new account (``--create``);
* a rerun of the same command (must write nothing);
* an existing member account in the root OU, with no tags and no deployment role;
* a rerun of that one.

Target (issues 13 and 35): 0 writes on a rerun, the registry untouched. Exits 1 when missed.
Default VPC deletion reads every Region (one DescribeVpcs each, moto knows about 30): it is
most of the calls of a rerun, and ``accountFactory.deleteDefaultVpcs: false`` removes them.

    .venv/bin/python benchmarks/onboarding.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "eu-west-1"
OUS = ("ml-dev", "data-dev", "ml-staging", "data-staging", "ml-prod", "data-prod", "suspended")
READS = ("Get", "List", "Describe")
# Which onboarding step makes an operation (service:Operation), for the per-step figures.
STEPS = (
    ("identity", ("sts:GetCallerIdentity", "iam:GetRole@caller")),
    (
        "account in the organization",
        (
            "organizations:ListAccounts",
            "organizations:ListCreateAccountStatus",
            "organizations:DescribeOrganizationalUnit",
            "organizations:CreateAccount",
            "organizations:DescribeCreateAccountStatus",
            "organizations:DescribeAccount",
        ),
    ),
    ("OU", ("organizations:ListParents", "organizations:MoveAccount")),
    ("tags", ("organizations:ListTagsForResource", "organizations:TagResource")),
    ("deployment role", ("sts:AssumeRole", "iam:")),
    ("alternate contacts", ("account:",)),
    ("Identity Center", ("sso-admin:",)),
    ("default VPCs", ("ec2:",)),
    (
        "Region-deny SCP",
        (
            "organizations:ListPolicies",
            "organizations:CreatePolicy",
            "organizations:DescribePolicy",
            "organizations:UpdatePolicy",
            "organizations:ListPoliciesForTarget",
            "organizations:AttachPolicy",
        ),
    ),
)


def step_of(call: str) -> str:
    for step, prefixes in STEPS:
        if any(call == p or (p.endswith(":") and call.startswith(p)) for p in prefixes):
            return step
    return "other"


class Counter_:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.attempts = 0

    def call(self, model=None, **_) -> None:
        self.calls.append(f"{model.service_model.service_name}:{model.name}")

    def send(self, **_) -> None:
        self.attempts += 1

    def writes(self) -> list[str]:
        return [c for c in self.calls if is_write(c)]


def is_write(call: str) -> bool:
    return not call.split(":")[1].startswith(READS) and call != "sts:AssumeRole"


def main() -> int:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    import boto3
    import yaml
    from moto import mock_aws

    from obsgov.accounts import Aws, Onboarding, OnboardRequest
    from obsgov.config import load_environment

    common: dict[str, Any] = dict(
        owner="ml-platform@example.com",
        cost_centre="CC-2100",
        data_classification="internal",
        ou="ml-prod",
    )
    failed = False
    with (
        mock_aws(config={"iam": {"load_aws_managed_policies": False}}),
        tempfile.TemporaryDirectory() as tmp,
    ):
        session = boto3.Session(region_name=REGION)
        orgs = session.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        root = orgs.list_roots()["Roots"][0]["Id"]
        ou_ids = {
            n: orgs.create_organizational_unit(ParentId=root, Name=n)["OrganizationalUnit"]["Id"]
            for n in OUS
        }
        stacks = Path(tmp) / "stacks"
        stacks.mkdir()
        for name in ("Pulumi.prod.yaml", "accounts.yaml"):
            (stacks / name).write_text((ROOT / "stacks" / name).read_text())
        org = yaml.safe_load((ROOT / "stacks" / "organization.yaml").read_text())
        org["organization"]["managementAccountId"] = "123456789012"
        org["accountFactory"]["deployerArn"] = "arn:aws:iam::123456789012:user/moto"
        for ou in org["organization"]["organizationalUnits"]:
            ou["id"] = ou_ids[ou["name"]]
        (stacks / "organization.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
        status = orgs.create_account(
            AccountName="ml-legacy-prod", Email="aws+ml-legacy-prod@example.com"
        )
        existing = orgs.describe_create_account_status(
            CreateAccountRequestId=status["CreateAccountStatus"]["Id"]
        )["CreateAccountStatus"]["AccountId"]

        scenarios = [
            (
                "new account (--create)",
                OnboardRequest(
                    create=True, name="ml-new-prod", email="aws+ml-new-prod@example.com", **common
                ),
                None,
                None,
            ),
            ("rerun of the same", None, None, 0),
            ("existing member account", OnboardRequest(account_id=existing, **common), None, None),
            ("rerun of the same", None, None, 0),
        ]
        previous: OnboardRequest | None = None
        rows: list[dict[str, Any]] = []
        for label, given, max_calls, max_writes in scenarios:
            request = given or previous
            assert request is not None
            previous = request
            counter = Counter_()
            aws = Aws(
                region=REGION,
                session=session,
                sleep=lambda s: None,
                hooks=[("before-call", counter.call), ("before-send", counter.send)],
            )
            registry = stacks / "accounts.yaml"
            before = registry.read_bytes()
            env = load_environment("prod", stacks / "Pulumi.prod.yaml")
            started = time.perf_counter()
            Onboarding(env, request, aws, poll_interval=0).run()
            seconds = time.perf_counter() - started
            writes = counter.writes()
            changed = registry.read_bytes() != before
            ok = (max_calls is None or len(counter.calls) <= max_calls) and (
                max_writes is None or (len(writes) <= max_writes and not changed)
            )
            failed |= not ok
            rows.append(
                {
                    "scenario": label,
                    "calls": len(counter.calls),
                    "http_attempts": counter.attempts,
                    "aws_writes": len(writes),
                    "registry_changed": changed,
                    "target_met": ok,
                    "seconds_under_moto": round(seconds, 2),
                    "by_operation": dict(Counter(counter.calls)),
                    "by_step": {
                        step: {
                            "calls": sum(1 for c in counter.calls if step_of(c) == step),
                            "writes": sum(
                                1 for c in counter.calls if step_of(c) == step and is_write(c)
                            ),
                        }
                        for step in [s for s, _ in STEPS] + ["other"]
                        if any(step_of(c) == step for c in counter.calls)
                    },
                }
            )
    for row in rows:
        print(
            f"{row['scenario']}: {row['calls']} API calls ({row['http_attempts']} HTTP "
            f"attempts), {row['aws_writes']} AWS writes, registry "
            f"{'changed' if row['registry_changed'] else 'unchanged'}"
            f"{'' if row['target_met'] else '  <-- TARGET MISSED'}"
        )
        for step, figures in row["by_step"].items():
            print(f"    {step}: {figures['calls']} calls, {figures['writes']} writes")
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
