"""Token counting: ftprep's own model table, offline encodings, and the chat counting method.

The model table follows ``shared/spec/finetune-format.md`` (late 2026), which
gathers Azure OpenAI and OpenAI fine-tuning documentation. We do not use
``tiktoken.encoding_for_model``: it maps ``ft:gpt-4.1-*`` names to cl100k_base
and fails on ``ft:o4-mini``.

Counting follows OpenAI's published method for chat models (the
"How to count tokens with tiktoken" cookbook): 3 tokens per message plus the
tokens of each string value, 1 more for a ``name``, 3 per example for the reply
priming; structured values count by their JSON text; ``weight`` is not text.
Tool definitions add an estimated overhead. Every figure is an estimate of what
the service counts, and the reports say so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from .errors import ConfigError, UsageError

# Limits and encodings: shared/spec/finetune-format.md, "Models, encodings and
# per-example training context" (sourced from Azure OpenAI / OpenAI fine-tuning
# docs, checked 2026-11). Training prices: OpenAI's published per-1M-token
# training prices (2025 price page); Azure bills training per hour instead, so
# the cost figure is an OpenAI-list-price estimate only. Override with
# ``--price-per-million``.
TABLE_DATE = "2026-11"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    encoding: str
    example_token_limit: int
    formats: tuple[str, ...] = ("chat",)
    vision: bool = False
    reinforcement_only: bool = False
    retired_on_azure: str | None = None
    training_price_per_million: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_O200K = "o200k_base"
_CL100K = "cl100k_base"

MODELS: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        ModelInfo("gpt-4o-2024-08-06", _O200K, 65_536, ("chat", "preference"), vision=True,
                  training_price_per_million=25.0),
        ModelInfo("gpt-4o-mini-2024-07-18", _O200K, 65_536, training_price_per_million=3.0),
        ModelInfo("gpt-4.1-2025-04-14", _O200K, 65_536, ("chat", "preference"), vision=True,
                  training_price_per_million=25.0),
        ModelInfo("gpt-4.1-mini-2025-04-14", _O200K, 65_536, ("chat", "preference"),
                  training_price_per_million=5.0),
        ModelInfo("gpt-4.1-nano-2025-04-14", _O200K, 32_768, training_price_per_million=1.5),
        ModelInfo("o4-mini-2025-04-16", _O200K, 65_536, ("reinforcement",),
                  reinforcement_only=True),
        ModelInfo("gpt-35-turbo-0125", _CL100K, 16_385, training_price_per_million=8.0),
        ModelInfo("gpt-35-turbo-1106", _CL100K, 16_385, training_price_per_million=8.0),
        ModelInfo("gpt-35-turbo-0613", _CL100K, 4_096, training_price_per_million=8.0),
        ModelInfo("gpt-4-0613", _CL100K, 8_192),
        ModelInfo("babbage-002", _CL100K, 16_384, ("completion",),
                  retired_on_azure="2025-01-27", training_price_per_million=0.4),
        ModelInfo("davinci-002", _CL100K, 16_384, ("completion",),
                  retired_on_azure="2025-01-27", training_price_per_million=6.0),
    )
}

# Short names and OpenAI spellings -> the table's canonical names.
ALIASES: dict[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "o4-mini": "o4-mini-2025-04-16",
    "gpt-35-turbo": "gpt-35-turbo-0125",
    "gpt-3.5-turbo": "gpt-35-turbo-0125",
    "gpt-3.5-turbo-0125": "gpt-35-turbo-0125",
    "gpt-3.5-turbo-1106": "gpt-35-turbo-1106",
    "gpt-3.5-turbo-0613": "gpt-35-turbo-0613",
    "gpt-4": "gpt-4-0613",
}

_FT_OPENAI = re.compile(r"^ft:(?P<base>[^:]+):")
_FT_AZURE = re.compile(r"^(?P<base>.+?)\.ft-[0-9A-Za-z]+$")


def resolve_model(name: str) -> ModelInfo:
    """Map a model name (short, dated, or fine-tuned) to its table entry.

    ``ft:<base>:org::id`` (OpenAI) and ``<base>.ft-<id>`` (Azure) map to their base.
    Azure deployment names are free text: name the base model instead.
    """
    raw = name.strip()
    for pattern in (_FT_OPENAI, _FT_AZURE):
        m = pattern.match(raw)
        if m:
            raw = m.group("base")
            break
    key = raw.lower()
    key = ALIASES.get(key, key)
    if key in MODELS:
        return MODELS[key]
    known = ", ".join(sorted(set(ALIASES) | set(MODELS)))
    raise UsageError(
        f"unknown model {name!r}: name the base model (Azure deployment names are free text); "
        f"known: {known}"
    )


# --- encodings, offline ---------------------------------------------------

# SHA-256 of the BPE rank files, as tiktoken itself checks them
# (tiktoken_ext/openai_public.py), and their names in tiktoken's cache (the
# SHA-1 of the download URL; shared/tiktoken/README.md).
_ENCODING_FILES: dict[str, tuple[str, str]] = {
    _CL100K: (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    ),
    _O200K: (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "fb374d419588a4632f3f557e76b4b70aebbca790",
    ),
}

# Split patterns and special tokens: constants of the published encodings
# (tiktoken_ext/openai_public.py, tiktoken 0.14).
_SPECIALS: dict[str, dict[str, int]] = {
    _CL100K: {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    _O200K: {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}
_PATTERNS: dict[str, str] = {
    _CL100K: r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    _O200K: "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
}
# Every special token string of the encodings above, for validation.
ALL_SPECIAL_TOKENS: frozenset[str] = frozenset(
    {"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"}
)


def _bundled_ranks(name: str) -> bytes:
    ref = resources.files("ftprep") / "_data" / "tiktoken" / f"{name}.tiktoken"
    return ref.read_bytes()


def _user_cache_ranks(name: str) -> bytes | None:
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if not cache:
        return None
    path = os.path.join(cache, _ENCODING_FILES[name][1])
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return fh.read()


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    import base64

    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@functools.cache
def get_encoding(name: str) -> Any:
    """Load a tiktoken encoding without the network.

    A copy in ``TIKTOKEN_CACHE_DIR`` (if the user set it) is preferred; otherwise
    the copy bundled with ftprep. Either is checked against its SHA-256.
    """
    import tiktoken

    if name not in _ENCODING_FILES:
        raise UsageError(f"unknown encoding {name!r}; ftprep ships {sorted(_ENCODING_FILES)}")
    expected = _ENCODING_FILES[name][0]
    data = _user_cache_ranks(name)
    if data is None or hashlib.sha256(data).hexdigest() != expected:
        data = _bundled_ranks(name)
    if hashlib.sha256(data).hexdigest() != expected:
        raise ConfigError(f"the bundled {name} encoding is damaged (SHA-256 mismatch); reinstall ftprep")
    return tiktoken.Encoding(
        name=name,
        pat_str=_PATTERNS[name],
        mergeable_ranks=_parse_ranks(data),
        special_tokens=_SPECIALS[name],
    )


# --- counting ---------------------------------------------------------------

# Overheads from OpenAI's cookbook (chat format counting); estimates.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


@dataclass(frozen=True, slots=True)
class ToolOverhead:
    """Per-definition overheads for tools, from OpenAI's cookbook (estimates)."""

    func_init: int
    prop_init: int = 3
    prop_key: int = 3
    enum_init: int = -3
    enum_item: int = 3
    func_end: int = 12


