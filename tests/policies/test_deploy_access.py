"""Where a resource's policies live, and AWS's defaults when none is set."""

from obsgov_policies import deploy_access as access
from tests.policies.deploy_readiness.corpus import OBS, firehose_without_backup_key_grant
from tests.policies.test_deploy_graph import _graph
from tests.support.deploy_graphs import at, doc
from tests.support.policies import UNKNOWN


def test_a_role_gets_its_inline_and_attached_policies():
    graph = _graph(firehose_without_backup_key_grant(True))
    role = graph.by_name[("aws:iam/role:Role", "log-ingest-firehose")][0]
    identity = access.role_identity(graph, role)
    assert len(identity.documents) == 1
    assert identity.unseen == ()


def test_bucket_encryption_reports_the_key_and_bucket_keys():
    graph = _graph(firehose_without_backup_key_grant(True))
    bucket = graph.by_name[("aws:s3/bucket:Bucket", "failed-docs")][0]
    key, bucket_keys = access.bucket_encryption(graph, bucket)
    assert key is not None
    assert key.name == "backup-key"
    assert bucket_keys is True


def test_a_topic_without_a_policy_gets_snss_default_and_an_unset_output_counts_as_unset():
    graph = _graph([at(OBS, "aws:sns/topic:Topic", "t", {"name": "alerts", "policy": UNKNOWN})])
    topic = graph.nodes[0]
    documents, nodes = access.topic_policy(graph, topic)
    assert nodes == [topic]
    assert documents == [access.default_topic_policy(topic)]
    assert documents[0]["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": OBS}}


def test_a_key_without_a_policy_gets_kmss_default():
    graph = _graph([at(OBS, "aws:kms/key:Key", "k", {})])
    assert access.key_policy(graph.nodes[0]) == [access.default_key_policy(graph.nodes[0])]


def test_a_lambda_permission_becomes_a_function_policy_statement():
    graph = _graph(
        [
            at(OBS, "aws:lambda/function:Function", "fn", {"name": "guard"}),
            at(OBS, "aws:cloudwatch/eventRule:EventRule", "rule", {"name": "r"}),
            at(
                OBS,
                "aws:lambda/permission:Permission",
                "p",
                {
                    "function": "guard",
                    "principal": "events.amazonaws.com",
                    "sourceArn": UNKNOWN,
                    "action": "lambda:InvokeFunction",
                },
                prop_deps={"sourceArn": ["rule"]},
            ),
        ]
    )
    documents, nodes = access.function_policy(graph, graph.nodes[0])
    assert [n.name for n in nodes] == ["p"]
    [statement] = documents[0]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {"AWS:SourceArn": f"arn:aws:events:eu-west-1:{OBS}:rule/r"}
    }


def test_keys_named_by_alias():
    graph = _graph(
        [
            at(OBS, "aws:kms/key:Key", "k", {"policy": doc()}),
            at(
                OBS,
                "aws:kms/alias:Alias",
                "a",
                {"name": "alias/lake", "targetKeyId": UNKNOWN},
                prop_deps={"targetKeyId": ["k"]},
            ),
            at(OBS, "aws:sns/topic:Topic", "t", {"name": "x", "kmsMasterKeyId": "alias/lake"}),
        ]
    )
    key, _, topic = graph.nodes
    assert access.keys_named(graph, topic, "kmsMasterKeyId") == [key]
    assert access.key_aliases(graph, key) == ["alias/lake"]
