"""The pack flags every known-bad stack of the corpus with a message naming both resources and
the fix, and passes each one's fixed form (for that policy)."""

from __future__ import annotations

import pytest

from tests.policies.deploy_readiness.corpus import CASES
from tests.support.deploy_graphs import pack


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pack_flags_the_defect_naming_both_resources_and_the_fix(case):
    spec = CASES[case]
    findings = [f for f in pack(spec.build(False), spec.config) if f[0] == spec.policy]
    on_resource = [message for _, name, message in findings if name == spec.resource]
    assert on_resource, findings
    assert any(spec.other in m and "Fix" in m for m in on_resource), on_resource


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fixed_stack_passes_that_policy(case):
    spec = CASES[case]
    assert [f for f in pack(spec.build(True), spec.config) if f[0] == spec.policy] == []


def test_every_example_of_the_issue_is_in_the_corpus():
    # issue 27 lists: subscription filters and OAM links out of order; the lifecycle rule's
    # topic, the Firehose backup key, Bucket Keys, QuickSight; the OpenSearch SLR, trusted
    # access, policy types, obsgov-auditor and obsgov-platform-admins; the model package
    # groups and the /aws/lambda and /aws/sagemaker/Endpoints groups; the OAM sink; the
    # ModelQuality and DataQuality alarms
    assert sum(c.issue_example for c in CASES.values()) == 17
    assert {c.policy for c in CASES.values()} == {
        "obsgov-deploy-graph-require-creation-order",
        "obsgov-deploy-flow-require-allowed",
        "obsgov-deploy-account-require-prerequisites",
        "obsgov-deploy-name-require-unique",
        "obsgov-deploy-loggroup-disallow-service-owned-names",
        "obsgov-deploy-account-require-single-owner",
        "obsgov-deploy-alarm-require-producer",
    }
