"""Audit repro_2: the config's customer values (known people and companies, values to keep or
always replace, name-list files) never reach manifest.json or report.html; the manifest
records a count and a fingerprint of each list, enough to prove which config ran."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ftprep import PrepareConfig, prepare
from ftprep.manifest import (
    FILE_LIST_OPTIONS,
    VALUE_LIST_OPTIONS,
    redact_settings,
    values_fingerprint,
)
from ftprep.pseudonymize import PseudonymizeConfig

KEY = b"0123456789abcdef0123456789abcdef-s8-config"
PEOPLE = ["Leigh Taylor", "Jane Doe"]
SECRET_VALUES = ("Leigh Taylor", "Jane Doe", "Tailspin Toys", "Project Bluebird", "Northwind Admin",
                 "fabrikam.org", "Contoso-\\d+", "Megan Bowen", "contoso_people", "Q3 Contoso",
                 "CONTOSO TICKET")


def _chat(text: str) -> str:
    return json.dumps({"messages": [{"role": "system", "content": "bot"},
                                    {"role": "user", "content": text},
                                    {"role": "assistant", "content": "Sure."}]})


def test_fingerprint_is_of_the_sorted_list_keyed_and_never_holds_a_value() -> None:
    a = values_fingerprint(PEOPLE, KEY)
    assert a == values_fingerprint(list(reversed(PEOPLE)), KEY)  # config order does not matter
    assert a["count"] == 2 and a["fingerprint"].startswith("hmac-sha256:")
    assert len(a["fingerprint"]) == len("hmac-sha256:") + 64
    assert a != values_fingerprint(PEOPLE, b"another key of at least sixteen bytes")
    assert a != values_fingerprint([*PEOPLE, "Kim Lee"], KEY)
    plain = values_fingerprint(PEOPLE, None)
    assert plain["fingerprint"].startswith("sha256:") and plain["count"] == 2
    assert not any(v.lower() in json.dumps([a, plain]).lower() for v in PEOPLE)


def test_every_option_that_can_hold_customer_values_is_redacted() -> None:
    # the redacted options are exactly the PseudonymizeConfig fields that hold such values
    fields = set(PseudonymizeConfig().to_dict())
    assert set(VALUE_LIST_OPTIONS) | set(FILE_LIST_OPTIONS) <= fields
    kept_verbatim = fields - set(VALUE_LIST_OPTIONS) - set(FILE_LIST_OPTIONS)
    assert kept_verbatim == {"entities", "default_region", "keep_special_ips",
                             "keep_public_domains", "person_keys", "organization_keys",
                             "secret_keys", "detect_context_names", "embedded_json",
                             "secret_marker", "version_context", "leak_min_length",
                             "cache_size", "ner_plugin"}


def test_redact_settings(tmp_path: Path) -> None:
    names_file = tmp_path / "contoso_people.txt"
    names_file.write_text("Megan Bowen\n", encoding="utf-8")
    options = {"person_names": PEOPLE, "organization_names": "Tailspin Toys",
               "deny_values": ["Project Bluebird"], "allow_values": ["Northwind Admin"],
               "allow_patterns": ["Contoso-\\d+"], "keep_domains": ["fabrikam.org"],
               "name_list_files": [str(names_file)], "person_keys": ["account_owner"],
               "default_region": "GB"}
    settings = {"target": "azure", "sheet": "Q3 Contoso", "record_start": "CONTOSO TICKET",
                "template": "contoso.toml", "suite": None, "pseudonymize_options": options}
    out = redact_settings(settings, KEY, lambda p: f"<{p.upper()}>")
    text = json.dumps(out)
    assert not any(v.lower() in text.lower() for v in SECRET_VALUES)
    opts = out["pseudonymize_options"]
    assert opts["person_names"] == values_fingerprint(PEOPLE, KEY)
    assert opts["organization_names"] == values_fingerprint(["Tailspin Toys"], KEY)
    assert opts["name_list_files"]["count"] == 1
    assert opts["person_keys"] == ["account_owner"] and opts["default_region"] == "GB"
    assert out["sheet"] == values_fingerprint(["Q3 Contoso"], KEY)
    assert out["template"] == "<CONTOSO.TOML>" and out["suite"] is None
    assert settings["pseudonymize_options"] is options and options["person_names"] == PEOPLE
    # a list file is fingerprinted by its contents: renamed, the same; edited, different
    moved = tmp_path / "renamed.txt"
    names_file.rename(moved)
    same = redact_settings({"pseudonymize_options": {"name_list_files": [str(moved)]}}, KEY, str)
    assert same["pseudonymize_options"]["name_list_files"] == opts["name_list_files"]
    moved.write_text("Megan Bowen\nAlex Wilber\n", encoding="utf-8")
    edited = redact_settings({"pseudonymize_options": {"name_list_files": [str(moved)]}}, KEY, str)
    assert edited["pseudonymize_options"]["name_list_files"] != opts["name_list_files"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("s8config")
    names_file = base / "contoso_people.txt"
    names_file.write_text("Megan Bowen\n", encoding="utf-8")
    data = base / "in.jsonl"
    data.write_text("\n".join([
        _chat("Jane Doe from Tailspin Toys asked about Project Bluebird"),
        _chat("Leigh Taylor says hi to Megan Bowen"),
    ]) + "\n", encoding="utf-8")
    options = {"person_names": PEOPLE, "organization_names": ["Tailspin Toys"],
               "deny_values": ["Project Bluebird"], "allow_values": ["Northwind Admin"],
               "keep_domains": ["fabrikam.org"], "name_list_files": [str(names_file)]}
    config = PrepareConfig(pseudonymize_options=options, workers=1,
                           checks={"severity": {"train_min_rows": "off"}})
    report = prepare([data], base / "out", config, KEY)
    return base / "out", report


def test_no_config_value_in_manifest_or_report(run: tuple[Path, Any]) -> None:
    out, report = run
    for name in ("manifest.json", "report.html", "train.jsonl", "validation.jsonl"):
        text = (out / name).read_text(encoding="utf-8").lower()
        for value in SECRET_VALUES:
            assert value.lower() not in text, (name, value)
    assert report.manifest["pseudonymization"]["entities"]["PERSON"]["occurrences"] >= 3


def test_manifest_proves_which_lists_ran(run: tuple[Path, Any]) -> None:
    _, report = run
    options = report.manifest["config"]["pseudonymize_options"]
    assert options["person_names"] == values_fingerprint(PEOPLE, KEY)
    assert options["deny_values"] == values_fingerprint(["Project Bluebird"], KEY)
    assert options["name_list_files"]["count"] == 1
    assert set(options) == {"person_names", "organization_names", "deny_values",
                            "allow_values", "keep_domains", "name_list_files"}
