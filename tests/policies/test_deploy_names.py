"""Claims: scopes follow where AWS makes a name unique."""

from obsgov_policies.deploy_names import Claim, claims, inventory, other_stacks
from tests.policies.test_deploy_graph import _graph
from tests.support.deploy_graphs import at


def test_scopes():
    graph = _graph(
        [
            at("1" * 12, "aws:s3/bucket:Bucket", "b", {"bucket": "data"}),
            at("1" * 12, "aws:iam/role:Role", "r", {"name": "app"}),
            at("1" * 12, "aws:cloudwatch/eventRule:EventRule", "rule", {"name": "x"}),
            at(
                "1" * 12,
                "aws:cloudwatch/eventRule:EventRule",
                "bus-rule",
                {"name": "x", "eventBusName": "alerts"},
            ),
            at("1" * 12, "aws:oam/sink:Sink", "sink", {"name": "s"}),
        ]
    )
    keys = sorted(c.key for c in claims(graph))
    assert keys == sorted(
        [
            ("aws:s3/bucket:Bucket", "", "", "", "data"),
            ("aws:iam/role:Role", "111111111111", "", "", "app"),
            ("aws:cloudwatch/eventRule:EventRule", "111111111111", "eu-west-1", "default", "x"),
            ("aws:cloudwatch/eventRule:EventRule", "111111111111", "eu-west-1", "alerts", "x"),
            ("aws:oam/sink:Sink", "111111111111", "eu-west-1", "", "s"),
            ("aws:oam/sink:Sink", "111111111111", "eu-west-1", "", "*"),
        ]
    )
    assert inventory(graph)[0] == [
        "aws:cloudwatch/eventRule:EventRule",
        "111111111111",
        "eu-west-1",
        "alerts",
        "x",
        "bus-rule",
    ]


def test_rows_round_trip_and_bad_rows_are_dropped():
    claim = Claim("t", "a", "r", "s", "n", "logical", stack="dev")
    assert Claim.from_row(claim.to_row(), "dev") == claim
    config = {"otherStacks": [{"stack": "dev", "claims": [claim.to_row(), ["x"]]}, 3]}
    assert other_stacks(config) == [claim]
