"""One documented rendering rule per value type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ftprep.ingest.values import RowError, apply_spec, is_null, iso_duration, render_value

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  keep spaces  ", "  keep spaces  "),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        (1.0, "1.0"),
        (0.30000000000000004, "0.30000000000000004"),
        (1e16, "1e+16"),
        (float("inf"), "inf"),
        (Decimal("1.50"), "1.50"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.datetime(2024, 5, 1, 13, 45), "2024-05-01T13:45:00"),
        (dt.datetime(2024, 5, 1, 13, 45, tzinfo=UTC), "2024-05-01T13:45:00+00:00"),
        (dt.time(9, 5, 3), "09:05:03"),
        (dt.timedelta(days=1, hours=2), "P1DT2H"),
        (["a", "b/c", 1, 1.0, None, float("nan")], '["a","b/c",1,1.0,null,null]'),
        (("é",), '["é"]'),
        ({"k": dt.date(2024, 1, 2), "n": {"x": [True]}}, '{"k":"2024-01-02","n":{"x":[true]}}'),
        ({1: "int key"}, '{"1":"int key"}'),
        ({"b", "a"}, '["a","b"]'),
    ],
)
def test_render_value(value: object, text: str) -> None:
    assert render_value(value, "column 'c'") == text


def test_numpy_and_pandas_values() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert render_value(np.int64(42), "c") == "42"
    assert render_value(np.float64(1.0), "c") == "1.0"
    assert render_value(np.bool_(True), "c") == "true"
    assert render_value(np.array([1, 2]), "c") == "[1,2]"
    assert render_value(pd.Timestamp("2024-05-01 13:45:00.000000001"), "c") == "2024-05-01T13:45:00.000000001"
    assert all(is_null(v) for v in (None, "", float("nan"), pd.NA, pd.NaT, np.float32("nan"), Decimal("NaN")))
    assert not any(is_null(v) for v in (" ", 0, 0.0, False, [], {}))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\x00\x01", "column 'c' holds binary data"),
        (object(), "column 'c' holds a value of unsupported type object"),
        ([b"x"], "column 'c' holds binary data"),
        (10 ** 5000, "column 'c' holds an integer too long"),
    ],
    ids=["bytes", "object", "nested-bytes", "huge-int"],
)
def test_unrenderable_values(value: object, message: str) -> None:
    with pytest.raises(RowError) as exc:
        render_value(value, "column 'c'")
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(0), "PT0S"),
        (dt.timedelta(seconds=0.5), "PT0.5S"),
        (dt.timedelta(days=3), "P3D"),
        (dt.timedelta(hours=1, minutes=2, seconds=3), "PT1H2M3S"),
        (-dt.timedelta(minutes=90), "-PT1H30M"),
    ],
)
def test_iso_duration(delta: dt.timedelta, text: str) -> None:
    assert iso_duration(delta) == text


def test_format_specs_coerce_text_cells() -> None:
    assert apply_spec("19.9", ".2f", "c") == "19.90"
    assert apply_spec("7", "03d", "c") == "007"
    assert apply_spec("0.25", ".0%", "c") == "25%"
    assert apply_spec("2024-05-01", "%d.%m.%Y", "c") == "01.05.2024"
    assert apply_spec("2024-05-01T13:45:00", "%H:%M", "c") == "13:45"
    assert apply_spec(dt.date(2024, 5, 1), "%Y", "c") == "2024"
    assert apply_spec("abc", ">5", "c") == "  abc"
    with pytest.raises(RowError, match="needs a number"):
        apply_spec("not-a-number-secret", ".2f", "column 'c'")
    with pytest.raises(RowError, match="needs an ISO 8601 date"):
        apply_spec("yesterday", "%Y", "column 'c'")
    with pytest.raises(RowError) as exc:
        apply_spec("1.5", "d", "column 'c'")
    assert "1.5" not in str(exc.value)
