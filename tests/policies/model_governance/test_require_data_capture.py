import copy

from tests.support.policies import check

ID = "obsgov-sagemaker-endpointconfig-require-data-capture"
GOOD = {
    "dataCaptureConfig": {
        "enableCapture": True,
        "initialSamplingPercentage": 20,
        "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k",
        "destinationS3Uri": "s3://capture/fraud",
    }
}


def capture(**changes):
    props = copy.deepcopy(GOOD)
    props["dataCaptureConfig"].update(changes)
    return props


def test_compliant_capture_passes():
    assert check(ID, GOOD, config={"dataCaptureMinPercent": 20}) == []


def test_no_capture():
    assert check(ID, {}) == ["Data capture is not enabled (dataCaptureConfig)."]
    assert check(ID, capture(enableCapture=False)) == [
        "Data capture is not enabled (dataCaptureConfig)."
    ]


def test_sampling_below_minimum():
    assert check(
        ID, capture(initialSamplingPercentage=5), config={"dataCaptureMinPercent": 20}
    ) == ["Data capture samples 5% of requests; at least 20% is required."]


def test_capture_without_kms():
    props = capture()
    del props["dataCaptureConfig"]["kmsKeyId"]
    assert check(ID, props) == [
        "Captured data is not encrypted with KMS (dataCaptureConfig.kmsKeyId)."
    ]


def test_capture_not_to_s3():
    assert check(ID, capture(destinationS3Uri="https://bucket")) == [
        "Captured data has no s3:// destination (dataCaptureConfig.destinationS3Uri)."
    ]


def test_capture_is_on_unless_switched_off():
    props = copy.deepcopy(GOOD)
    del props["dataCaptureConfig"]["enableCapture"]
    assert check(ID, props) == []
    assert check(ID, capture(enableCapture=False)) == [
        "Data capture is not enabled (dataCaptureConfig)."
    ]


def test_unset_sampling_is_zero_percent():
    props = copy.deepcopy(GOOD)
    del props["dataCaptureConfig"]["initialSamplingPercentage"]
    assert check(ID, props) == ["Data capture samples 0% of requests; at least 10% is required."]


def test_the_default_minimum_without_the_engines_defaults():
    assert check(ID, capture(initialSamplingPercentage=10), config={}, defaults=False) == []
    assert check(ID, capture(initialSamplingPercentage=9), config={}, defaults=False) == [
        "Data capture samples 9% of requests; at least 10% is required."
    ]


def test_a_missing_destination():
    props = copy.deepcopy(GOOD)
    del props["dataCaptureConfig"]["destinationS3Uri"]
    assert check(ID, props) == [
        "Captured data has no s3:// destination (dataCaptureConfig.destinationS3Uri)."
    ]
