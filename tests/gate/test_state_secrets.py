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


def _spliced(text: str, extra: str) -> str:
    """``text`` with ``extra`` inserted after its fourth character."""
    return text[:4] + extra + text[4:]


def test_base64_is_read_as_go_reads_it_line_breaks_skipped_other_characters_refused():
    """crypt.go decodes with base64.StdEncoding.DecodeString, which skips \\r and \\n and
    refuses every other character outside the alphabet (a lenient decoder would drop them)."""
    nonce, body = _b64(b"n" * 12), _b64(AESGCM(KEY).encrypt(b"n" * 12, b"ok", None))
    assert decrypt_value(KEY, f"v1:{_spliced(nonce, chr(13) + chr(10))}:{body}") == "ok"
    assert decrypt_value(KEY, f"v1:{nonce}:{_spliced(body, chr(10))}") == "ok"
    assert _refusal(decrypt_value, KEY, f"v1:{_spliced(nonce, '!')}:{body}") == "bad value"
    assert _refusal(decrypt_value, KEY, f"v1:{nonce}:{_spliced(body, ' ')}") == "bad value"


def test_the_passphrase_file_is_trimmed_of_white_space_at_both_ends(tmp_path):
    """readPassphrase (pkg/secrets/passphrase/manager.go) applies strings.TrimSpace."""
    file = tmp_path / "passphrase"
    file.write_text(" \tmy pass phrase \t\r\n\n")
    assert passphrase_from_environment({"PULUMI_CONFIG_PASSPHRASE_FILE": str(file)}) == (
        "my pass phrase"
    )


def test_a_wrong_passphrase_and_a_wrong_check_value_are_both_an_incorrect_passphrase():
    """manager.go: ``err != nil || decrypted != "pulumi"`` is ErrIncorrectPassphrase."""
    import hashlib

    salt = b"pepper"
    key = hashlib.pbkdf2_hmac("sha256", b"right", salt, 1_000_000, 32)
    wrong_check = f"v1:{_b64(salt)}:{_encrypt(b'not pulumi', key=key)}"
    assert _refusal(passphrase_key, "right", wrong_check) == "incorrect passphrase"
    spliced_salt = f"v1:{_spliced(_b64(salt), chr(10))}:{_encrypt(b'pulumi', key=key)}"
    assert passphrase_key("right", spliced_salt) == key
    assert _refusal(passphrase_key, "wrong", spliced_salt) == "incorrect passphrase"
    assert _refusal(passphrase_key, "right", f"v1:{_spliced(_b64(salt), '*')}:v1:AAAA:AAAA") == (
        "malformed state value"
    )