_TOOL_OVERHEAD_4O = ToolOverhead(func_init=7)
_TOOL_OVERHEAD_LEGACY = ToolOverhead(func_init=10)


def tool_overhead_for(model: ModelInfo) -> ToolOverhead:
    return _TOOL_OVERHEAD_4O if model.encoding == _O200K else _TOOL_OVERHEAD_LEGACY


# Token counts of short strings are memoized per Counter: roles, system prompts and tool
# schemas repeat across examples. FIFO-bounded: at most MEMO_ENTRIES strings of at most
# MEMO_MAX_CHARS characters (~2.5 MB at worst; a memo hit skips a tiktoken call).
MEMO_ENTRIES = 2048
MEMO_MAX_CHARS = 1024


class Counter:
    """Counts tokens of examples for one model."""

    def __init__(self, model: ModelInfo) -> None:
        self.model = model
        self._encoding: Any = get_encoding(model.encoding)
        self.overhead = tool_overhead_for(model)
        self._memo: OrderedDict[str, int] = OrderedDict()

    @property
    def encoding(self) -> Any:
        """The tiktoken encoding (loaded again after :meth:`release`)."""
        if self._encoding is None:
            self._encoding = get_encoding(self.model.encoding)
        return self._encoding

    def release(self) -> None:
        """Let the encoding go (~75 MB for o200k_base, with its loader's cache): a run
        calls it when every example is counted. Counting again loads it again."""
        self._encoding = None
        self._memo.clear()
        get_encoding.cache_clear()

    def text(self, s: str) -> int:
        if len(s) > MEMO_MAX_CHARS:
            return self._encoded_len(s)
        memo = self._memo
        n = memo.get(s)
        if n is None:
            n = memo[s] = self._encoded_len(s)
            if len(memo) > MEMO_ENTRIES:
                memo.popitem(last=False)  # O(1): the oldest entry
        return n

    def _encoded_len(self, s: str) -> int:
        # encode_ordinary treats special-token text as ordinary text: it never raises.
        enc = self._encoding
        return len((enc if enc is not None else self.encoding).encode_ordinary(s))

    def value(self, v: Any) -> int:
        if v is None or isinstance(v, (bool, int, float)):
            return 0
        if isinstance(v, str):
            return self.text(v)
        return self.text(json.dumps(v, ensure_ascii=False, separators=(",", ":")))

    def message(self, msg: Mapping[str, Any]) -> int:
        n = TOKENS_PER_MESSAGE
        for key, v in msg.items():
            if key == "weight":
                continue
            n += self.value(v)
            if key == "name":
                n += TOKENS_PER_NAME
        return n

    def tools(self, tools: Sequence[Any] | None, functions: Sequence[Any] | None = None) -> int:
        defs: list[Mapping[str, Any]] = []
        for t in tools or ():
            if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping):
                defs.append(t["function"])
        defs.extend(f for f in (functions or ()) if isinstance(f, Mapping))
        if not defs:
            return 0
        o = self.overhead
        n = 0
        for fn in defs:
            n += o.func_init
            n += self.text(f"{fn.get('name', '')}:{fn.get('description', '')}")
            params = fn.get("parameters")
            props = params.get("properties") if isinstance(params, Mapping) else None
            if isinstance(props, Mapping) and props:
                n += o.prop_init
                for key, spec in props.items():
                    n += o.prop_key
                    spec = spec if isinstance(spec, Mapping) else {}
                    enum = spec.get("enum")
                    if isinstance(enum, list):
                        n += o.enum_init
                        for item in enum:
                            n += o.enum_item + self.text(str(item))
                    n += self.text(f"{key}:{spec.get('type', '')}:{spec.get('description', '')}")
        return n + o.func_end


