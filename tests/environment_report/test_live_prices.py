"""``--prices live``: the Price List API queries and how their answers become prices.

moto has no Price List service, so a real boto3 ``pricing`` client is driven through botocore's
Stubber, which checks every request's parameters against what the test expects.
"""

from __future__ import annotations

import json
from datetime import date

import boto3
import pytest
from botocore.stub import Stubber

from obsgov.environment_report.cost import Price, PriceTable, load_prices
from obsgov.environment_report.live_prices import live_table
from obsgov.errors import InputError


def product(usagetype: str, sku: str, *tiers: tuple[str, str, str]) -> str:
    dimensions = {
        f"{sku}.dim{i}": {"beginRange": begin, "unit": unit, "pricePerUnit": {"USD": usd}}
        for i, (begin, usd, unit) in enumerate(tiers)
    }
    return json.dumps(
        {
            "product": {"sku": sku, "attributes": {"usagetype": usagetype}},
            "terms": {"OnDemand": {f"{sku}.term": {"priceDimensions": dimensions}}},
        }
    )


def table(**queries) -> PriceTable:
    items = {
        key: Price(key, "unit", 9.99, "shipped", "2026-01", False)
        for key in [*queries, "unqueried"]
    }
    return PriceTable("us-east-1", items, {}, dict(queries))


@pytest.fixture
def pricing():
    client = boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
    stubber.assert_no_pending_responses()


def filters(region: str, usagetype: str, **attributes: str) -> list[dict[str, str]]:
    return [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "CONTAINS", "Field": "usagetype", "Value": usagetype},
        *({"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in sorted(attributes.items())),
    ]


def test_the_exact_usage_type_in_the_region_is_priced_at_its_first_paid_tier(pricing):
    client, stubber = pricing
    stubber.add_response(
        "get_products",
        {
            "PriceList": [
                # CONTAINS also returns the ARM usage type: it must not be taken
                product("EU-Request-ARM", "ARM", ("0", "0.0000001", "Requests")),
                product(
                    "EU-Request",
                    "X86",
                    ("0", "0", "Requests"),  # a free tier
                    ("1000000", "0.0000002", "Requests"),
                    ("9000000000", "0.0000001", "Requests"),
                ),
            ]
        },
        {"ServiceCode": "AWSLambda", "Filters": filters("eu-west-1", "Request")},
    )
    shipped = table(
        **{"lambda-requests": {"service": "AWSLambda", "usagetype": "Request", "scale": 1_000_000}}
    )
    priced, notes = live_table(shipped, "eu-west-1", client, today=date(2026, 11, 27))
    price = priced.items["lambda-requests"]
    # the table stays a us-east-1 table: the answer is eu-west-1's price, kept beside it
    assert price.regions["eu-west-1"] == pytest.approx(0.2)
    assert price.usd == 9.99
    assert priced.region == "us-east-1"
    assert price.source == "AWS Price List API: AWSLambda SKU X86 (USD per Requests x 1,000,000)"
    assert (price.read, price.verified) == ("2026-11-27", True)
    assert priced.items["unqueried"] == shipped.items["unqueried"]
    assert notes == ["shipped prices kept (no Price List query): unqueried"]


def test_every_page_is_read_and_attributes_filter_the_products(pricing):
    client, stubber = pricing
    query = {
        "service": "AmazonES",
        "usagetype": "ESInstance:r6g.large",
        "attributes": {"instanceType": "r6g.large.search"},
    }
    expected = {
        "ServiceCode": "AmazonES",
        "Filters": filters("us-east-1", "ESInstance:r6g.large", instanceType="r6g.large.search"),
    }
    stubber.add_response("get_products", {"PriceList": [], "NextToken": "page-2"}, expected)
    stubber.add_response(
        "get_products",
        {"PriceList": [product("ESInstance:r6g.large", "R6G", ("0", "0.167", "Hrs"))]},
        {**expected, "NextToken": "page-2"},
    )
    priced, _ = live_table(table(opensearch=query), "us-east-1", client)
    assert priced.items["opensearch"].usd == pytest.approx(0.167)


def test_a_query_that_finds_nothing_keeps_the_shipped_price_and_says_so(pricing):
    client, stubber = pricing
    stubber.add_response(
        "get_products",
        {"PriceList": []},
        {"ServiceCode": "AWSKMS", "Filters": filters("eu-west-1", "KMS-Keys")},
    )
    shipped = table(**{"kms-key": {"service": "AWSKMS", "usagetype": "KMS-Keys"}})
    priced, notes = live_table(shipped, "eu-west-1", client)
    assert priced.items["kms-key"] == shipped.items["kms-key"]
    assert notes[0] == (
        "kms-key: the Price List API has no AWSKMS product with usage type KMS-Keys in "
        "eu-west-1; kept the shipped price"
    )


def test_a_malformed_live_query_names_its_key(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "items:\n  kms-key:\n    unit: key-month\n    usd: 1\n    source: s\n    read: r\n"
        "    live: {service: AWSKMS, usagetype: KMS-Keys, scale: -1}\n"
    )
    with pytest.raises(InputError) as caught:
        load_prices(prices)
    [problem] = caught.value.problems
    assert (problem.key_path, problem.message) == (
        "items.kms-key.live",
        "must be a mapping with service and usagetype (strings), optional attributes "
        "(a mapping of strings) and scale (a number > 0)",
    )
