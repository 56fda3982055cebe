from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftprep.errors import ConfigError
from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer

KEY = b"config-test-key-0123456789"


def test_round_trip_and_json() -> None:
    cfg = PseudonymizeConfig(default_region="GB", allow_values=("8.8.8.8",), leak_min_length=5)
    d = cfg.to_dict()
    json.dumps(d)
    assert PseudonymizeConfig.from_dict(d) == cfg
    assert hash(cfg) == hash(PseudonymizeConfig.from_dict(d))


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"nope": 1}, "unknown key"),
        ({"entities": ["EMAIL", "BANANA"]}, "unknown entity"),
        ({"default_region": "USA"}, "two-letter"),
        ({"keep_special_ips": "yes"}, "true or false"),
        ({"allow_patterns": ["("]}, "invalid regex"),
        ({"allow_values": [1]}, "list of strings"),
        ({"secret_marker": 'a"b'}, "secret_marker"),
    ],
)
def test_bad_config(table: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        PseudonymizeConfig.from_dict(table)


def test_entities_subset_and_case() -> None:
    cfg = PseudonymizeConfig.from_dict({"entities": ["email"], "default_region": "gb"})
    out = Pseudonymizer(KEY, cfg).transform_text("a@contoso.com 10.1.2.3").value
    assert "10.1.2.3" in out and "a@contoso.com" not in out


def test_keep_domains_and_public_domains() -> None:
    p = Pseudonymizer(KEY, PseudonymizeConfig(keep_domains=("ourco.com",)))
    text = "see https://learn.microsoft.com/x and docs.ourco.com and support@ourco.com and x.contoso.com"
    out = p.transform_text(text).value
    assert "https://learn.microsoft.com/x" in out and "docs.ourco.com" in out
    assert "x.contoso.com" not in out
    assert "@ourco.com" in out  # the domain is kept; a personal local part would still change


def test_deny_values_and_name_lists(tmp_path: Path) -> None:
    csv = tmp_path / "crm.csv"
    csv.write_text("first_name,last_name,company\nJane,Doe,Woodgrove Bank\n", encoding="utf-8")
    txt = tmp_path / "people.txt"
    txt.write_text("# known people\nJohn Smith\n", encoding="utf-8")
    cfg = PseudonymizeConfig(deny_values=("Project Falcon",), name_list_files=(str(csv), str(txt)))
    out = Pseudonymizer(KEY, cfg).transform_text(
        "Project Falcon: Jane Doe and John Smith of Woodgrove Bank met Doe.").value
    for original in ("Project Falcon", "Jane Doe", "John Smith", "Woodgrove Bank", "Doe."):
        assert original not in out


def test_missing_name_list_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        Pseudonymizer(KEY, PseudonymizeConfig(name_list_files=(str(tmp_path / "none.csv"),)))


def test_context_names_can_be_turned_off() -> None:
    p = Pseudonymizer(KEY, PseudonymizeConfig(detect_context_names=False))
    assert p.transform_text("Hi Jane,\nthanks").value == "Hi Jane,\nthanks"


class _FakeNer:
    def __init__(self, config: object) -> None:
        self.config = config

    def find(self, text: str) -> list[tuple[int, int, str]]:
        i = text.find("Zorblax")
        return [(i, i + len("Zorblax"), "PERSON")] if i >= 0 else []


def fake_ner_factory(config: object) -> _FakeNer:
    return _FakeNer(config)


def test_ner_plugin_spans_are_replaced() -> None:
    cfg = PseudonymizeConfig(ner_plugin=f"{__name__}:fake_ner_factory")
    out = Pseudonymizer(KEY, cfg).transform_text("the engineer Zorblax fixed it").value
    assert "Zorblax" not in out and out.startswith("the engineer ")


def test_bad_ner_plugin() -> None:
    with pytest.raises(ConfigError, match="cannot be loaded"):
        Pseudonymizer(KEY, PseudonymizeConfig(ner_plugin="no_such_module:x"))