@dataclass(slots=True)
class ExampleTokens:
    total: int
    trained: int
    tools: int = 0
    largest_message: int = 0


def _is_trained(msg: Any) -> bool:
    return isinstance(msg, Mapping) and msg.get("role") == "assistant" and msg.get("weight", 1) != 0


def count_messages(counter: Counter, messages: Iterable[Any]) -> tuple[int, int, int]:
    """Return (total without priming, trained, largest message) over messages."""
    total = trained = largest = 0
    for msg in messages:
        if not isinstance(msg, Mapping):
            continue
        n = counter.message(msg)
        total += n
        largest = max(largest, n)
        if _is_trained(msg):
            trained += n
    return total, trained, largest


def count_example(counter: Counter, obj: Mapping[str, Any], fmt: str) -> ExampleTokens:
    """Token figures for one example of the given format."""
    if fmt == "completion":
        p = counter.value(obj.get("prompt"))
        c = counter.value(obj.get("completion"))
        return ExampleTokens(total=p + c, trained=c, largest_message=max(p, c))
    if fmt == "preference":
        inp = obj.get("input") if isinstance(obj.get("input"), Mapping) else {}
        assert isinstance(inp, Mapping)
        base, _, largest = count_messages(counter, inp.get("messages") or [])
        tools = counter.tools(inp.get("tools"), inp.get("functions"))
        best = 0
        trained = 0
        for key in ("preferred_output", "non_preferred_output"):
            out = obj.get(key) or []
            t, _, lg = count_messages(counter, out if isinstance(out, list) else [])
            best = max(best, t)
            trained += t
            largest = max(largest, lg)
        total = base + best + tools + REPLY_PRIMING
        return ExampleTokens(total=total, trained=trained, tools=tools, largest_message=largest)
    total, trained, largest = count_messages(counter, obj.get("messages") or [])
    tools = counter.tools(obj.get("tools"), obj.get("functions"))
    return ExampleTokens(total=total + tools + REPLY_PRIMING, trained=trained, tools=tools,
                         largest_message=largest)


