"""X-Ray groups and sampling rules for traced workloads."""

from __future__ import annotations

from components.member.workload_traces import xray_name

GROUP = "aws:xray/group:Group"
RULE = "aws:xray/samplingRule:SamplingRule"


def test_traced_workloads_get_a_group_with_insights_and_a_sampling_rule(prod, dev):
    groups = {g.inputs["groupName"]: g for g in prod.of_type(GROUP)}

    def checked_out(inputs: dict) -> dict:
        # the provider's Check adds tagsAll (obsgov.synth.provider_check): not the program's
        return {k: v for k, v in inputs.items() if k != "tagsAll"}

    # the registry marks these traced; the others are not
    assert set(groups) == {"fraud-scoring-prod", "feature-refresh-prod", "events-enricher-prod"}
    assert checked_out(groups["fraud-scoring-prod"].inputs) == {
        "groupName": "fraud-scoring-prod",
        "filterExpression": 'service("fraud-scoring-prod")',
        "insightsConfiguration": {"insightsEnabled": True, "notificationsEnabled": True},
    }
    assert groups["fraud-scoring-prod"].account == "400000000001"
    rules = {r.inputs["ruleName"]: checked_out(r.inputs) for r in prod.of_type(RULE)}
    assert set(rules) == set(groups)
    assert rules["events-enricher-prod"] == {
        "ruleName": "events-enricher-prod",
        "priority": 1000,
        "fixedRate": 0.05,
        "reservoirSize": 1,
        "serviceName": "events-enricher-prod",
        "serviceType": "*",
        "host": "*",
        "httpMethod": "*",
        "urlPath": "*",
        "resourceArn": "*",
        "version": 1,
    }
    # the rate comes from each stack's config
    assert {r.inputs["fixedRate"] for r in dev.of_type(RULE)} == {0.2}


def test_xray_names_fit_32_characters_and_stay_stable():
    assert xray_name("fraud-scoring-prod") == "fraud-scoring-prod"
    long = "a-very-long-workload-name-that-exceeds-x-ray-limits"
    short = xray_name(long)
    assert len(short) == 32
    assert short.startswith(long[:23] + "-")
    assert short == xray_name(long) != xray_name(long + "2")
