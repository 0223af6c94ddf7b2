"""Creation order: each row of the table checked against transitive dependencies.

AWS: CreateLink needs the sink policy to admit the source account
(docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account-Setup.html);
PutSubscriptionFilter to a cross-account destination needs its access policy
(docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html).
"""

from obsgov_policies.deploy_readiness.require_creation_order import ORDER
from tests.policies.deploy_readiness.corpus import (
    OBS,
    SINK,
    SINK_POLICY,
    link_before_sink_policy,
    subscription_before_destination,
)
from tests.support.deploy_graphs import at
from tests.support.policies import UNKNOWN, check_stack

ID = "obsgov-deploy-graph-require-creation-order"


def test_a_link_that_waits_for_the_sink_and_its_policy_passes():
    assert check_stack(ID, link_before_sink_policy(fixed=True)) == []


def test_a_link_that_does_not_wait_for_the_sink_policy_is_named_with_it():
    assert check_stack(ID, link_before_sink_policy(fixed=False)) == [
        (
            "link",
            "OAM link link does not wait for its sink's policy, OAM sink policy sink-policy: "
            "CreateLink is refused (AccessDeniedException) until the sink policy lets the "
            "source account link. Fix: make link depend on sink-policy (depends_on, or take "
            "the input from its output). AWS: https://docs.aws.amazon.com/AmazonCloudWatch/"
            "latest/monitoring/CloudWatch-Unified-Cross-Account-Setup.html",
        )
    ]


def test_waiting_transitively_is_enough():
    resources = link_before_sink_policy(fixed=False)
    # the link waits for a resource that waits for the sink policy
    resources.append(
        at(OBS, "aws:sns/topic:Topic", "between", {"name": "t"}, depends_on=["sink-policy"])
    )
    resources[2].depends_on.append("between")
    assert check_stack(ID, resources) == []


def test_a_custom_parent_orders_its_children_but_a_component_does_not():
    resources = link_before_sink_policy(fixed=False)
    graph_ids = [r.name for r in resources]
    assert graph_ids == ["sink", "sink-policy", "link"]
    # no component semantics in hand-made stacks: the finding stays
    assert len(check_stack(ID, resources)) == 1


def test_a_subscription_filter_waits_for_the_destination_and_its_policy():
    found = check_stack(ID, subscription_before_destination(fixed=False))
    assert [(name, m.split(":")[0]) for name, m in found] == [
        (
            "forward",
            "subscription filter obsgov-central-forward (forward) does not wait for its log "
            "destination, CloudWatch Logs destination obsgov-prod-logs (destination)",
        ),
        (
            "forward",
            "subscription filter obsgov-central-forward (forward) does not wait for its log "
            "destination's access policy, log destination policy destination-policy",
        ),
    ]
    # the fixed filter waits for the policy, which waits for the destination
    assert check_stack(ID, subscription_before_destination(fixed=True)) == []


def test_a_sink_named_only_by_an_unknown_id_is_found_through_its_dependency():
    sink = at(OBS, SINK, "sink", {"name": "s"})
    policy = at(
        OBS,
        SINK_POLICY,
        "p",
        {"sinkIdentifier": UNKNOWN, "policy": "{}"},
        prop_deps={"sinkIdentifier": ["sink"]},
    )
    assert check_stack(ID, [sink, policy]) == []  # the policy waits for its sink


def test_every_row_cites_aws_documentation():
    assert ORDER
    assert all(row.doc.startswith("https://docs.aws.amazon.com/") for row in ORDER)
