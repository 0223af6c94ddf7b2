"""Where model-package approval comes from: the live registry (boto3) or a snapshot file.

A real ``pulumi preview`` with credentials asks the SageMaker model registry; the offline gate
reads the snapshot ``obsgov registry snapshot`` wrote. When neither is available, callers fail
closed with :class:`ApprovalUnavailable`'s reason.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/([A-Za-z0-9-]{1,63})/(\d+)$"
)
SNAPSHOT_FORMAT = 1


class ApprovalUnavailable(Exception):
    """Approval cannot be verified; the message says why."""


@dataclass(frozen=True)
class PackageRecord:
    arn: str
    group: str
    version: int
    approval_status: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    deployed_environments: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "group": self.group,
            "version": self.version,
            "approvalStatus": self.approval_status,
            "metadata": dict(sorted(self.metadata.items())),
            "deployedEnvironments": sorted(self.deployed_environments),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PackageRecord:
        return cls(
            arn=str(data["arn"]),
            group=str(data.get("group", "")),
            version=int(data.get("version", 0)),
            approval_status=str(data.get("approvalStatus", "")),
            metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
            deployed_environments=tuple(str(e) for e in data.get("deployedEnvironments") or ()),
        )


def record_from_description(description: Mapping[str, Any]) -> PackageRecord:
    """Build a record from SageMaker's DescribeModelPackage response."""
    metadata = dict(description.get("CustomerMetadataProperties") or {})
    deployed = [
        e.strip() for e in metadata.get("deployed-environments", "").split(",") if e.strip()
    ]
    return PackageRecord(
        arn=description["ModelPackageArn"],
        group=description.get("ModelPackageGroupName", ""),
        version=int(description.get("ModelPackageVersion") or 0),
        approval_status=description.get("ModelApprovalStatus", ""),
        metadata=metadata,
        deployed_environments=tuple(deployed),
    )


class SnapshotSource:
    def __init__(self, path: str):
        self.path = path
        try:
            stat = Path(path).stat()
        except FileNotFoundError:
            raise ApprovalUnavailable(
                f"the registry snapshot {path} does not exist; run "
                "`obsgov registry snapshot` to write it"
            ) from None
        except OSError as exc:
            raise ApprovalUnavailable(
                f"the registry snapshot {path} cannot be read ({exc})"
            ) from None
        # keyed by modification as well as path: a rewritten snapshot is read again
        self.records = _load_snapshot(path, stat.st_mtime_ns, stat.st_size)

    def describe(self) -> str:
        return f"the registry snapshot {self.path}"

    def lookup(self, arn: str) -> PackageRecord | None:
        return self.records.get(arn)


@functools.lru_cache(maxsize=8)
def _load_snapshot(path: str, mtime_ns: int, size: int) -> dict[str, PackageRecord]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ApprovalUnavailable(f"the registry snapshot {path} cannot be read ({exc})") from None
    if not isinstance(data, dict) or data.get("formatVersion") != SNAPSHOT_FORMAT:
        raise ApprovalUnavailable(
            f"the registry snapshot {path} is not an obsgov snapshot "
            f"(formatVersion {SNAPSHOT_FORMAT})"
        )
    try:
        records = [PackageRecord.from_json(p) for p in data.get("packages") or []]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ApprovalUnavailable(
            f"the registry snapshot {path} has a malformed package ({exc})"
        ) from None
    return {r.arn: r for r in records}


class RegistrySource:
    """The live model registry, through boto3 (credentials from the environment)."""

    def __init__(self, client: Any):
        self.client = client
        self._cache: dict[str, PackageRecord | None] = {}

    def describe(self) -> str:
        return "the SageMaker model registry"

    def lookup(self, arn: str) -> PackageRecord | None:
        if arn not in self._cache:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self._cache[arn] = record_from_description(
                    self.client.describe_model_package(ModelPackageName=arn)
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("ValidationException", "ResourceNotFound"):
                    raise ApprovalUnavailable(
                        f"the model registry refused DescribeModelPackage ({code})"
                    ) from None
                self._cache[arn] = None  # not registered: callers fail closed
            except BotoCoreError as exc:
                raise ApprovalUnavailable(f"the model registry cannot be reached ({exc})") from None
        return self._cache[arn]


def approval_source(config: Mapping[str, Any], region: str | None = None):
    """Pick the source the config asks for; ``auto`` prefers the live registry when AWS
    credentials are available, else the snapshot."""
    mode = config.get("approvalSource", "auto")
    snapshot = config.get("registrySnapshotFile")
    if mode in ("registry", "auto"):
        import boto3

        session = boto3.Session(region_name=region)
        if session.get_credentials() is not None:
            return RegistrySource(session.client("sagemaker"))
        if mode == "registry":
            raise ApprovalUnavailable(
                "approvalSource is registry but no AWS credentials are available"
            )
    if isinstance(snapshot, str) and snapshot:
        return SnapshotSource(snapshot)
    raise ApprovalUnavailable(
        "no AWS credentials to ask the model registry and no registrySnapshotFile configured"
    )


def clear_caches() -> None:
    _load_snapshot.cache_clear()
