"""The credentials files' Ansible Vault format, checked against Ansible's own vault in both directions."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.msp.connectwise.plugins.module_utils.storage import vault

TEXT = '{"public_key": "pub", "private_key": "a private key \\u00e9"}\n'


def ansible_vault(password):
    return VaultLib([("default", VaultSecret(password.encode()))])


def test_ansible_vault_opens_what_the_collection_writes():
    written = vault.encrypt(TEXT, "correct horse")
    assert written.startswith("$ANSIBLE_VAULT;1.1;AES256\n") and "private" not in written
    assert all(len(line) <= 80 for line in written.splitlines())
    assert ansible_vault("correct horse").decrypt(written).decode() == TEXT


def test_the_collection_opens_what_ansible_vault_writes():
    written = ansible_vault("correct horse").encrypt(TEXT).decode()
    assert vault.decrypt(written, "correct horse", "dest") == TEXT


def test_each_write_is_salted_anew():
    assert vault.encrypt(TEXT, "pw") != vault.encrypt(TEXT, "pw")


@pytest.mark.parametrize("text, password, message", [
    (None, "wrong", "the vault password does not open it"),
    ("$ANSIBLE_VAULT;1.1;AES256\nzz\n", "pw", "a damaged vault file"),
    ('{"plain": true}', "pw", "not an Ansible Vault AES256 file"),
])
def test_a_wrong_password_or_a_damaged_file_is_a_clear_error(text, password, message):
    with pytest.raises(vault.VaultError) as caught:
        vault.decrypt(text or vault.encrypt(TEXT, "right"), password, "dest: creds.json")
    assert str(caught.value).startswith("dest: creds.json: " + message)
