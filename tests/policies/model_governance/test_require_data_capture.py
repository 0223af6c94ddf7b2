import copy

from ..harness import check

ID = "obsgov-sagemaker-endpointconfig-require-data-capture"
GOOD = {"dataCaptureConfig": {"enableCapture": True, "initialSamplingPercentage": 20,
                              "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k",
                              "destinationS3Uri": "s3://capture/fraud"}}


def capture(**changes):
    props = copy.deepcopy(GOOD)
    props["dataCaptureConfig"].update(changes)
    return props


def test_compliant_capture_passes():
    assert check(ID, GOOD, config={"dataCaptureMinPercent": 20}) == []


def test_no_capture():
    assert check(ID, {}) == ["Data capture is not enabled (dataCaptureConfig)."]
    assert check(ID, capture(enableCapture=False)) == ["Data capture is not enabled (dataCaptureConfig)."]


def test_sampling_below_minimum():
    assert check(ID, capture(initialSamplingPercentage=5), config={"dataCaptureMinPercent": 20}) == [
        "Data capture samples 5% of requests; at least 20% is required."]


def test_capture_without_kms():
    props = capture()
    del props["dataCaptureConfig"]["kmsKeyId"]
    assert check(ID, props) == ["Captured data is not encrypted with KMS (dataCaptureConfig.kmsKeyId)."]


def test_capture_not_to_s3():
    assert check(ID, capture(destinationS3Uri="https://bucket")) == [
        "Captured data has no s3:// destination (dataCaptureConfig.destinationS3Uri)."]
