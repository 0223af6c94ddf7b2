from tests.support.policies import check, provider

ID = "obsgov-sagemaker-resource-require-ml-tags"
CONFIG = {"mlResourceTags": [{"key": "model-id"}, {"key": "model-version", "pattern": r"\d+"}]}


def run(tags, resource_type="aws:sagemaker/model:Model"):
    return check(ID, {"tags": tags}, resource_type, config=CONFIG)


def test_compliant_ml_resource_passes():
    assert run({"model-id": "fraud", "model-version": "3"}) == []


def test_missing_model_version():
    assert run({"model-id": "fraud"}) == ["Missing required tags: model-version."]


def test_model_version_pattern():
    assert run(
        {"model-id": "fraud", "model-version": "latest"}, "aws:sagemaker/endpoint:Endpoint"
    ) == [r"Tag 'model-version' is 'latest'; expected a value matching \d+."]


def test_non_ml_resources_are_ignored():
    assert check(ID, {"tags": {}}, "aws:sns/topic:Topic", config=CONFIG) == []


def test_provider_tags_count_for_ml_tags():
    prov = provider({"model-id": "fraud", "model-version": "3"})
    assert check(ID, {}, "aws:sagemaker/model:Model", config=CONFIG, provider_resource=prov) == []


GROUP = "aws:sagemaker/modelPackageGroup:ModelPackageGroup"


def test_model_package_groups_need_the_model_id_but_no_version():
    groups = {**CONFIG, "versionTagKeys": ["model-version"]}
    assert check(ID, {"tags": {"model-id": "fraud"}}, GROUP, config=groups) == []
    assert check(ID, {"tags": {}}, GROUP, config=groups) == ["Missing required tags: model-id."]
    # the version key is skipped on groups only
    assert check(
        ID, {"tags": {"model-id": "fraud"}}, "aws:sagemaker/model:Model", config=groups
    ) == ["Missing required tags: model-version."]
