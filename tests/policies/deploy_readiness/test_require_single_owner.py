"""Per-account singletons and quotas. AWS: one OAM sink per account and Region
(docs.aws.amazon.com/OAM/latest/APIReference/API_CreateSink.html); two subscription filters per
log group (API_PutSubscriptionFilter.html)."""

from obsgov_policies.deploy_names import SINGLETONS
from tests.policies.deploy_readiness.corpus import OBS, STAGING_CLAIMS, oam_sink_per_environment
from tests.support.deploy_graphs import at
from tests.support.policies import check_stack

ID = "obsgov-deploy-account-require-single-owner"
FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"


def test_a_sink_in_every_environment_is_over_the_limit():
    [(name, message)] = check_stack(ID, oam_sink_per_environment(False), STAGING_CLAIMS)
    assert name == "central-prod-sink"
    assert message.startswith(
        "CloudWatch OAM sink in account 100000000002 eu-west-1: 2 created (central-prod-sink, "
        "central-staging-sink (stack staging)); AWS allows one: CreateSink fails in the second "
        "stack: one sink per account and Region. Fix: give it one owner, an "
        "organisation-level stack that dev, staging and prod reference (StackReference)"
    )
    assert check_stack(ID, oam_sink_per_environment(False)) == []  # alone, it fits


def test_limits_per_parent_count_within_the_parent():
    filters = [at(OBS, FILTER, f"f{i}", {"name": f"f{i}", "logGroup": "/g"}) for i in range(3)]
    [(name, message)] = check_stack(ID, filters)
    assert name == "f0"
    assert message.startswith(
        "subscription filter in account 100000000002 eu-west-1 for /g: 3 created (f0, f1, f2); "
        "AWS allows 2"
    )
    filters[2].props["logGroup"] = "/other"
    assert check_stack(ID, filters) == []


def test_every_singleton_row_cites_aws_documentation():
    assert all(s.doc.startswith("https://docs.aws.amazon.com/") for s in SINGLETONS.values())
