from tests.support.policies import check

ID = "obsgov-sagemaker-endpointconfig-require-multiple-instances"


def variants(*counts):
    return {
        "productionVariants": [
            {"variantName": f"v{i}", "initialInstanceCount": c} for i, c in enumerate(counts)
        ]
    }


def test_redundant_variants_pass():
    assert check(ID, variants(2, 3)) == []


def test_single_instance_variant_in_production():
    assert check(ID, variants(2, 1)) == [
        "Variant v1 runs 1 instance; production needs more than one."
    ]


def test_serverless_variants_are_exempt():
    assert (
        check(
            ID,
            {
                "productionVariants": [
                    {"variantName": "s", "serverlessConfig": {"maxConcurrency": 5}}
                ]
            },
        )
        == []
    )


def test_non_production_environments_may_use_one_instance():
    assert check(ID, variants(1), config={"multiInstanceVariants": False}) == []


def test_unset_and_zero_counts_are_named_and_unnamed_variants_numbered():
    props = {
        "productionVariants": [
            {"variantName": "a"},
            {"initialInstanceCount": 0},
            {"serverlessConfig": {"maxConcurrency": 5}},
            {"variantName": "b", "initialInstanceCount": 1},
        ]
    }
    assert check(ID, props) == [
        "Variant a runs 1 instance; production needs more than one.",
        "Variant #1 runs 0 instances; production needs more than one.",
        "Variant b runs 1 instance; production needs more than one.",
    ]


def test_production_is_assumed_without_the_engines_defaults():
    assert check(ID, variants(1), config={}, defaults=False) == [
        "Variant v0 runs 1 instance; production needs more than one."
    ]