def default_epochs(n_examples: int) -> int:
    """The service's default epoch heuristic (spec, "Counting tokens")."""
    if n_examples <= 0:
        return 0
    epochs = 3
    if epochs * n_examples < 100:
        epochs = min(25, 100 // n_examples)
    elif epochs * n_examples > 25_000:
        epochs = max(1, 25_000 // n_examples)
    return epochs


@dataclass(slots=True)
class TokenStats:
    """Token statistics of one split. Percentiles are true p5/p50/p95 (linear interpolation)."""

    examples: int = 0
    total: int = 0
    trained: int = 0
    billable: int = 0
    over_limit: int = 0
    mean: float = 0.0
    p5: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    max: int = 0
    min: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(totals: Sequence[int], trained: Sequence[int], limit: int) -> TokenStats:
    import numpy as np

    if not totals:
        return TokenStats()
    arr = np.asarray(totals, dtype=np.int64)
    p5, p50, p95 = (float(round(x, 2)) for x in np.percentile(arr, [5, 50, 95]))
    return TokenStats(
        examples=len(arr),
        total=int(arr.sum()),
        trained=int(sum(trained)),
        billable=int(np.minimum(arr, limit).sum()),
        over_limit=int((arr > limit).sum()),
        mean=float(round(arr.mean(), 2)),
        p5=p5,
        p50=p50,
        p95=p95,
        max=int(arr.max()),
        min=int(arr.min()),
    )


@dataclass(slots=True)
class CostEstimate:
    """Billed training tokens = sum(min(total, limit)) x epochs (spec). Estimates only."""

    epochs: int
    epochs_source: str
    billed_tokens: int
    price_per_million: float | None
    estimated_cost_usd: float | None
    note: str = field(
        default="estimate: token counts follow OpenAI's published counting method; "
        "price is OpenAI's list training price (Azure bills training per hour)"
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_cost(
    train: TokenStats, model: ModelInfo, n_epochs: int | None = None,
    price_per_million: float | None = None,
) -> CostEstimate:
    epochs = n_epochs if n_epochs is not None else default_epochs(train.examples)
    billed = train.billable * epochs
    price = price_per_million if price_per_million is not None else model.training_price_per_million
    cost = round(billed / 1_000_000 * price, 2) if price is not None else None
    return CostEstimate(
        epochs=epochs,
        epochs_source="user" if n_epochs is not None else "service default heuristic",
        billed_tokens=billed,
        price_per_million=price,
        estimated_cost_usd=cost,
    )


def find_special_tokens(text: str) -> list[str]:
    """Special-token strings present in text (the service rejects them)."""
    if "<|" not in text:
        return []
    return sorted(t for t in ALL_SPECIAL_TOKENS if t in text)
