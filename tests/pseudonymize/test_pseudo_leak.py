from __future__ import annotations

import pickle

from ftprep.pseudonymize import LeakScanner, Pseudonymizer

KEY = b"leak-test-key-0123456789abcdef"


def test_leak_scan_finds_planted_originals_by_type_only() -> None:
    p = Pseudonymizer(KEY)
    records = [{"messages": [{"role": "user", "content": f"Name: Jane Doe\nip 10.0.{i}.9 mail j{i}@contoso.com"}]}
               for i in range(50)]
    outs = [p.transform(r).value for r in records]
    scanner = p.leak_scanner()
    assert all(scanner.scan(o["messages"][0]["content"]) == [] for o in outs)
    planted = outs[3]["messages"][0]["content"] + " leaked 10.0.7.9 and J7@CONTOSO.COM and Jane Doe"
    hits = scanner.scan(planted)
    assert sorted(hits) == ["EMAIL", "IPV4", "PERSON"]
    assert all(h.isupper() for h in hits)


def test_leak_scan_respects_word_boundaries_and_name_case() -> None:
    s = LeakScanner({"IPV4": ["10.0.0.1"], "PERSON": ["Will"]})
    assert s.scan("10.0.0.12 and 110.0.0.1") == []
    assert s.scan("it will work") == []  # names are matched as written
    assert s.scan("ask Will today") == ["PERSON"]


def test_leak_scanner_scales_and_pickles() -> None:
    originals = {"EMAIL": [f"user{i}@contoso{i % 97}.com" for i in range(100_000)]}
    s = LeakScanner(originals)
    assert s.size == 100_000
    text = "x " * 5000 + "user99999@contoso89.com"
    assert s.scan(text) == ["EMAIL"]
    assert pickle.loads(pickle.dumps(s)).scan(text) == ["EMAIL"]


def test_residual_ignores_own_fakes_and_kept_values() -> None:
    p = Pseudonymizer(KEY)
    out = p.transform_text("a 10.1.1.1 b 3f2504e0-4f89-11d3-9a0c-0305e82c3301 c 127.0.0.1").value
    scanner = p.leak_scanner()
    assert scanner.residual(out) == []
    assert scanner.residual(out + " new 10.2.2.2") == ["IPV4"]


def test_repair_replaces_survivors_from_other_records() -> None:
    p = Pseudonymizer(KEY)
    first = p.transform({"c": "Customer: Jane Doe"}).value
    second = p.transform({"c": "Jane Doe approved it"}).value  # no context here
    assert second["c"] == "Jane Doe approved it"
    scanner = p.leak_scanner()
    assert scanner.scan(second["c"]) == ["PERSON"]
    fixed = p.repair(second, scanner)
    assert fixed.changed and scanner.scan(fixed.value["c"]) == []
    assert fixed.value["c"] == first["c"].split(": ")[1] + " approved it"


def test_collected_pairs_expose_fake_to_original_ids() -> None:
    p = Pseudonymizer(KEY)
    p.transform_text("10.1.2.3 and 10.1.2.4")
    pairs = p.collected_pairs()
    assert len(pairs) == 2 and len(set(pairs.values())) == 2
    assert p._hasher.oid("IPV4", "10.1.2.3") in pairs.values()
    assert p._hasher.oid("IPV4", "10.1.2.3") not in pairs  # an original is never a fake


def test_json_scan_view_exposes_names_after_escapes_with_offsets_kept() -> None:
    from ftprep.io import dumps
    from ftprep.pseudonymize.leak import json_scan_view

    s = LeakScanner({"PERSON": ["Leigh Taylor"]})
    for value in ("Regards,\nLeigh Taylor", "a\tLeigh Taylor\r\n", "x\u0007Leigh Taylor"):
        row = dumps({"c": value}).decode()
        assert s.scan(row) == []  # the escape's letter glues onto the name
        view = json_scan_view(row)
        assert len(view) == len(row) and s.scan(view) == ["PERSON"]
    literal = dumps({"c": "C:\\nLeigh Taylor"}).decode()  # an escaped backslash, then "n"
    assert json_scan_view(literal) == literal


def test_residual_ignores_values_policy_keeps_and_cut_fake_urls() -> None:
    p = Pseudonymizer(KEY)
    src = ("see https://stcontoso01.blob.core.windows.net/x?sv=1&sig=abcdefghijklmnop], "
           "vm-api-prod-01 and vm-pos-dev-04")
    out = p.transform_text(src).value
    scanner = p.leak_scanner()
    kept = ("blob.core.windows.net privatelink.blob.core.windows.net "
            "https://go.microsoft.com/fwlink/?linkid=2125287 vm-api-prod-09")
    assert scanner.residual(out) == []
    assert scanner.residual(kept) == []
    assert scanner.residual("vm-pos-dev-05 on fabrikam-prod.corp") == ["AZURE_RESOURCE_ID", "HOSTNAME"]
