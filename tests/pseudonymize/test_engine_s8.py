"""Audit fixes in the replacement engine: embedded JSON numbers are written back as they were,
secret field names with a prefix (adminPassword, DB_PASSWORD), ARM parameter values, and
"Last, First" names after a key linked to the same person as "First Last"."""

from __future__ import annotations

import json

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.engine import secret_suffixes
from ftprep.pseudonymize.names import NameFinder

KEY = b"engine-s8-test-key-0123456789abcdef"


def test_embedded_json_numbers_stay_as_written() -> None:
    p = Pseudonymizer(KEY)
    args = '{"email":"jane.doe@contoso.com","amount":1e400,"price":1.10,"big":12345678901234567890123456789}'
    out = p.transform_text(args).value
    assert "jane.doe@contoso.com" not in out
    assert '"amount":1e400' in out and '"price":1.10' in out and "12345678901234567890123456789" in out
    assert "Infinity" not in out
    json.loads(out)
    # numbers that round-trip are re-dumped value by value as before
    plain = p.transform_text('{"email":"jane.doe@contoso.com","price":1.5,"n":3}').value
    assert json.loads(plain)["price"] == 1.5 and '"price":1.5' in plain


def test_tool_call_arguments_stay_strict_json() -> None:
    p = Pseudonymizer(KEY)
    rec = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments":
            '{"email":"jane.doe@contoso.com","amount":1e400,"price":1.10}'}}]}]}
    args = p.transform(rec).value["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert "jane.doe@contoso.com" not in args and "Infinity" not in args and "1.10" in args


def test_prefixed_secret_field_names_are_redacted() -> None:
    p = Pseudonymizer(KEY)
    rec = {"DB_PASSWORD": "Xq7!vR2#pLm9", "adminPassword": "Xq7!vR2#pLm9", "SqlAdminPassword": "Xq7!vR2#pLm9",
           "primaryConnectionString": "Server=tcp:x;Password=abc", "storageAccountKey": "abc123==",
           "nextPageToken": "c2tpcDoxMA", "passwordPolicy": "complex", "pwdHint": "name of my cat"}
    out = p.transform(rec).value
    marker = p.config.secret_marker
    for k in ("DB_PASSWORD", "adminPassword", "SqlAdminPassword", "primaryConnectionString", "storageAccountKey"):
        assert out[k] == marker, k
    # short keys only as a whole name; a suffix is what counts, not a prefix
    assert out["nextPageToken"] == "c2tpcDoxMA" and out["passwordPolicy"] == "complex"
    assert out["pwdHint"] == "name of my cat"


def test_secret_suffixes_follow_the_configured_keys() -> None:
    assert "password" in secret_suffixes(frozenset({"password", "pwd", "token"}))
    assert secret_suffixes(frozenset({"pwd", "token"})) == ()
    p = Pseudonymizer(KEY, PseudonymizeConfig(secret_keys=("pin_code",)))
    out = p.transform({"cardPinCode": "1234", "password": "kept: not configured"}).value
    assert out["cardPinCode"] == p.config.secret_marker and out["password"] == "kept: not configured"


def test_arm_parameter_values_take_their_parameter_name() -> None:
    p = Pseudonymizer(KEY)
    rec = {"parameters": {"adminUsername": {"value": "azureuser"},
                          "adminPassword": {"value": "Xq7!vR2#pLm9"},
                          "ownerName": {"value": "Robert Smith"},
                          "sku": {"value": "Standard_LRS"}}}
    out = p.transform(rec).value["parameters"]
    assert out["adminPassword"]["value"] == p.config.secret_marker
    assert out["ownerName"]["value"] != "Robert Smith" and len(out["ownerName"]["value"].split()) == 2
    assert out["sku"]["value"] == "Standard_LRS" and out["adminUsername"]["value"] == "azureuser"
    # a plain "value" field elsewhere is unchanged in meaning
    assert p.transform({"value": "Standard_LRS"}).value == {"value": "Standard_LRS"}


def test_last_first_after_a_key_is_one_name_linked_to_first_last() -> None:
    finder = NameFinder(PseudonymizeConfig())
    text = "Owner: Smith, Robert\nPlease escalate."
    assert [text[s.start:s.end] for s in finder.find(text)] == ["Smith, Robert"]
    for other in ("Contact: Jane Doe, Contoso", "Owner: Smith,Robert", "Owner: Smith, Robert Jr"):
        assert all("," not in other[s.start:s.end] for s in finder.find(other)), other
    p = Pseudonymizer(KEY)
    out = p.transform({"messages": [{"role": "user", "content": text},
                                    {"role": "assistant", "content": "Hello Robert Smith, I escalated it."}]}).value
    user, assistant = out["messages"][0]["content"], out["messages"][1]["content"]
    last, first = user.removeprefix("Owner: ").split("\n")[0].split(", ")
    assert f"Hello {first} {last}," in assistant
    assert "Smith" not in user + assistant and "Robert" not in user + assistant


def test_learned_names_are_replaced_next_to_spaceless_scripts() -> None:
    """The first pass uses the leak check's boundary rule, so a name learned in a record is
    replaced where it touches CJK text too (not left for the repair pass)."""
    p = Pseudonymizer(KEY)
    out = p.transform({"messages": [{"role": "user", "content": "Contact: Jane Doe\n请联系Jane Doe获取帮助"}]}).value
    text = out["messages"][0]["content"]
    assert "Jane" not in text and "Doe" not in text and "请联系" in text and "获取帮助" in text
    # Latin letters still extend a word: no replacement inside "JaneDoeX"
    assert "xJane Doex" in p.transform({"a": "Contact: Jane Doe", "b": "xJane Doex"}).value["b"]


def test_redacted_secrets_count_does_not_depend_on_the_cache() -> None:
    """A URL with a sig= is replaced once and then served from the replacement cache: its
    secret must be counted every time (a parallel run's workers have other caches, so the
    count differed between --workers 1 and 2; audit repro_10)."""
    url = "see https://stfoo123.blob.core.windows.net/c/b.txt?sv=2022-11-02&sig=abcDEF0123456789abcdefABCDEF%3D now"
    warm = Pseudonymizer(KEY)
    for _ in range(3):
        warm.transform_text(url)
    cold_counts = []
    for _ in range(3):
        cold = Pseudonymizer(KEY)
        cold.transform_text(url)
        cold_counts.append(cold.report().redacted_secrets)
    report = warm.report()
    assert report.redacted_secrets == sum(cold_counts) == 3
    assert report.to_dict()["entities"]["SECRET"]["occurrences"] == report.redacted_secrets


def test_lookup_checks_the_value_against_its_type() -> None:
    """``ftprep lookup VALUE --type T`` with a VALUE that is not a T: a clear error that does
    not quote the value (was exit 70, Python's own messages quoting it, or a nonsense fake)."""
    import pytest

    p = Pseudonymizer(KEY)
    for etype, value in (("CREDIT_CARD", "hello"), ("IPV4", "+1"), ("IPV4", "a@b"), ("IPV6", "1.2.3.4"),
                         ("EMAIL", "hello"), ("PHONE", "1.2.3.4"), ("IBAN", "x"), ("MAC", "a@b"),
                         ("HOSTNAME", "1.2.3.4")):
        with pytest.raises(ValueError) as exc:
            p.lookup(etype, value)
        assert etype in str(exc.value) and value not in str(exc.value).replace(etype, "")
    assert p.lookup("EMAIL", "jane.doe@contoso.com") != "jane.doe@contoso.com"
    assert p.lookup("IPV6", "fe80::1:2:3") == "fe80::1:2:3"  # kept by policy, as in the data
    assert p.lookup("PERSON", "Jane") != "Jane"  # names have no shape to check


def test_a_guid_inside_a_resource_name_gets_its_own_fake() -> None:
    """``.../workspaces/DefaultWorkspace-<guid>-EUS``: the GUID inside the name becomes the
    GUID's fake (the same as the subscription's elsewhere), no digit of it is kept."""
    g = "4c5fde8d-fff2-48fe-86ef-05fdb517ecfa"
    text = (f"/subscriptions/{g}/resourceGroups/DefaultResourceGroup-EUS/providers/"
            f"Microsoft.OperationalInsights/workspaces/DefaultWorkspace-{g}-EUS and sub {g}")
    out = Pseudonymizer(KEY).transform_text(text).value
    fake = Pseudonymizer(KEY).lookup("GUID", g)
    assert g not in out and out.count(fake) == 3
    for group in g.split("-"):
        assert group not in out


def test_url_encoded_email_is_the_same_person() -> None:
    p = Pseudonymizer(KEY)
    plain = p.transform_text("mail bob.smith@fabrikam.com").value.removeprefix("mail ")
    url = "https://contoso.sharepoint.com/personal/x?user=bob.smith%40fabrikam.com&x=1"
    out = p.transform_text(url).value
    assert "bob.smith" not in out and "fabrikam" not in out
    assert plain.replace("@", "%40") in out
    # an earlier escape ends the local part; other %40 are not e-mails
    assert p.transform_text("a%3Dbob.smith%40fabrikam.com").value == "a%3D" + plain.replace("@", "%40")
    assert p.transform_text("100%40 discount, x%40y").value == "100%40 discount, x%40y"
