"""The passphrase secrets manager's formats, refused in its own words before any key is
derived or any secret revealed (pkg/secrets/passphrase/manager.go, symmetricCrypter)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from obsgov.gate.state import (
    SecretsError,
    decrypt_value,
    passphrase_from_environment,
    passphrase_key,
)

KEY = bytes(range(32))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _encrypt(plaintext: bytes, nonce: bytes = b"n" * 12, key: bytes = KEY) -> str:
    return f"v1:{_b64(nonce)}:{_b64(AESGCM(key).encrypt(nonce, plaintext, None))}"


def _refusal(call, *args) -> str:
    with pytest.raises(SecretsError) as caught:
        call(*args)
    return str(caught.value)


def test_a_value_encrypted_with_the_key_is_revealed():
    assert decrypt_value(KEY, _encrypt(b'"obsgov"')) == '"obsgov"'


@pytest.mark.parametrize(
    ("ciphertext", "message"),
    [
        ("v1:abc", "bad value"),
        ("v1:a:b:c", "bad value"),
        (f"v2:{_b64(b'n' * 12)}:{_b64(b'body')}", "bad value"),
        ("v1:not base64!:AAAA", "bad value"),
        (f"v1:{_b64(b'n' * 12)}:not base64!", "bad value"),
        (f"v1:{_b64(b'n' * 11)}:{_b64(b'body')}", "bad value: nonce size is incorrect"),
        (f"v1:{_b64(b'n' * 13)}:{_b64(b'body')}", "bad value: nonce size is incorrect"),
        (_encrypt(b"x", key=bytes(32)), "message authentication failed"),
        (_encrypt(b"\xff\xfe"), "message authentication failed"),
    ],
    ids=[
        "two parts",
        "four parts",
        "version",
        "nonce not base64",
        "body not base64",
        "short nonce",
        "long nonce",
        "other key",
        "not UTF-8",
    ],
)
def test_a_value_that_cannot_be_decrypted_is_refused(ciphertext, message):
    assert _refusal(decrypt_value, KEY, ciphertext) == message


@pytest.mark.parametrize(
    "state",
    ["v1:c2FsdA==", "v2:c2FsdA==:v1:AAAA:AAAA", "v1:not base64!:v1:AAAA:AAAA"],
    ids=["two parts", "version", "salt not base64"],
)
def test_a_malformed_salt_state_is_refused(state):
    assert _refusal(passphrase_key, "passphrase", state) == "malformed state value"


def test_the_passphrase_comes_from_the_variable_before_the_file(tmp_path):
    file = tmp_path / "passphrase"
    file.write_text("from file\r\n")
    assert passphrase_from_environment({"PULUMI_CONFIG_PASSPHRASE_FILE": str(file)}) == "from file"
    assert (
        passphrase_from_environment(
            {"PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": str(file)}
        )
        == ""
    )
    assert passphrase_from_environment({"PULUMI_CONFIG_PASSPHRASE_FILE": ""}) is None
    assert passphrase_from_environment({}) is None


def test_the_passphrase_is_checked_against_the_salt_state():
    """One key derivation (a million PBKDF2 rounds, as the CLI) for the right and the wrong
    passphrase each. A wrong key fails AES-GCM's authentication before the check value is
    compared; either way the state's secrets are then redacted (test_state.py)."""
    import hashlib

    salt = b"saltsalt"
    key = hashlib.pbkdf2_hmac("sha256", b"right", salt, 1_000_000, 32)
    state = f"v1:{_b64(salt)}:{_encrypt(b'pulumi', key=key)}"
    assert passphrase_key("right", state) == key
    with pytest.raises(SecretsError):
        passphrase_key("wrong", state)
