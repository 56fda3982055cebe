"""Secrets in ODBC braced values, quoted values with spaces, and under prefixed keys and
command-line flags (audit repro_7, repro_10, their text forms)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"


def secrets(text: str) -> list[str]:
    return [text[s.start : s.end] for s in DET.spans(text) if s.etype == "SECRET"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Pwd={S3cr;et!P@ss w0rd};Encrypt=yes", ["S3cr;et!P@ss w0rd"]),
    ("Password={a}}b c};Encrypt=yes", ["a}}b c"]),  # "}}" is a "}" inside an ODBC braced value
    ("Password='Sup3r S3cret!'", ["Sup3r S3cret!"]),
    ('password: "two words here"', ["two words here"]),
    ('password: "hunter2!"', ["hunter2!"]),
    ('export DB_PASSWORD="Tr0ub4dor&3 horse"', ["Tr0ub4dor&3 horse"]),
    ("PGPASSWORD='S3cr3t Pw' psql", ["S3cr3t Pw"]),
    ("app settings: DB_PASSWORD=Xq7!vR2#pLm9", ["Xq7!vR2#pLm9"]),
    ("SqlAdminPassword=Xq7!vR2#pLm9", ["Xq7!vR2#pLm9"]),
    ("SqlAdminPassword: Xq7!vR2#pLm9", ["Xq7!vR2#pLm9"]),
    ("adminPassword=Xq7!vR2#pLm9", ["Xq7!vR2#pLm9"]),
    ("spring.datasource.password=Xq7vR2pLm9", ["Xq7vR2pLm9"]),
    ("MYSQL_ROOT_PASSWORD2=Xq7vR2pLm9", ["Xq7vR2pLm9"]),
    ("az vm create -n vm1 --admin-username azureuser --admin-password 'Xq7!vR2#pLm9'", ["Xq7!vR2#pLm9"]),
    ("mysql --password hunter22 -h db", ["hunter22"]),
    ("sqlcmd --db-pwd=hunter22", ["hunter22"]),
    ("AZURE_OPENAI_API_KEY=8f2c4e6a1b3d5f7092a4c6e8b0d2f4a6", ["8f2c4e6a1b3d5f7092a4c6e8b0d2f4a6"]),
    ('{"x-functions-key": "1a2b3c4d5e6f70819a2b3c4d5e6f7081"}', ["1a2b3c4d5e6f70819a2b3c4d5e6f7081"]),
    ("JWT_SECRET=abcdefgh", ["abcdefgh"]),
])
def test_secret_values(text: str, expected: list[str]) -> None:
    assert secrets(text) == expected


@pytest.mark.parametrize("text", [
    "RequirePassword=true",  # a setting about passwords
    "DisablePassword: false",
    "PasswordPolicy=strict",  # a suffixed key: another setting
    "pwdLastSet: 133456789",
    "minPasswordLength=12",
    "--password $DB_PASS",  # a shell variable
    "--admin-password -n vm1",  # the next flag, no value
    'DB_PASSWORD="${DB_PASS}"',
    "DB_PASSWORD=<your password>",
    "reset your password now",
    "SecretName=kv-secret-name-x",  # not a secret, its name
    "https://contoso.com/resetpassword=1",  # in a path
    'password: ""',
    'password: "ab"',
])
def test_near_misses(text: str) -> None:
    assert secrets(text) == []


def test_unchanged_plain_forms() -> None:
    assert secrets("Password=abc def") == ["abc"]  # unquoted: the value ends at the space
    assert secrets("AccountKey=abc123def456==;") == ["abc123def456=="]


def test_replaced_text_keeps_the_delimiters() -> None:
    p = Pseudonymizer(KEY)
    out = p.transform_text("Pwd={S3cr;et!P@ss w0rd};Encrypt=yes and Password='Sup3r S3cret!'").value
    assert out == "Pwd={[REDACTED]};Encrypt=yes and Password='[REDACTED]'"
    out = p.transform_text('export DB_PASSWORD="Tr0ub4dor&3 horse"\nPGPASSWORD=\'S3cr3t Pw\' psql').value
    assert out == 'export DB_PASSWORD="[REDACTED]"\nPGPASSWORD=\'[REDACTED]\' psql'
    out = p.transform_text("az vm create --admin-password 'Xq7!vR2#pLm9' --password hunter22").value
    assert out == "az vm create --admin-password '[REDACTED]' --password [REDACTED]"
