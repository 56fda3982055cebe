"""Ingest: turn tables, logs and Hugging Face datasets into fine-tuning examples.

::

    from ftprep.ingest import load_template, convert
    report = convert("tickets.csv", "train.jsonl", load_template("templates/support_chat.toml"))

The pieces:

* :mod:`.template` - TOML templates (:func:`load_template`, :class:`Template`)
* :mod:`.values`   - how each cell type is rendered as text
* :mod:`.sniff`    - format, encoding and delimiter detection
* :mod:`.readers`  - one reader per input kind, all streaming rows
* :mod:`.convert`  - :func:`iter_converted` (the pipeline stage) and :func:`convert`
"""

from __future__ import annotations

from .convert import Conversion, ConvertReport, convert, iter_converted
from .readers import LOG_COLUMNS
from .sniff import detect_delimiter, detect_encoding, detect_format
from .template import Template, load_template, parse_template
from .values import RowError, render_value

__all__ = [
    "LOG_COLUMNS",
    "Conversion",
    "ConvertReport",
    "RowError",
    "Template",
    "convert",
    "detect_delimiter",
    "detect_encoding",
    "detect_format",
    "iter_converted",
    "load_template",
    "parse_template",
    "render_value",
]
