"""Turning one cell value into text, by one documented rule per type.

The rules (see the README (section "Start from a table or logs"), "How values are rendered"):

========================  ==============================================
value                     rendered as
========================  ==============================================
null (None, NaN, NA,      missing: a required column rejects the row, an
NaT, empty string)        optional one takes its default ("" if none)
str                       as is (never stripped)
bool                      ``true`` / ``false``
int                       decimal digits (``42``; never ``42.0``)
float                     Python ``repr``: shortest round-trip (``1.0``,
                          ``0.30000000000000004``, ``1e+16``, ``inf``)
Decimal                   ``str`` (keeps its scale: ``1.50``)
datetime / date / time    ISO 8601 (``2024-05-01T13:45:00+02:00``)
timedelta                 ISO 8601 duration (``P1DT2H``, ``PT0.5S``)
list / tuple / array      JSON (``["a","b"]``) or joined (``render.lists``)
dict                      JSON, keys in their order
bytes                     row rejected (binary data)
anything else             row rejected (unsupported type)
========================  ==============================================

Row-level problems raise :class:`RowError`, whose message names the column
(``what``, e.g. ``column 'price'``) and the type, never the value.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..io import dumps


class RowError(Exception):
    """A row cannot be rendered. The message names columns and types, never values."""


class SpreadsheetError:
    """A spreadsheet cell holding an error value (``#N/A``, ``#DIV/0!``...)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<spreadsheet error>"


SPREADSHEET_ERROR = SpreadsheetError()

_NULL_TYPE_NAMES = frozenset({"NAType", "NaTType"})
_NUMERIC_SPEC_TYPES = frozenset("bcdoxXneEfFgG%")


def native(value: Any) -> Any:
    """Unwrap numpy scalars and arrays into plain Python values (without importing numpy)."""
    if type(value).__module__ == "numpy":
        if hasattr(value, "tolist"):
            return value.tolist()
        if hasattr(value, "item"):
            return value.item()
    return value


def is_null(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and the empty string."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    if type(value).__name__ in _NULL_TYPE_NAMES:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        try:
            return bool(value != value)
        except (TypeError, ValueError):
            return False
    return False


def iso_duration(delta: dt.timedelta) -> str:
    """An ISO 8601 duration: ``P1DT2H3M4.5S``; ``PT0S`` for zero; a leading ``-`` if negative."""
    sign = "-" if delta < dt.timedelta(0) else ""
    delta = abs(delta)
    days = delta.days
    hours, rem = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rem, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if seconds or delta.microseconds:
        frac = f".{delta.microseconds:06d}".rstrip("0") if delta.microseconds else ""
        time_part += f"{seconds}{frac}S"
    if time_part:
        out += "T" + time_part
    if out in ("P", "-P"):
        out = "PT0S"
    return out


def render_value(value: Any, what: str, *, lists: str = "json", separator: str = ", ") -> str:
    """Render one non-null value as text (see the module docstring for the rules)."""
    value = native(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # over sys.int_info.str_digits_check_threshold
            raise RowError(f"{what} holds an integer too long to render") from None
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
        if lists == "join":
            return separator.join(
                render_value(item, what, lists="json") for item in items if not is_null(native(item))
            )
        return dumps(to_json(items, what)).decode("utf-8")
    if isinstance(value, Mapping):
        return dumps(to_json(value, what)).decode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise RowError(f"{what} holds binary data, which has no text form")
    if isinstance(value, SpreadsheetError):
        raise RowError(f"{what} holds a spreadsheet error value")
    raise RowError(f"{what} holds a value of unsupported type {type(value).__name__}")


def to_json(value: Any, what: str) -> Any:
    """A JSON-ready copy of a nested value: nulls and non-finite floats become null,
    dates ISO strings, decimals strings; binary data or unknown types raise RowError."""
    value = native(value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if is_null(value):
        return None
    if isinstance(value, Mapping):
        return {
            (k if isinstance(k, str) else render_value(k, what)): to_json(v, what)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [to_json(v, what) for v in value]
    return render_value(value, what)


#: A format spec's width or precision above this is refused (``{c:>99999999999}`` would try
#: to build a string that size)
MAX_SPEC_SIZE = 100_000
# [[fill]align][sign][z][#][0][width][grouping][.precision][type] (the format-spec mini-language)
_SPEC_SIZES = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?")


def apply_spec(value: Any, spec: str, what: str) -> str:
    """Apply a format spec (``{price:.2f}``, ``{when:%d.%m.%Y}``) to a non-null value.

    Text cells (CSV, logs) are converted first: to a number when the spec's type is
    numeric, to a date or datetime (ISO 8601) when the spec holds a ``%`` directive.
    """
    value = native(value)
    if isinstance(value, str):
        value = _coerce_for_spec(value, spec, what)
    sizes = _SPEC_SIZES.match(spec)
    if sizes and any(n and int(n) > MAX_SPEC_SIZE for n in sizes.groups()):
        raise RowError(f"{what}: format spec ':{spec}' asks for more than {MAX_SPEC_SIZE:,} characters")
    try:
        return format(value, spec)
    except (TypeError, ValueError, OverflowError):  # OverflowError: ':c' of -1 or > 0x10FFFF
        raise RowError(
            f"{what}: format spec ':{spec}' does not apply to a "
            f"{type(value).__name__} value"
        ) from None


def _coerce_for_spec(text: str, spec: str, what: str) -> Any:
    if spec and spec[-1] in _NUMERIC_SPEC_TYPES:
        for convert in (int, float):
            try:
                return convert(text.strip())
            except ValueError:
                continue
        raise RowError(f"{what}: format spec ':{spec}' needs a number, the cell is not one")
    if "%" in spec:
        for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
            try:
                return parse(text.strip())
            except ValueError:
                continue
        raise RowError(
            f"{what}: format spec ':{spec}' needs an ISO 8601 date, the cell is not one"
        )
    return text
