"""Environments for tests: copies of the shipped ones, and small named scenarios built here.

A scenario is the smallest environment that shows one thing: :func:`minimal` is valid, and a
test changes one named fact of it (``scenario.accounts[0]["id"] = ...`` on an environment
of two accounts reads as what it is, unlike an index into the shipped registry).
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from obsgov.config.environment import EnvironmentConfig
from obsgov.config.loader import load_environment

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
EXAMPLE_STACKS = ("dev", "staging", "prod")

MANAGEMENT = "100000000001"
OBSERVABILITY = "100000000002"
LOG_ARCHIVE = "100000000003"


def read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass
class InlineEnvironment:
    """An environment in a temp folder, editable as plain dicts before it is written."""

    directory: Path
    stack: str
    stack_doc: dict
    organization: dict
    registry: dict
    # stack name -> stack file of the stacks this one reads through a StackReference (the
    # organisation stack of a shipped environment), written beside it
    referenced: dict = field(default_factory=dict)

    @property
    def stack_file(self) -> Path:
        return self.directory / f"Pulumi.{self.stack}.yaml"

    @property
    def config(self) -> dict:
        return self.stack_doc.setdefault("config", {})

    @property
    def accounts(self) -> list:
        return self.registry.setdefault("accounts", [])

    @property
    def workloads(self) -> list:
        return self.registry.setdefault("workloads", [])

    def write(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.stack_file.write_text(yaml.safe_dump(self.stack_doc, sort_keys=False))
        for name, doc in self.referenced.items():
            (self.directory / f"Pulumi.{name}.yaml").write_text(
                yaml.safe_dump(doc, sort_keys=False)
            )
        (self.directory / "organization.yaml").write_text(
            yaml.safe_dump(self.organization, sort_keys=False)
        )
        (self.directory / "accounts.yaml").write_text(
            yaml.safe_dump(self.registry, sort_keys=False)
        )
        return self.stack_file

    def load(self) -> EnvironmentConfig:
        self.write()
        return load_environment(self.stack, self.stack_file)

    def synthesize(self, preview: bool = True):
        from obsgov.synth import synthesize

        return synthesize(self.load(), preview=preview)


def shipped(directory: Path, stack: str = "dev") -> InlineEnvironment:
    """A copy of a shipped example environment, with the organisation stack it reads."""
    stack_doc = copy.deepcopy(read(STACKS / f"Pulumi.{stack}.yaml"))
    org_stack = stack_doc.get("config", {}).get("obsgov:organizationStack")
    referenced = {org_stack: read(STACKS / f"Pulumi.{org_stack}.yaml")} if org_stack else {}
    return InlineEnvironment(
        directory=directory,
        stack=stack,
        stack_doc=stack_doc,
        organization=copy.deepcopy(read(STACKS / "organization.yaml")),
        registry=copy.deepcopy(read(STACKS / "accounts.yaml")),
        referenced=referenced,
    )


# --------------------------------------------------------------------------- small scenarios


def organization() -> dict:
    return {
        "organization": {
            "id": "o-abcdefghij",
            "managementAccountId": MANAGEMENT,
            "observabilityAccountId": OBSERVABILITY,
            "logArchiveAccountId": LOG_ARCHIVE,
            "platformOwner": "platform@example.com",
            "platformCostCentre": "CC-1000",
            "organizationalUnits": [
                {"name": "workloads-dev", "id": "ou-abcd-devwork1"},
                {"name": "workloads-prod", "id": "ou-abcd-prdwork1"},
            ],
        },
        "tagSchema": {
            "required": [
                {"key": "environment", "allowedValues": ["dev", "staging", "prod"]},
                {"key": "owner", "pattern": r"[^@\s]+@[^@\s]+\.[a-z]{2,}"},
                {"key": "cost-centre", "pattern": r"CC-\d{4}"},
                {
                    "key": "data-classification",
                    "allowedValues": ["public", "internal", "confidential"],
                },
            ],
            "mlResources": [
                {"key": "model-id", "pattern": "[a-z0-9][a-z0-9-]{1,62}"},
                {"key": "model-version", "pattern": r"\d+(\.\d+){0,2}"},
            ],
            "pipelines": [{"key": "pipeline", "pattern": "[a-z0-9][a-z0-9-]{1,62}"}],
        },
    }


def account(name: str, account_id: str, environment: str = "dev", **extra: Any) -> dict:
    entry = {
        "id": account_id,
        "name": name,
        "email": f"aws+{name}@example.com",
        "environment": environment,
        "organizationalUnit": f"workloads-{environment}",
        "owner": "team@example.com",
        "costCentre": "CC-2000",
    }
    entry.update(extra)
    return entry


def ml_endpoint(name: str, account_name: str, environment: str = "dev", **extra: Any) -> dict:
    entry = {
        "kind": "ml-endpoint",
        "name": name,
        "account": account_name,
        "environment": environment,
        "modelId": "fraud",
        "modelVersion": "1.0",
        "modelPackageGroup": "fraud",
        "slo": {"latencyP99Ms": 200, "errorRatePercent": 1},
        "instanceType": "ml.m5.large",
    }
    entry.update(extra)
    return entry


def etl_pipeline(name: str, account_name: str, environment: str = "dev", **extra: Any) -> dict:
    entry = {
        "kind": "etl-pipeline",
        "name": name,
        "account": account_name,
        "environment": environment,
        "engine": "glue",
        "slo": {"maxDurationMinutes": 60},
    }
    entry.update(extra)
    return entry


def business_kpi(name: str, account_name: str, environment: str = "dev", **extra: Any) -> dict:
    entry = {
        "kind": "business-kpi",
        "name": name,
        "account": account_name,
        "environment": environment,
        "namespace": "Shop",
        "metricName": "Orders",
    }
    entry.update(extra)
    return entry


def minimal(directory: Path, stack: str = "dev") -> InlineEnvironment:
    """A valid environment: one dev and one prod account, one workload of each kind in dev."""
    environment = stack if stack in EXAMPLE_STACKS else "dev"
    return InlineEnvironment(
        directory=directory,
        stack=stack,
        stack_doc={"config": {"aws:region": "eu-west-1", "obsgov:environment": environment}},
        organization=organization(),
        registry={
            "accounts": [
                account("serving-dev", "200000000001", "dev"),
                account("serving-prod", "200000000002", "prod"),
            ],
            "workloads": [
                ml_endpoint("fraud-dev", "serving-dev"),
                etl_pipeline("orders-etl", "serving-dev"),
                business_kpi("orders-kpi", "serving-dev"),
            ],
        },
    )


# --------------------------------------------------------------------------- tree hashing


def tree_digest(
    *roots: Path,
    skip: tuple[str, ...] = (".venv", ".git", "__pycache__", ".hypothesis", ".pytest_cache"),
) -> dict[str, str]:
    """Every file under ``roots`` with a digest of its bytes (symlinks by their target), so a
    test can show that a command wrote nothing."""
    digests: dict[str, str] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in skip]
            for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = os.path.join(folder, name)
                digests[path] = _digest(path)
    return digests


def _digest(path: str) -> str:
    if os.path.islink(path):
        return "link:" + os.readlink(path)
    if not os.path.isfile(path):  # a FIFO would block the read
        return f"special:{os.stat(path).st_mode:o}"
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def compare(
    before: dict[str, str], after: dict[str, str], ignore: set[str] | None = None
) -> Changes:
    ignore = ignore or set()
    return Changes(
        added=sorted(set(after) - set(before) - ignore),
        removed=sorted(set(before) - set(after) - ignore),
        changed=sorted(
            p for p in set(before) & set(after) if before[p] != after[p] and p not in ignore
        ),
    )
