"""Service Bus / Event Hubs SAS connection strings (audit repro_8): the secret parts are
redacted, the namespace host is pseudonymized the same way everywhere, and a prepare run of
such data passes its leak check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftprep.cli import main
from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"
SAS = ("Endpoint=sb://ns-contoso.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature "
       "sr=ns-contoso.servicebus.windows.net&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D&se=1735689600"
       "&skn=RootManageSharedAccessKey")
KEYED = ("Endpoint=sb://ns-contoso-orders.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
         "SharedAccessKey=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=;EntityPath=orders")


def found(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


def test_sas_signature_form_spans() -> None:
    assert found(SAS) == [
        ("URL", "sb://ns-contoso.servicebus.windows.net/"),
        ("HOSTNAME", "ns-contoso.servicebus.windows.net"),
        ("SECRET", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D%3D"),
    ]


def test_shared_access_key_form_spans() -> None:
    assert found(KEYED) == [
        ("URL", "sb://ns-contoso-orders.servicebus.windows.net/"),
        ("SECRET", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG="),
    ]


def test_url_encoded_resource_in_authorization_header() -> None:
    text = ("Authorization: SharedAccessSignature sr=https%3A%2F%2Fns-contoso.servicebus.windows.net%2Fq1"
            "&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D&se=1&skn=send")
    assert found(text) == [("HOSTNAME", "ns-contoso.servicebus.windows.net"),
                           ("SECRET", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA%3D")]


@pytest.mark.parametrize("text", [
    "SharedAccessKeyName=RootManageSharedAccessKey",  # the key's name is no secret
    "skn=RootManageSharedAccessKey&se=1735689600",
    "the SharedAccessSignature scheme is documented",
    "xsb://ns.servicebus.windows.net/",  # not the sb scheme
    "100%2Fsecond",  # a percent escape before a word without a TLD
])
def test_near_misses(text: str) -> None:
    assert found(text) == []


def test_plain_shared_access_signature_value_is_still_a_secret() -> None:
    assert found("SharedAccessSignature=abcdefgh1234") == [("SECRET", "abcdefgh1234")]
    assert found("SharedAccessSignature: SharedAccessSignatureX1") == [("SECRET", "SharedAccessSignatureX1")]


def test_namespace_host_maps_the_same_everywhere() -> None:
    p = Pseudonymizer(KEY)
    out = p.transform_text(SAS).value
    plain = p.transform_text("host ns-contoso.servicebus.windows.net").value.split()[-1]
    assert "ns-contoso" not in out and "Zm9vYmFy" not in out
    assert out.count(plain) == 2 and plain.endswith(".servicebus.windows.net")
    assert "SharedAccessSignature=SharedAccessSignature sr=" in out and "skn=RootManageSharedAccessKey" in out
    keyed = p.transform_text(KEYED).value
    assert "abcdefghijklmnop" not in keyed and "ns-contoso-orders" not in keyed
    assert "SharedAccessKeyName=RootManageSharedAccessKey;" in keyed and keyed.endswith(";EntityPath=orders")


def test_prepare_passes_its_leak_check(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_bytes(KEY + b"\n")
    key.chmod(0o600)
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('[checks.severity]\ntrain_min_rows = "off"\n')
    rows = [{"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": "ok"}]}
            for t in (SAS, KEYED, "ns-contoso.servicebus.windows.net is down", "hello", "hi there")]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code = 0
    with CliRunner().isolation():
        try:
            main(["prepare", str(src), "-o", str(tmp_path / "o"), "--key-file", str(key), "--config", str(cfg),
                  "--workers", "1"])
        except SystemExit as exc:
            code = int(exc.code or 0)
    assert code == 0
    out = "".join((tmp_path / "o" / f).read_text() for f in ("train.jsonl", "validation.jsonl"))
    assert "ns-contoso" not in out and "Zm9vYmFy" not in out and "abcdefghijklmnop" not in out
