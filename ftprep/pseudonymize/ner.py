"""Optional model-based name detection (PERSON / ORGANIZATION) through a plug-in.

The core finds names by context and lists only and never downloads a model. Sites that
have a model can plug one in with ``ner_plugin = "module:factory"`` in ``[pseudonymize]``:
``factory(config)`` must return an object with ``find(text) -> iterable of (start, end,
entity_type)``, where the type is ``PERSON`` or ``ORGANIZATION``. Its spans join the
others and go through the same overlap resolution, replacement and leak check.

:func:`presidio_factory` is a ready adapter for Microsoft Presidio (``pip install
presidio-analyzer`` and a spaCy model); it is loaded only when configured.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, Protocol

from ..errors import ConfigError
from .config import PseudonymizeConfig

NER_TYPES = frozenset(("PERSON", "ORGANIZATION"))


class NerDetector(Protocol):
    def find(self, text: str) -> Iterable[tuple[int, int, str]]: ...


def load_plugin(spec: str, config: PseudonymizeConfig) -> NerDetector:
    """Import ``module:factory`` and build the detector; ConfigError with a hint on failure."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"[pseudonymize] ner_plugin {spec!r} must look like 'module:factory'")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"[pseudonymize] ner_plugin {spec!r} cannot be loaded ({exc})") from None
    detector = factory(config)
    if not callable(getattr(detector, "find", None)):
        raise ConfigError(f"[pseudonymize] ner_plugin {spec!r} returned an object without find()")
    return detector  # type: ignore[no-any-return]


class _PresidioAdapter:
    _MAP = {"PERSON": "PERSON", "ORGANIZATION": "ORGANIZATION", "ORG": "ORGANIZATION"}

    def __init__(self, analyzer: Any, threshold: float) -> None:
        self._analyzer = analyzer
        self._threshold = threshold

    def find(self, text: str) -> Iterable[tuple[int, int, str]]:
        for r in self._analyzer.analyze(text=text, language="en", entities=["PERSON", "ORGANIZATION"]):
            etype = self._MAP.get(r.entity_type)
            if etype and r.score >= self._threshold:
                yield r.start, r.end, etype


def presidio_factory(config: PseudonymizeConfig) -> NerDetector:
    """A Presidio ``AnalyzerEngine`` restricted to PERSON / ORGANIZATION (score >= 0.6)."""
    try:
        from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError(
            "[pseudonymize] ner_plugin uses Presidio, which is not installed: "
            "pip install presidio-analyzer && python -m spacy download en_core_web_lg"
        ) from None
    return _PresidioAdapter(AnalyzerEngine(), 0.6)
