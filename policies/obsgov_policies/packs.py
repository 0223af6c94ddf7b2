"""Build a CrossGuard pack from the registry (called by each pack folder's __main__.py)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack

from .registry import PACKS, policies_for
from .tags import taggable_types

DESCRIPTIONS = {
    "tagging": "Every taggable resource carries the organisation's tags.",
    "observability": "Alarms are actionable and valid; logs are kept and encrypted; workloads are alarmed.",
    "security-baseline": "S3, KMS, SNS, CloudTrail, OpenSearch, OAM, IAM and SageMaker security settings.",
    "model-governance": "SageMaker models serve approved, registered packages and are monitored.",
}


def build_pack(pack: str) -> None:
    if pack not in PACKS:
        raise ValueError(f"unknown pack {pack!r}; expected one of {', '.join(PACKS)}")
    if pack == "tagging":
        # Derive the taggable types before serving: the gRPC server's worker threads would
        # otherwise all race to compute them on their first Analyze.
        taggable_types()
    PolicyPack(
        name=f"obsgov-{pack}",
        description=DESCRIPTIONS[pack],
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[spec.build() for spec in policies_for(pack)],
        provider="aws",
        tags=["obsgov", pack],
    )
