"""Physical names across the organisation's stacks (otherStacks). AWS:
CreateModelPackageGroup fails for a name that exists in the account and Region
(docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html)."""

from tests.policies.deploy_readiness.corpus import (
    GROUP,
    OBS,
    STAGING_CLAIMS,
    shared_model_package_groups,
)
from tests.support.deploy_graphs import at
from tests.support.policies import check_stack

ID = "obsgov-deploy-name-require-unique"


def test_a_name_another_stack_claims_is_reported_with_both_owners():
    [(name, message)] = check_stack(ID, shared_model_package_groups(False), STAGING_CLAIMS)
    assert name == "model-registry-prod-fraud-scoring"
    assert message == (
        "SageMaker model package group fraud-scoring in account 100000000002 eu-west-1 is "
        "created by model-registry-prod-fraud-scoring and also by "
        "model-registry-staging-fraud-scoring in stack staging: they are one AWS object, so "
        "the second `pulumi up` fails with an already-exists error (or, for a policy, the "
        "stacks overwrite each other). Fix: give it one owner (an organisation-level stack the "
        "environments reference) or put the environment in the name. AWS: "
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackageGroup.html"
    )


def test_other_names_other_accounts_and_other_regions_do_not_collide():
    assert check_stack(ID, shared_model_package_groups(True), STAGING_CLAIMS) == []
    other_account = [at("400000000001", GROUP, "g", {"modelPackageGroupName": "fraud-scoring"})]
    assert check_stack(ID, other_account, STAGING_CLAIMS) == []


def test_two_claims_in_one_stack_collide_too():
    twice = [at(OBS, GROUP, n, {"modelPackageGroupName": "g"}) for n in ("a", "b")]
    [(name, message)] = check_stack(ID, twice)
    assert name == "a"
    assert "created by a and also by b:" in message


def test_malformed_inventory_rows_are_skipped():
    config = {"otherStacks": [{"stack": "x", "claims": [["too", "short"], 7]}, "junk"]}
    assert check_stack(ID, shared_model_package_groups(False), config) == []
