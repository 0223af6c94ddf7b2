"""The deploy graph: accounts, ARNs, references and transitive dependencies."""

from typing import cast

from pulumi_policy import PolicyResource, PolicyResourceOptions

from obsgov_policies.deploy_graph import DeployGraph, graph_of, plain
from obsgov_policies.iam_evaluation import UNKNOWN as EVAL_UNKNOWN
from tests.support.deploy_graphs import at
from tests.support.policies import UNKNOWN, R, check_stack, spec  # noqa: F401


def _graph(resources):
    captured = {}

    def capture(args, report):
        captured["graph"] = DeployGraph(args.resources)

    from obsgov_policies import catalog
    from obsgov_policies.catalog import PolicySpec

    fake = PolicySpec(
        "obsgov-deploy-test-capture",
        "deploy-readiness",
        "d",
        "low",
        "deploy",
        "stack",
        capture,
        __name__,
    )
    catalog.REGISTRY[fake.id] = fake
    try:
        check_stack(fake.id, resources)
    finally:
        del catalog.REGISTRY[fake.id]
    return captured["graph"]


def test_accounts_regions_and_arns_come_from_the_provider():
    graph = _graph(
        [
            at("111122223333", "aws:sns/topic:Topic", "t", {"name": "alerts"}),
            at("111122223333", "aws:s3/bucket:Bucket", "b", {"bucket": "data"}),
            at("111122223333", "aws:iam/role:Role", "r", {"name": "app", "path": "/x/"}),
            R("aws:sns/topic:Topic", "nowhere", {"name": "n"}),
        ]
    )
    topic, bucket, role, nowhere = graph.nodes
    assert (topic.account, topic.region) == ("111122223333", "eu-west-1")
    assert topic.arn == "arn:aws:sns:eu-west-1:111122223333:alerts"
    assert bucket.arn == "arn:aws:s3:::data"
    assert role.arn == "arn:aws:iam::111122223333:role/x/app"
    assert nowhere.account is EVAL_UNKNOWN
    assert nowhere.arn is EVAL_UNKNOWN


def test_references_resolve_by_arn_by_name_or_by_dependency():
    graph = _graph(
        [
            at("1" * 12, "aws:sns/topic:Topic", "t", {"name": "alerts"}),
            at(
                "1" * 12,
                "aws:cloudwatch/eventTarget:EventTarget",
                "by-arn",
                {"arn": "arn:aws:sns:eu-west-1:111111111111:alerts"},
            ),
            at(
                "1" * 12,
                "aws:cloudwatch/eventTarget:EventTarget",
                "by-dep",
                {"arn": UNKNOWN},
                prop_deps={"arn": ["t"]},
            ),
            at("2" * 12, "aws:sns/topicPolicy:TopicPolicy", "elsewhere", {"arn": "alerts"}),
        ]
    )
    topic, by_arn, by_dep, elsewhere = graph.nodes
    assert graph.resolve(by_arn, "arn", "aws:sns/topic:Topic") == [topic]
    assert graph.resolve(by_dep, "arn", "aws:sns/topic:Topic") == [topic]
    assert graph.resolve(elsewhere, "arn", "aws:sns/topic:Topic") == []  # other account


def test_ancestors_are_transitive_and_handle_long_chains():
    chain = [
        at(
            "1" * 12,
            "aws:sns/topic:Topic",
            f"t{i}",
            {"name": f"t{i}"},
            depends_on=[f"t{i - 1}"] if i else [],
        )
        for i in range(3000)
    ]
    graph = _graph(chain)
    last, first = graph.nodes[-1], graph.nodes[0]
    assert graph.waits_for(last, first)
    assert not graph.waits_for(first, last)
    assert len(graph.ancestors(last.urn)) == 2999


def test_plain_turns_unknowns_into_the_evaluator_sentinel():
    from pulumi_policy.proxy import unknown_checking_proxy

    proxied = unknown_checking_proxy({"a": UNKNOWN, "b": [1, UNKNOWN], "c": {"d": "x"}})
    assert plain(proxied) == {"a": EVAL_UNKNOWN, "b": [1, EVAL_UNKNOWN], "c": {"d": "x"}}


# the graph reads no options of these resources
OPTIONS = cast(PolicyResourceOptions, None)


def test_graph_of_shares_one_graph_only_for_the_same_property_objects():
    props = {"name": "x"}
    first = [
        PolicyResource("aws:sns/topic:Topic", props, "urn:a", "a", OPTIONS, None, None, [], {})
    ]
    same = [PolicyResource("aws:sns/topic:Topic", props, "urn:a", "a", OPTIONS, None, None, [], {})]
    other = [
        PolicyResource(
            "aws:sns/topic:Topic", {"name": "y"}, "urn:a", "a", OPTIONS, None, None, [], {}
        )
    ]
    assert graph_of(first) is graph_of(same)
    assert graph_of(other) is not graph_of(first)
