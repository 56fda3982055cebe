"""The seventh session's engine speed-ups change no output.

* Pins: digests of a whole run (values, counts, trace, vault mapping, report, run state, the
  plan protocol) over a synthetic corpus that mixes e-mails, names in name / customer /
  company fields, GUIDs, resource IDs, URLs, hosts, phones and non-ASCII text (U+0130
  included), with records repeated; taken with the code before these changes.
* References: the streamed HMAC against ``keyed_seed`` / ``original_id``, the bisected id
  tables against a set and a dict (across folds and pickling), the field-name roles against
  the key sets, ``_resolve`` (its inlined memo lookups) against ``resolve_overlaps``, and a
  hypothesis property:
  a run's output and report do not depend on what the replacement cache still holds (its
  hit path counts what its miss path counted).
"""

from __future__ import annotations

import pickle
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize import fakes as F
from ftprep.pseudonymize.detect import resolve_overlaps
from ftprep.pseudonymize.engine import _NO_ROLES
from ftprep.pseudonymize.idtable import _FOLD, IdMap, IdSet
from ftprep.pseudonymize.names import norm_key

from .test_engine_speed_equiv import KEY, _digest, _plan_run, _run_state, _transform_all

_ATOMS = [
    "jane.doe@contoso.com", "J.Doe@Contoso.COM", "kevin.yang2@tailspintoys.com", "admin@fabrikam.io",
    "Jane Doe", "Kevin Yang", "Mar\u00eda L\u00f3pez", "\u0130lker \u015eahin", "J. Doe", "Dr. Ann Lee", "Jane",
    "Contoso Ltd", "Woodgrove Bank", "TAILSPIN TOYS", "Fabrikam, Inc.", "contoso",
    "c34bd58b-d189-437c-b6d5-72cb4c9328b4", "{9BC93F16-3906-43A5-A42C-427DDA6EA9A2}",
    "/subscriptions/c34bd58b-d189-437c-b6d5-72cb4c9328b4/resourceGroups/rg-contoso-prod/providers/"
    "Microsoft.Storage/storageAccounts/contosodata01",
    "/subscriptions/9bc93f16-3906-43a5-a42c-427dda6ea9a2/resourcegroups/RG-Web/providers/Microsoft.Web/"
    "sites/webapp-kevin", "rg-contoso-prod", "contosodata01",
    "https://contoso-app.azurewebsites.net/api/users/jane?id=42", "https://user:pw@db01.contoso.com:8443/x",
    "http://[2001:db8::1]/p", "db01.contoso.com", "web01.fabrikam.local", "mail.tailspintoys.com",
    "919.555.0136", "+44 20 7946 0958", "(425) 555-0100 ext. 12", "10.1.2.3", "52.14.99.1", "fe80::1",
    "2001:4860:4860::8888", "00:1A:2B:3C:4D:5E", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
    "123-45-6789", "storageacct0042", "sk-abcdefghijklmnopqrstuvwxyz123456", "\u0130zmir", "Stra\u00dfe",
    " ", ", ", "\n", " said ", " called ", "Hi ", " from ", "-", "Mr ", "\u00e9", "x\u0130y",
]
_KEYS = ["name", "customer", "customer_name", "company", "first_name", "lastName", "email", "msg",
         "content", "password", "organization", "note", "surname"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ATOMS) for _ in range(rng.randint(0, 9)))


def _corpus() -> list[tuple[str, Any]]:
    """A fixed synthetic corpus (seeded): chats, flat records, texts, embedded JSON, repeats."""
    rng = random.Random(20261128)
    out: list[tuple[str, Any]] = []
    for i in range(160):
        kind = i % 5
        if kind == 0:
            out.append(("obj", {"messages": [{"role": "user", "content": _text(rng)},
                                             {"role": "assistant", "content": _text(rng)}]}))
        elif kind == 1:
            out.append(("obj", {rng.choice(_KEYS): _text(rng) for _ in range(rng.randint(1, 5))}))
        elif kind == 2:
            out.append(("text", _text(rng)))
        elif kind == 3:
            name = rng.choice(["Jane Doe", "Kevin Yang", "\u0130lker \u015eahin"])
            out.append(("obj", {"customer": name, "company": rng.choice(["Contoso Ltd", "TAILSPIN TOYS"]),
                                "msg": f"{name.split()[0]} wrote: " + _text(rng),
                                "meta": '{"name": "' + name + '", "n": 1}'}))
        else:
            out.append(out[rng.randrange(len(out))])  # a repeat: every cache is hit
    return out


# Taken with the code of commit 60e652f (before this session's engine changes).
PINNED_S7 = {
    "mixed.cold": "07a0613b1ce7a715b39d28b3a257496e",
    # re-pinned in the eighth session (all three): a resource name holding a GUID
    # ("contosodata01{<guid>}") gets the GUID's own fake instead of a word-by-word mapping that
    # kept hex groups of it (intended; commit 9e27ade)
    "mixed.small": "c064dc4afa7fcd9ea61eb17018e3ba03",
    "mixed.plan": "9f141b2886cf0618a00a666c167a7f89",
}


