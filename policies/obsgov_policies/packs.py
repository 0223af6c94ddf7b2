"""Build a CrossGuard pack from the registry (called by each pack folder's __main__.py)."""

from __future__ import annotations

import gc

from pulumi_policy import EnforcementLevel, PolicyPack

from .registry import PACKS, policies_for
from .tags import taggable_types

DESCRIPTIONS = {
    "tagging": "Every taggable resource carries the organisation's tags.",
    "observability": "Alarms are actionable and valid; logs are kept and encrypted; workloads are alarmed.",
    "security-baseline": "S3, KMS, SNS, CloudTrail, OpenSearch, OAM, IAM and SageMaker security settings.",
    "model-governance": "SageMaker models serve approved, registered packages and are monitored.",
}


def relax_gc() -> None:
    """Analyze turns every request into fresh dicts and proxies, once per policy; with the
    default thresholds the cyclic collector runs every few resources (about a fifth of a
    pack's time on a 1,500-resource stack). Everything imported so far is frozen out of its
    sight and young collections are made rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def build_pack(pack: str) -> None:
    if pack not in PACKS:
        raise ValueError(f"unknown pack {pack!r}; expected one of {', '.join(PACKS)}")
    if pack == "tagging":
        # Derive the taggable types before serving: the gRPC server's worker threads would
        # otherwise all race to compute them on their first Analyze.
        taggable_types()
    relax_gc()
    PolicyPack(
        name=f"obsgov-{pack}",
        description=DESCRIPTIONS[pack],
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[spec.build() for spec in policies_for(pack)],
        provider="aws",
        tags=["obsgov", pack],
    )
