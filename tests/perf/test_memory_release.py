"""State that grows with the input can be dropped as soon as its stage is done."""

from __future__ import annotations

import pandas as pd
from helpers import SAMPLE

from ftprep.io import iter_records
from ftprep.leak_pass import LeakIndex, encode
from ftprep.pseudonymize import PseudonymizeConfig
from ftprep.records import Split
from ftprep.split import content_hash
from ftprep.stats import StatsCollector, example_features


def _collector() -> StatsCollector:
    collector = StatsCollector(entity_types=("EMAIL", "PERSON"))
    batches = [b for name in ("support_chat.jsonl", "broken.jsonl")
               for b in iter_records(str(SAMPLE / name), batch_size=16)]
    for batch in batches:
        for rec in batch:
            rec.split = Split.TRAIN if rec.obj is not None else Split.REJECTED
            if rec.obj is not None:
                rec.stats.update(example_features(rec.obj, "chat"), total_tokens=rec.line * 7)
            chash = content_hash(rec.obj).hex() if rec.obj is not None else ""
            collector.add(rec, chash, {"EMAIL": rec.line % 3})
    return collector


def test_frame_with_release_is_the_same_frame_and_empties_the_collector() -> None:
    keep, drop = _collector(), _collector()
    want = keep.frame()
    got = drop.frame(release=True)
    pd.testing.assert_frame_equal(got, want)
    assert len(want) > 0
    assert len(drop) == 0 and drop.nbytes() == 0
    pd.testing.assert_frame_equal(keep.frame(), want)  # without release nothing changes


def test_leak_index_release_forgets_everything() -> None:
    config = PseudonymizeConfig()
    index = LeakIndex()
    index.add(encode({"EMAIL": {"jane.doe@contoso.com"}, "PERSON": {"Mira Okafor"}},
                     {"EMAIL": {"x@example.com"}}, config.leak_min_length, config.secret_marker))
    assert len(index) > 0 and index.nbytes() > 0
    assert index.scanner(config).find("mail jane.doe@contoso.com")
    index.release()
    assert len(index) == 0 and index.nbytes() == 0
    assert index.scanner(config).find("mail jane.doe@contoso.com") == []
