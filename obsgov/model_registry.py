"""``obsgov registry snapshot``: record the model registry's packages for the offline gate.

The model-governance pack verifies approval against the live registry when it has
credentials; the offline gate has none, so it reads this snapshot instead. The snapshot is
deterministic (sorted, no timestamps but the one in ``takenAt``) so it diffs well in review.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from obsgov.files import write_atomic
from obsgov_policies.model_registry import SNAPSHOT_FORMAT, record_from_description


def _pages(client: Any, method: str, key: str, **kwargs) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: Optional[str] = None
    while True:
        call = dict(kwargs)
        if token:
            call["NextToken"] = token
        response = getattr(client, method)(**call)
        items.extend(response.get(key, []))
        token = response.get("NextToken")
        if not token:
            return items


def take_snapshot(client: Any, registry_account_id: str, region: str,
                  groups: Optional[list[str]] = None) -> dict[str, Any]:
    """Describe every versioned package of every group (or of ``groups``)."""
    if groups is None:
        groups = sorted(g["ModelPackageGroupName"]
                        for g in _pages(client, "list_model_package_groups", "ModelPackageGroupSummaryList"))
    packages = []
    for group in groups:
        for summary in _pages(client, "list_model_packages", "ModelPackageSummaryList",
                              ModelPackageGroupName=group, ModelPackageType="Versioned"):
            description = client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            packages.append(record_from_description(description).to_json())
    packages.sort(key=lambda p: (p["group"], p["version"]))
    return {
        "formatVersion": SNAPSHOT_FORMAT,
        "registryAccountId": registry_account_id,
        "region": region,
        "takenAt": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "packages": packages,
    }


def write_snapshot(snapshot: dict[str, Any], path: Path) -> None:
    write_atomic(path, json.dumps(snapshot, indent=2, sort_keys=True) + "\n")


def registry_client(region: str, role_arn: Optional[str]):
    """A SageMaker client in the registry account (assuming ``role_arn`` when given)."""
    import boto3

    session = boto3.Session(region_name=region)
    if role_arn:
        credentials = session.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName="obsgov-registry-snapshot")["Credentials"]
        session = boto3.Session(
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return session.client("sagemaker")
