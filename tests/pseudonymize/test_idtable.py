"""The compact id tables behind the pseudonymizer's run state."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ftprep.pseudonymize import idtable
from ftprep.pseudonymize.idtable import IdMap, IdSet

IDS = st.integers(0, 2**64 - 1)


@given(st.dictionaries(IDS, IDS, max_size=300), st.lists(IDS, max_size=50))
def test_id_map_acts_as_a_dict_across_folds(pairs: dict[int, int], probes: list[int]) -> None:
    old = idtable._FOLD
    idtable._FOLD = 7  # fold often
    try:
        m = IdMap()
        for k, v in pairs.items():
            assert m.get(k) is None
            m.set(k, v)
        assert len(m) == len(pairs)
        for k in list(pairs) + probes:
            assert m.get(k) == pairs.get(k)
            assert (k in m) == (k in pairs)
        assert dict(m.items()) == pairs
    finally:
        idtable._FOLD = old


@given(st.sets(IDS, max_size=300), st.lists(IDS, max_size=50))
def test_id_set_acts_as_a_set_across_folds(members: set[int], probes: list[int]) -> None:
    old = idtable._FOLD
    idtable._FOLD = 5
    try:
        s = IdSet()
        for k in members:
            assert k not in s
            s.add(k)
        assert len(s) == len(members)
        assert all((k in s) == (k in members) for k in list(members) + probes)
    finally:
        idtable._FOLD = old
