"""A team stack's ``secure:`` config, decrypted as the CLI decrypts it with the passphrase
secrets provider (pkg/secrets/passphrase/manager.go; symmetricCrypter in
sdk/go/common/resource/config/crypt.go: PBKDF2-SHA256, 1,000,000 rounds, AES-256-GCM)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from obsgov.synth.project import ProjectError, load_project
from obsgov.synth.stack_file import load_stack_config

SALT = b"saltsaltsaltsalt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _encrypt(key: bytes, text: str, nonce: bytes) -> str:
    return f"v1:{_b64(nonce)}:{_b64(AESGCM(key).encrypt(nonce, text.encode(), None))}"


@pytest.fixture(scope="module")
def key() -> bytes:
    return hashlib.pbkdf2_hmac("sha256", b"right", SALT, 1_000_000, 32)


def _stack(tmp_path: Path, key: bytes) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: app\nruntime: python\nconfig:\n  dbPort:\n    type: integer\n"
    )
    (tmp_path / "__main__.py").write_text("")
    salt = f"v1:{_b64(SALT)}:{_encrypt(key, 'pulumi', b'c' * 12)}"
    (tmp_path / "Pulumi.dev.yaml").write_text(
        f"encryptionsalt: {salt}\n"
        "config:\n"
        f"  app:dbPassword:\n    secure: {_encrypt(key, 'hunter2', b'a' * 12)}\n"
        f"  app:dbPort:\n    secure: {_encrypt(key, '5432', b'b' * 12)}\n"
        "  app:region: eu-west-1\n"
    )
    return tmp_path


def test_secure_values_are_decrypted_with_the_passphrase(tmp_path, key, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "right")
    project = load_project(_stack(tmp_path, key))
    config = load_stack_config(project, "dev")
    assert config.config["app:dbPassword"] == "hunter2"
    assert config.config["app:dbPort"] == "5432"
    # the keys the program and ConfigureStack are told are secret (analyzer_plugin.go)
    assert config.secret_keys == ["app:dbPassword", "app:dbPort"]
    assert config.notes == []


def test_a_decrypted_value_is_type_checked(tmp_path, key, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "right")
    folder = _stack(tmp_path, key)
    text = (folder / "Pulumi.dev.yaml").read_text()
    (folder / "Pulumi.dev.yaml").write_text(
        text.replace(
            text.split("app:dbPort:\n    secure: ")[1].split("\n")[0],
            _encrypt(key, "not-a-port", b"d" * 12),
        )
    )
    with pytest.raises(ProjectError, match="must be of type 'integer'"):
        load_stack_config(load_project(folder), "dev")


def test_a_wrong_passphrase_fails_as_the_clis_locked_manager_does(tmp_path, key, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "wrong")
    with pytest.raises(ProjectError) as caught:
        load_stack_config(load_project(_stack(tmp_path, key)), "dev")
    assert str(caught.value).startswith("failed to decrypt: incorrect passphrase, please set")


def test_without_a_passphrase_secrets_stay_hidden_and_a_note_says_why(tmp_path, key, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    config = load_stack_config(load_project(_stack(tmp_path, key)), "dev")
    assert config.config["app:dbPassword"] == "[secret]"
    assert "set PULUMI_CONFIG_PASSPHRASE" in config.notes[0]
