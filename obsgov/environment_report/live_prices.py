"""Current list prices from the AWS Price List API, for ``obsgov report --prices live``.

A price entry in ``prices.yaml`` may carry a ``live`` query: the Price List service code, the
usage type (without the region prefix AWS puts before it outside us-east-1, e.g. ``EU-``),
optional attribute filters, and ``scale``, the number of the API's units in the table's unit
(the API prices Lambda per request, the table per million). Entries without a query, and
queries that find no product, keep the shipped price; the report says which is which.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from obsgov.clock import utc_today

from .cost import PriceTable

# The Price List API answers from us-east-1 (and ap-south-1) for every region's prices.
PRICING_REGION = "us-east-1"


def live_table(
    shipped: PriceTable,
    region: str,
    client: Any = None,
    today: date | None = None,
) -> tuple[PriceTable, list[str]]:
    """``shipped`` with every price that has a query replaced by the API's current price for
    ``region``; returns the table and a note per price that kept its shipped value."""
    if client is None:
        import boto3

        client = boto3.client("pricing", region_name=PRICING_REGION)
    read = (today or utc_today()).isoformat()
    items = dict(shipped.items)
    notes = []
    for key, query in sorted(shipped.queries.items()):
        found = _query_price(client, query, region)
        if found is None:
            notes.append(
                f"{key}: the Price List API has no {query['service']} product with usage type "
                f"{query['usagetype']} in {region}; kept the shipped price"
            )
            continue
        usd, unit, sku = found
        price = usd * float(query.get("scale", 1))
        items[key] = replace(
            shipped.items[key],
            usd=price if region == shipped.region else shipped.items[key].usd,
            regions={**shipped.items[key].regions, region: price},
            source=f"AWS Price List API: {query['service']} SKU {sku} (USD per {unit}"
            + (f" x {query['scale']:,}" if query.get("scale", 1) != 1 else "")
            + ")",
            read=read,
            verified=True,
        )
    unqueried = sorted(set(shipped.items) - set(shipped.queries))
    if unqueried:
        notes.append("shipped prices kept (no Price List query): " + ", ".join(unqueried))
    table = PriceTable(shipped.region, items, dict(shipped.assumptions), dict(shipped.queries))
    return table, notes


def _query_price(
    client: Any, query: Mapping[str, Any], region: str
) -> tuple[float, str, str] | None:
    filters = [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "CONTAINS", "Field": "usagetype", "Value": query["usagetype"]},
        *(
            {"Type": "TERM_MATCH", "Field": field, "Value": value}
            for field, value in sorted((query.get("attributes") or {}).items())
        ),
    ]
    for product in _products(client, query["service"], filters):
        usage_type = product.get("product", {}).get("attributes", {}).get("usagetype", "")
        # CONTAINS also matches longer usage types (Request-ARM for Request): keep the exact
        # one, with or without its region prefix.
        if usage_type != query["usagetype"] and not usage_type.endswith("-" + query["usagetype"]):
            continue
        price = _first_paid_tier(product)
        if price is not None:
            return (*price, str(product.get("product", {}).get("sku", "")))
    return None


def _products(client: Any, service: str, filters: list[dict[str, str]]) -> Iterator[dict]:
    token = None
    while True:
        kwargs: dict[str, Any] = {"ServiceCode": service, "Filters": filters}
        if token:
            kwargs["NextToken"] = token
        page = client.get_products(**kwargs)
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item
        token = page.get("NextToken")
        if not token:
            return


def _first_paid_tier(product: Mapping[str, Any]) -> tuple[float, str] | None:
    """The on-demand price of the lowest tier that costs anything: free tiers and the
    discounts of higher volumes are left to the report's assumptions."""
    tiers = []
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = float(dimension.get("pricePerUnit", {}).get("USD", "0") or 0)
            if usd > 0:
                tiers.append((float(dimension.get("beginRange", "0") or 0), usd, dimension))
    if not tiers:
        return None
    _, usd, dimension = min(tiers, key=lambda t: t[0])
    return usd, str(dimension.get("unit", ""))
