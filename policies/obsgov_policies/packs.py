"""Build a CrossGuard pack from the registry (called by each pack folder's __main__.py)."""

from __future__ import annotations

import gc

from pulumi_policy import EnforcementLevel, PolicyPack

from .catalog import pack_table, policies_for


def relax_gc() -> None:
    """Analyze turns every request into fresh dicts and proxies, once per policy; with the
    default thresholds the cyclic collector runs every few resources (about a fifth of a
    pack's time on a 1,500-resource stack). Everything imported so far is frozen out of its
    sight and young collections are made rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def build_pack(pack: str) -> None:
    packs = pack_table()
    if pack not in packs:
        raise ValueError(f"unknown pack {pack!r}; expected one of {', '.join(packs)}")
    warm_up = packs[pack].warm_up
    if warm_up is not None:
        warm_up()
    relax_gc()
    PolicyPack(
        name=f"obsgov-{pack}",
        description=packs[pack].description,
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[spec.build() for spec in policies_for(pack)],
        provider="aws",
        tags=["obsgov", pack],
    )
