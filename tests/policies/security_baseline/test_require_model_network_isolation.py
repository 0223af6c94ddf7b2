from tests.support.policies import check

ID = "obsgov-sagemaker-model-require-network-isolation"


def test_isolated_model_passes():
    assert check(ID, {"enableNetworkIsolation": True}) == []


def test_model_with_network_access():
    assert check(ID, {"enableNetworkIsolation": False}) == [
        "Network isolation is off (enableNetworkIsolation is not true)."
    ]
