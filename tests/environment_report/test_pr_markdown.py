"""The Markdown of the pull request comment, from two report JSONs: the verdict, the new
violations with the file:line each points at, the controls that moved and the cost change
per resource with its old and new figure."""

from __future__ import annotations

import copy
from typing import Any

from obsgov.environment_report.model import MAX_ROWS, diff, markdown


def finding(policy, name, status="open", where="stacks/accounts.yaml:12"):
    return {
        "policy": policy,
        "urn": f"urn:pulumi:dev::obsgov::aws:sns/topic:Topic::{name}",
        "name": name,
        "type": "aws:sns:Topic",
        "level": "mandatory",
        "severity": "high",
        "status": status,
        "message": "m",
        "where": where,
    }


def charge(name, usd, account="200000000001"):
    return {"account": account, "type": "aws:sns/topic:Topic", "resource": name, "usd": usd}


BASE = {
    "project": "obsgov",
    "stack": "dev",
    "verdict": "passed",
    "findings": [finding("obsgov-sns-topic-require-kms", "old-topic")],
    "controls": [{"control": "FSBP SNS.1", "status": "passed", "failed": 0, "notJudged": 0}],
    "accountNames": {"200000000001": "ml-serving-dev"},
    "cost": {
        "region": "eu-west-1",
        "monthlyUsd": 10.0,
        "byAccount": {"200000000001": 10.0},
        "charges": [charge("old-topic", 4.0), charge("kept", 6.0)],
        "unpriced": [],
    },
}


def changed() -> dict:
    after: dict[str, Any] = copy.deepcopy(BASE)
    after["verdict"] = "failed"
    after["findings"] = [
        finding("obsgov-sns-topic-require-kms", "old-topic"),
        finding("obsgov-sns-topic-require-kms", "new-topic", where="stacks/accounts.yaml:40"),
        finding("obsgov-aws-resource-require-tags", "waived", status="suppressed"),
    ]
    after["controls"][0] = {**after["controls"][0], "status": "failed", "failed": 1}
    after["cost"]["charges"] = [
        charge("old-topic", 4.0),
        charge("kept", 6.0),
        charge("new-topic", 2.5),
    ]
    after["cost"]["monthlyUsd"] = 12.5
    after["cost"]["byAccount"] = {"200000000001": 12.5}
    return after


def test_the_comment_shows_what_the_change_brings():
    after = changed()
    text = markdown(after, diff(after, BASE))
    lines = text.splitlines()
    assert lines[:2] == [
        "<!-- obsgov-report: obsgov/dev -->",
        "## obsgov obsgov/dev: ❌ the policy gate failed",
    ]
    assert "**1 new violation** against the base (2 open in all)." in lines
    assert (
        "| mandatory | obsgov-sns-topic-require-kms | aws:sns:Topic new-topic | "
        "`stacks/accounts.yaml:40` |"
    ) in lines
    assert not any("old-topic |" in line and "`stacks" in line for line in lines)
    assert "Not counted: 1 suppressed, 0 in the baseline." in lines
    assert "| FSBP SNS.1 | passed | failed |" in lines
    assert "This change: **+$2.50** a month" in lines
    assert "| new-topic | aws:sns/topic:Topic | ml-serving-dev |  | 2.50 | +2.50 |" in lines


def test_without_a_base_every_open_violation_is_listed():
    text = markdown(changed())
    assert "**2 open violations**." in text.splitlines()
    assert "This change" not in text


def test_a_long_list_is_cut_with_a_count():
    after = changed()
    after["findings"] = [finding("p", f"t{i}") for i in range(MAX_ROWS + 3)]
    text = markdown(after)
    assert "| | and 3 more | | |" in text.splitlines()
