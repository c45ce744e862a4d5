# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible Vault 1.1 (AES256) for the credentials files, so that a key pair can be kept encrypted at rest and read
with ``ansible-vault view``, ``include_vars`` or ``lookup('file')``. A module may not import Ansible's controller
vault code, so the published format is written here with the ``cryptography`` primitives it is defined by:
PBKDF2-HMAC-SHA256 (10000 rounds, 32-byte salt) derives the AES-256 key, the HMAC-SHA256 key and the CTR nonce; the
PKCS7-padded text is encrypted with AES-256-CTR and authenticated with the HMAC. Tested against Ansible's own vault."""

from __future__ import annotations

import binascii
import os

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.hmac import HMAC
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core itself requires cryptography
    HAS_CRYPTOGRAPHY = False

HEADER = "$ANSIBLE_VAULT;1.1;AES256"


class VaultError(ValueError):
    """A vault file that cannot be read with the given password."""


def is_vault(text):
    return text.lstrip().startswith("$ANSIBLE_VAULT;")


def _keys(password, salt):
    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=10000).derive(password.encode("utf-8"))
    return derived[:32], derived[32:64], derived[64:80]


def encrypt(text, password):
    if not HAS_CRYPTOGRAPHY:
        raise VaultError("vault_password: the Python library cryptography is needed to write an encrypted file")
    salt = os.urandom(32)
    cipher_key, hmac_key, nonce = _keys(password, salt)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(nonce)).encryptor()
    ciphertext = encryptor.update(padder.update(text.encode("utf-8")) + padder.finalize()) + encryptor.finalize()
    mac = HMAC(hmac_key, hashes.SHA256())
    mac.update(ciphertext)
    body = binascii.hexlify(b"\n".join([binascii.hexlify(salt), binascii.hexlify(mac.finalize()), binascii.hexlify(ciphertext)]))
    lines = [body[i:i + 80].decode("ascii") for i in range(0, len(body), 80)]
    return "\n".join([HEADER] + lines) + "\n"


def decrypt(text, password, where):
    """The plain text of a vault file; ``where`` names the file in errors."""
    if not HAS_CRYPTOGRAPHY:
        raise VaultError("%s: the Python library cryptography is needed to read an encrypted file" % where)
    lines = text.strip().splitlines()
    header = lines[0].strip().split(";") if lines else []
    if len(header) < 3 or header[0] != "$ANSIBLE_VAULT" or header[2].strip() != "AES256":
        raise VaultError("%s: not an Ansible Vault AES256 file" % where)
    try:
        salt, mac, ciphertext = binascii.unhexlify("".join(line.strip() for line in lines[1:])).split(b"\n", 2)
        salt, mac, ciphertext = binascii.unhexlify(salt), binascii.unhexlify(mac), binascii.unhexlify(ciphertext)
    except (binascii.Error, ValueError) as exc:
        raise VaultError("%s: a damaged vault file (%s)" % (where, exc)) from None
    cipher_key, hmac_key, nonce = _keys(password, salt)
    check = HMAC(hmac_key, hashes.SHA256())
    check.update(ciphertext)
    try:
        check.verify(mac)
    except InvalidSignature:
        raise VaultError("%s: the vault password does not open it (give the password it was written with)" % where) from None
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(nonce)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(decryptor.update(ciphertext) + decryptor.finalize()) + unpadder.finalize()).decode("utf-8")
