"""The compliance map of the shipped prod stack, as the issue measured it: stack policies judged
six buckets (S3.3/5/8/14/17 showed "no resources"), the tagging policy's 198 resources were
counted under CloudTrail.9 (one trail), and accounts without a trail were green for it."""

from __future__ import annotations

import pytest

from obsgov.config.loader import load_environment
from obsgov.environment_report.build import build_report
from obsgov.environment_report.cost import load_prices
from obsgov.environment_report.html import heat_map
from obsgov.gate.engine import GateOptions, run_gate
from obsgov.gate.selection import select_packs
from obsgov.synth import synthesize

from ..support.caching import graph_scope
from ..support.environments import STACKS


def applicable(graph, types):
    return [r for r in graph.resources if r.custom and not r.is_provider and r.type in types]


@pytest.fixture(scope=graph_scope)
def prod():
    env = load_environment("prod", STACKS / "Pulumi.prod.yaml")
    graph = synthesize(env, preview=True)
    run = run_gate(graph, select_packs(env, None, None), GateOptions(stack_config=env.config_map))
    return run, build_report(run, env, load_prices())


def test_every_control_counts_exactly_the_resources_of_its_types(prod):
    run, report = prod
    for row in report.controls:
        subjects = applicable(run.graph, row.types)
        assert len(row.resources) == len(subjects), row.control
        assert row.count("passed") + row.count("failed") + row.count("not-judged") == len(subjects)


def test_stack_policies_attribute_the_twelve_buckets(prod):
    """The seven central buckets (with the observability account's access-log bucket), the
    monitoring bucket of each of prod's two member accounts that run monitoring jobs
    (components/lifecycle/monitoring_store.py) with the access-log bucket each logs into (S3
    logs only within an account), and the registry's model-artifact bucket
    (components/lifecycle/model_lifecycle.py; it logs into the observability account's)."""
    run, report = prod
    buckets = applicable(run.graph, ("aws:s3/bucket:Bucket",))
    rows = {str(r.control): r for r in report.controls}
    monitoring = [b for b in buckets if "-monitoring-" in b.inputs["bucket"]]
    artifacts = [b for b in buckets if "-model-artifacts-" in b.inputs["bucket"]]
    access_logs = [b for b in buckets if "-access-logs-" in b.inputs["bucket"]]
    assert (len(buckets), len(monitoring), len(artifacts), len(access_logs)) == (12, 2, 1, 4)
    for control in ("FSBP S3.3", "FSBP S3.5", "FSBP S3.8", "FSBP S3.17"):
        assert (rows[control].status, rows[control].count("passed")) == ("passed", 12), control
    # versioning is demanded of archive buckets only: the others are not judged, never passed
    s314 = rows["FSBP S3.14"]
    assert s314.status == "not-judged"
    assert s314.count("passed") + s314.count("not-judged") == 12


def test_a_policy_mapped_to_several_controls_counts_one_trail_for_cloudtrail_9(prod):
    run, report = prod
    [trail9] = [r for r in report.controls if str(r.control) == "Tagging CloudTrail.9"]
    [trail] = applicable(run.graph, ("aws:cloudtrail/trail:Trail",))
    assert trail9.resources == {trail.urn: "passed"}
    assert trail9.accounts == {trail.account: "passed"}


def test_accounts_without_the_controls_type_are_not_applicable(prod):
    _, report = prod
    data = report.to_json()
    [trail9] = [c for c in data["controls"] if c["control"] == "Tagging CloudTrail.9"]
    others = sorted({a for c in data["controls"] for a in c["accounts"]} - set(trail9["accounts"]))
    assert others, "some accounts hold no trail"
    page = heat_map(data["controls"], data["accountNames"])
    for account in others:
        row = page.split(f"<th>{account} ")[1].split("</tr>")[0]
        assert 'title="Tagging CloudTrail.9: not applicable"' in row
