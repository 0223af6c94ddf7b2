"""The report page: self-contained, escaped, with its tables, chart and heat map."""

from __future__ import annotations

from html.parser import HTMLParser

from obsgov.environment_report.html import render

REPORT = {
    "stack": "prod",
    "preview": True,
    "verdict": "failed",
    "notes": ["values unknown in preview"],
    "inventory": [
        {
            "account": "111111111111",
            "account_name": "ml",
            "component": "ml",
            "type": "aws:kms/key:Key",
            "name": "ml-key",
            "source": "accounts: ml",
        }
    ],
    "controls": [
        {
            "control": "FSBP KMS.4",
            "title": "rotation <b>",
            "status": "failed",
            "policies": ["require-kms-rotation"],
            "passed": 0,
            "failed": 1,
            "notJudged": 0,
            "accounts": {"111111111111": "failed"},
        },
        {
            "control": "FSBP SQS.1",
            "title": "queues",
            "status": "gap",
            "policies": [],
            "passed": 0,
            "failed": 0,
            "notJudged": 0,
            "accounts": {},
        },
    ],
    "accountShares": {"111111111111": {"met": 0, "applicable": 1}},
    "cost": {
        "region": "us-east-1",
        "monthlyUsd": 1.0,
        "byAccount": {"111111111111": 1.0},
        "byService": {"kms": 1.0},
        "assumptions": {"bucketGb": 100.0},
        "unpriced": ["aws:bedrock/agent:Agent"],
        "charges": [
            {
                "account": "111111111111",
                "service": "kms",
                "resource": "ml-key",
                "type": "aws:kms/key:Key",
                "item": "kms-key",
                "quantity": 1.0,
                "usd": 1.0,
                "assumptions": [],
                "verified": False,
            }
        ],
        "prices": {
            "kms-key": {
                "unit": "key-month",
                "usd": 1.0,
                "source": "aws",
                "read": "2026-11",
                "verified": False,
            }
        },
    },
}


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.external = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[key])


def test_page_is_self_contained_and_has_every_section():
    page = render(REPORT, {"111111111111": "ml"})
    collector = Collector()
    collector.feed(page)
    assert {
        "cost-chart",
        "heat-map",
        "controls",
        "inventory",
        "charges",
        "assumptions",
        "prices",
    } <= collector.ids
    assert collector.external == []
    assert "svg" in collector.tags
    assert "script" in collector.tags
    assert "rotation &lt;b&gt;" in page  # titles are escaped
    assert "none: a gap" in page
    assert "aws:bedrock/agent:Agent" in page


def test_the_page_counts_resources_as_preview_does_then_the_aws_ones():
    """issue 36: `obsgov preview` said 392 resources where the report said 364; the page now
    shows the stack's count first and the AWS resources of the inventory beside it."""
    page = render({**REPORT, "resourceCount": 40}, {"111111111111": "ml"})
    inventory = REPORT["inventory"]
    assert isinstance(inventory, list)
    assert f"<span>resources: 40 ({len(inventory)} in AWS)</span>" in page