def _mixed_digests() -> dict[str, str]:
    corpus = _corpus()
    cold = Pseudonymizer(KEY)
    digests = {"mixed.cold": _digest(_transform_all(cold, corpus), _run_state(cold))}
    small = Pseudonymizer(KEY, PseudonymizeConfig(cache_size=16), record_mapping=True)
    digests["mixed.small"] = _digest(_transform_all(small, corpus, trace=True), _run_state(small),
                                     sorted(small.drain_mapping()))
    digests["mixed.plan"] = _digest(_plan_run(corpus))
    return digests


def test_mixed_corpus_pinned() -> None:
    assert _mixed_digests() == PINNED_S7


# -- references ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(ns=st.sampled_from(["GUID", "PERSON", "LAST", "X", ""]), norm=st.text(max_size=40),
       counters=st.lists(st.integers(0, 300), max_size=4))
def test_streamed_hmac_equals_keyed_seed(ns: str, norm: str, counters: list[int]) -> None:
    h = F.KeyedHasher(KEY)
    stream = h.stream(ns, norm)
    assert h.oid_of(stream) == F.original_id(KEY, ns, norm) == h.oid(ns, norm)
    for counter in counters:
        assert h.seed_of(stream, counter) == F.keyed_seed(KEY, ns, norm, counter)
    assert h.oid_of(stream) == h.oid(ns, norm)  # the stream is not consumed


def test_streamed_hmac_lone_surrogate_and_long_key() -> None:
    for key in (KEY, b"k" * 100):
        h = F.KeyedHasher(key)
        for norm in ("\ud800", "", "\u0130stanbul", "a\x1fb"):
            assert h.oid_of(h.stream("PERSON", norm)) == F.original_id(key, "PERSON", norm)
            assert h.seed_of(h.stream("PERSON", norm), 7) == F.keyed_seed(key, "PERSON", norm, 7)


def test_id_tables_across_folds_and_pickling() -> None:
    ids, table, ref_set, ref_map = IdSet(), IdMap(), set(), {}
    values = [(i * 11400714819323198485 + 7) % (1 << 64) for i in range(2 * _FOLD + 300)]
    values += [0, (1 << 64) - 1, 1 << 63]
    for i, v in enumerate(values):
        assert ids.add_new(v) == (v not in ref_set)
        ref_set.add(v)
        if v not in ref_map:
            assert table.get(v) is None
            table.set(v, i)
            ref_map[v] = i
    assert len(ids._keys) >= _FOLD and len(table._keys) >= _FOLD  # folded at least once
    probes = values[::101] + [1, 2, (1 << 64) - 2, values[3] + 1]
    for tables in ((ids, table), pickle.loads(pickle.dumps((ids, table)))):
        s, m = tables
        for v in probes:
            assert (v in s) == (v in ref_set)
            assert not s.add_new(v) if v in ref_set else True
            assert m.get(v) == ref_map.get(v)
            assert (v in m) == (v in ref_map)
        assert len(s) == len(ref_set) and len(m) == len(ref_map)
        assert sorted(m.items()) == sorted(ref_map.items())
    fresh = pickle.loads(pickle.dumps(IdSet()))
    assert fresh.add_new(5) and 5 in fresh and not fresh.add_new(5)


def test_field_roles_follow_the_key_sets() -> None:
    p = Pseudonymizer(KEY)
    for key in ["name", "Name", "customer_name", "CustomerName", "first_name", "givenName", "lastName",
                "surname", "company", "organization", "password", "api_key", "content", "msg", "x-y z"]:
        k = norm_key(key)
        person = None
        if k in p._person_keys:
            person = "first" if k in p._first_keys else "last" if k in p._last_keys else ""
        expected = (k in p._secret_keys, person, k in p._org_keys)
        roles = p._roles_of(key)
        assert roles == expected
        assert (roles is _NO_ROLES) == (expected == (False, None, False))
        assert p._key_roles.get(key) is roles


def test_resolve_equals_resolve_overlaps() -> None:
    p = Pseudonymizer(KEY)
    texts = [t for _k, v in _corpus() for t in ([v] if isinstance(v, str) else [])] + [
        "mail jane.doe@contoso.com from 10.1.2.3 at https://db01.contoso.com/x?id=c34bd58b-d189-437c-b6d5-72cb4c9328b4"]
    for _ in range(2):  # the second round: the record's detection memo answers
        for text in texts:
            spans = p._spans_for(text)
            assert p._resolve(text) == (resolve_overlaps(spans) if len(spans) > 1 else spans)
        assert set(p._memo) >= set(texts)


_RECORD = st.lists(st.sampled_from(_ATOMS), max_size=8).map("".join)


@settings(max_examples=60, deadline=None)
@given(records=st.lists(st.dictionaries(st.sampled_from(_KEYS), _RECORD, min_size=1, max_size=4),
                        min_size=1, max_size=6))
def test_output_and_report_do_not_depend_on_the_cache(records: list[dict[str, str]]) -> None:
    """Every value again (cache hits) and with a 16-entry cache (misses): the same values,
    counts and report as a run that sees each record once per pass."""
    runs = []
    for size in (10_000, 16):
        p = Pseudonymizer(KEY, PseudonymizeConfig(cache_size=size))
        out = [[t.value, t.counts] for t in (p.transform(r) for r in records + records)]
        report = p.report()
        runs.append([out, report.to_dict(), sorted((k, sorted(v)) for k, v in report.distinct_ids.items())])
    assert runs[0] == runs[1]
