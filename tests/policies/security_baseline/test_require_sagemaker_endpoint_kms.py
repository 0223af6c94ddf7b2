from tests.support.policies import check

ID = "obsgov-sagemaker-endpointconfig-require-kms"


def test_encrypted_endpoint_config_passes():
    assert check(ID, {"kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"}) == []


def test_endpoint_config_without_kms():
    assert check(ID, {"productionVariants": []}) == ["The endpoint configuration has no kmsKeyArn."]
