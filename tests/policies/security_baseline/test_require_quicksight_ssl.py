from tests.support.policies import check

ID = "obsgov-quicksight-datasource-require-ssl"


def test_ssl_on_or_default_passes():
    assert check(ID, {"sslProperties": {"disableSsl": False}}) == []
    assert check(ID, {"type": "ATHENA"}) == []


def test_ssl_disabled():
    assert check(ID, {"sslProperties": {"disableSsl": True}}) == [
        "The data source disables SSL, so queries and results cross the network in clear text."
    ]
