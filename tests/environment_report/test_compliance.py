"""The compliance map never calls a control passed when any resource failed or was not judged."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from obsgov.environment_report.compliance import (
    ControlId,
    Outcome,
    account_shares,
    compliance_map,
    load_catalog,
    parse_control,
    policy_controls,
)

S35 = ControlId("FSBP", "S3.5")
KMS4 = ControlId("FSBP", "KMS.4")
CATALOG = {S35: "TLS only", KMS4: "rotation", ControlId("FSBP", "SQS.1"): "queues encrypted"}
POLICIES = {"require-s3-tls": [S35], "require-kms-rotation": [KMS4]}


def test_control_names_are_read_from_policy_tags_and_frameworks():
    assert parse_control("AWS Foundational Security Best Practices S3.5") == S35
    assert parse_control("CIS AWS Foundations Benchmark 1.16") == ControlId("CIS", "1.16")
    assert parse_control("observability") is None
    assert policy_controls(
        ["s3", "AWS Foundational Security Best Practices S3.5"],
        "AWS Foundational Security Best Practices KMS.4",
    ) == [KMS4, S35]


def test_statuses_gaps_and_accounts():
    outcomes = [
        Outcome("require-s3-tls", "b1", "111111111111", "passed"),
        Outcome("require-s3-tls", "b2", "222222222222", "failed"),
        Outcome("require-kms-rotation", "k1", "111111111111", "passed"),
        Outcome("require-kms-rotation", "k2", "111111111111", "not-judged"),
    ]
    rows = {r.control: r for r in compliance_map(outcomes, POLICIES, CATALOG)}
    assert rows[S35].status == "failed" and rows[S35].count("passed") == 1
    assert rows[KMS4].status == "not-judged"
    sqs = rows[ControlId("FSBP", "SQS.1")]
    assert sqs.gap and sqs.status == "gap"
    assert account_shares(list(rows.values())) == {"111111111111": (1, 2), "222222222222": (0, 1)}


def test_a_control_whose_policies_judged_nothing_has_no_resources_not_a_pass():
    [row] = [r for r in compliance_map([], POLICIES, CATALOG) if r.control == S35]
    assert row.status == "no resources"


statuses = st.sampled_from(["passed", "failed", "not-judged"])


@given(st.lists(st.tuples(st.sampled_from(["b1", "b2", "b3"]), statuses), min_size=1))
def test_passed_only_when_every_judgement_passed(judgements):
    outcomes = [Outcome("require-s3-tls", urn, "1", s) for urn, s in judgements]
    [row] = [r for r in compliance_map(outcomes, POLICIES, CATALOG) if r.control == S35]
    every = {s for _, s in judgements}
    if row.status == "passed":
        assert every == {"passed"}
    if "failed" in every:
        assert row.status == "failed"
    elif "not-judged" in every:
        assert row.status == "not-judged"


def test_shipped_catalog_covers_every_control_the_policies_map():
    from obsgov_policies.catalog import load_all

    catalog = load_catalog()
    mapped = set()
    for spec in load_all().values():
        for control in getattr(spec, "controls", ()):
            parsed = parse_control(str(control))
            if parsed is not None:
                mapped.add(parsed)
    assert mapped, "the policies map controls"
    assert mapped <= set(catalog), sorted(mapped - set(catalog))
