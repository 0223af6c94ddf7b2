"""``obsgov registry snapshot``: record the SageMaker model registry for the offline gate.

The model-governance pack verifies approval against the live registry when it has
credentials; the offline gate has none, so it reads this snapshot instead. The snapshot is
deterministic (sorted, no timestamps but the one in ``takenAt``) so it diffs well in review.

Before a snapshot may replace the committed one, obsgov checks that it came from the
configured registry account (the caller's account after any role assumption, and the account
in every package ARN) and that it does not silently lose packages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from obsgov.clock import utc_now
from obsgov.errors import InputError
from obsgov.io import display_path, read_json, write_atomic
from obsgov_policies.approval_source import SNAPSHOT_FORMAT, record_from_description

ROLE_SESSION_NAME = "obsgov-registry-snapshot"
#: Environment variables botocore reads endpoint URLs from (the per-service ones too).
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SAGEMAKER")


class SnapshotRefused(Exception):
    """The snapshot must not be written; the message says why and how to proceed."""


def _pages(client: Any, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        call = dict(kwargs)
        if token:
            call["NextToken"] = token
        response = getattr(client, method)(**call)
        items.extend(response.get(key, []))
        token = response.get("NextToken")
        if not token:
            return items


def take_snapshot(
    client: Any,
    registry_account_id: str,
    region: str,
    groups: list[str] | None = None,
    taken_at: datetime | None = None,
) -> dict[str, Any]:
    """Describe every versioned package of every group (or of ``groups``)."""
    if groups is None:
        groups = sorted(
            g["ModelPackageGroupName"]
            for g in _pages(client, "list_model_package_groups", "ModelPackageGroupSummaryList")
        )
    packages = []
    for group in groups:
        for summary in _pages(
            client,
            "list_model_packages",
            "ModelPackageSummaryList",
            ModelPackageGroupName=group,
            ModelPackageType="Versioned",
        ):
            description = client.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            packages.append(record_from_description(description).to_json())
    packages.sort(key=lambda p: (p["group"], p["version"]))
    return {
        "formatVersion": SNAPSHOT_FORMAT,
        "registryAccountId": registry_account_id,
        "region": region,
        "takenAt": (taken_at or utc_now()).replace(microsecond=0).isoformat(),
        "packages": packages,
    }


def arn_account(arn: str) -> str:
    """The account field of an ARN (``arn:partition:service:region:account:resource``)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def check_caller(caller_account: str, expected: str) -> None:
    """The credentials reach the configured registry account: a snapshot of another
    account's registry would approve the wrong models."""
    if caller_account != expected:
        raise SnapshotRefused(
            f"the credentials reach account {caller_account}, not the registry account "
            f"{expected} that modelApproval.registryAccountId names; nothing was written"
        )


def check_package_accounts(snapshot: dict[str, Any]) -> None:
    """Every package ARN names the registry account."""
    expected = snapshot["registryAccountId"]
    foreign = sorted({p["arn"] for p in snapshot["packages"] if arn_account(p["arn"]) != expected})
    if foreign:
        raise SnapshotRefused(
            f"{len(foreign)} package(s) are not in the registry account {expected} (first: "
            f"{foreign[0]}); nothing was written"
        )


def check_replacement(snapshot: dict[str, Any], path: Path, force: bool) -> None:
    """Refuse to replace a snapshot with one holding fewer packages (a registry reached by
    mistake, or a failed listing, would otherwise un-approve every model) unless ``force``."""
    if force or not os.path.lexists(path):
        return
    try:
        previous = read_json(path)
    except InputError as exc:
        raise SnapshotRefused(
            f"the existing snapshot cannot be read ({exc.problems[0]}); give --force to replace it"
        ) from None
    old = previous.get("packages") if isinstance(previous, dict) else None
    if not isinstance(old, list):
        raise SnapshotRefused(
            f"the existing snapshot {display_path(path)} is not an obsgov "
            "snapshot; give --force to replace it"
        )
    new = snapshot["packages"]
    if len(new) < len(old):
        lost = sorted(
            {str(p["arn"]) for p in old if isinstance(p, dict) and p.get("arn")}
            - {p["arn"] for p in new}
        )
        detail = f" (missing: {lost[0]}{' and more' if len(lost) > 1 else ''})" if lost else ""
        raise SnapshotRefused(
            f"the registry now lists {len(new)} packages but {display_path(path)} holds "
            f"{len(old)}{detail}; give --force to replace it anyway"
        )


def write_snapshot(snapshot: dict[str, Any], path: Path) -> None:
    write_atomic(path, json.dumps(snapshot, indent=2, sort_keys=True) + "\n")


def check_endpoint_variables(environ: dict[str, str] | None = None) -> None:
    """A malformed endpoint URL in the environment is bad input, named as such (botocore
    would fail deep inside client creation)."""
    environ = dict(os.environ) if environ is None else environ
    for name in ENDPOINT_VARIABLES:
        value = environ.get(name)
        if value is None:
            continue
        try:
            parts = urlsplit(value)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            valid = False
        if not valid:
            raise InputError.single(
                f"environment variable {name}",
                "",
                f"{value!r} is not an endpoint URL (expected http(s)://host[:port])",
            )


SessionFactory = Callable[..., Any]


def _default_session(**kwargs: Any) -> Any:
    import boto3

    return boto3.Session(**kwargs)


def open_registry(
    region: str, role_arn: str | None, session_factory: SessionFactory = _default_session
) -> tuple[Any, Any]:
    """SageMaker and STS clients in the registry account, assuming ``role_arn`` when given.

    The STS client is the one ``check_accounts`` asks who the caller is: it uses the same
    credentials as the SageMaker client.
    """
    session = session_factory(region_name=region)
    if role_arn:
        credentials = session.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME
        )["Credentials"]
        session = session_factory(
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return session.client("sagemaker"), session.client("sts")


def snapshot_registry(
    region: str,
    registry_account_id: str,
    role_arn: str | None,
    target: Path,
    force: bool = False,
    session_factory: SessionFactory = _default_session,
) -> dict[str, Any]:
    """Take, check and write a snapshot; returns what was written.

    AWS errors propagate as botocore exceptions; refusals as :class:`SnapshotRefused`.
    """
    check_endpoint_variables()
    sagemaker, sts = open_registry(region, role_arn, session_factory)
    check_caller(sts.get_caller_identity()["Account"], registry_account_id)
    snapshot = take_snapshot(sagemaker, registry_account_id, region)
    check_package_accounts(snapshot)
    check_replacement(snapshot, target, force)
    write_snapshot(snapshot, target)
    return snapshot
