from tests.support.policies import check

ID = "obsgov-pipeline-resource-require-pipeline-tags"


def test_tagged_pipeline_passes():
    assert check(ID, {"tags": {"pipeline": "transactions"}}, "aws:glue/job:Job") == []


def test_untagged_state_machine():
    assert check(ID, {"tags": {}}, "aws:sfn/stateMachine:StateMachine") == [
        "Missing required tags: pipeline."
    ]


def test_allowed_values_from_config():
    config = {"pipelineTags": [{"key": "pipeline", "allowedValues": ["a", "b"]}]}
    assert check(ID, {"tags": {"pipeline": "c"}}, "aws:glue/crawler:Crawler", config=config) == [
        "Tag 'pipeline' is 'c'; expected one of a, b."
    ]
