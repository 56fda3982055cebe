"""Format detection and the service rules of shared/spec/finetune-format.md.

Every problem is a :class:`~ftprep.records.Finding` with a stable code. The
codes are listed in :data:`CODES` (code -> one-line description) and in the
README; a test keeps the two in step. Messages name keys, roles, positions and
types, never data values.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .io import JSONTooDeep, loads_bounded
from .records import Record, Severity
from .tokens import ModelInfo, find_special_tokens

E, W = Severity.ERROR, Severity.WARNING

CODES: dict[str, str] = {
    # load
    "blank_line": "blank or whitespace-only line (skipped: goes to rejected)",
    "invalid_utf8": "the line is not valid UTF-8",
    "nul_byte": "the line contains a NUL byte",
    "invalid_json": "the line is not valid (strict) JSON",
    "line_too_long": "the line is longer than the configured limit",
    "too_deep": "JSON nested deeper than the configured limit",
    "not_object": "the line is JSON but not an object",
    "duplicate_key": "an object repeats a key (parsers would keep only one value)",
    "lone_surrogate": "a string holds a \\uD800-\\uDFFF escape without its pair",
    "integer_too_large": "an integer outside the 64-bit range",
    "json_array": "the file is a JSON array, not JSONL (reported on line 1)",
    "cr_line_ends": "records separated by bare CR: the file uses CR-only line ends",
    # format
    "unknown_format": "neither chat (messages), preference (input/preferred_output) nor prompt-completion",
    "format_mismatch": "the line's format differs from the run's format",
    "format_not_for_model": "the target model does not train on this format",
    "unknown_key": "a key the service does not accept",
    # chat
    "messages_type": "messages is missing or not a list",
    "messages_empty": "messages is an empty list",
    "message_type": "a message is not an object",
    "role_missing": "a message has no role",
    "role_invalid": "a role the service does not accept",
    "key_not_allowed_for_role": "a message key that its role may not carry",
    "content_missing": "a message has no content",
    "content_null": "content is null on a message without tool_calls/function_call",
    "content_type": "content is neither a string nor a list of content parts",
    "content_part_invalid": "a content part is malformed",
    "empty_content": "empty or whitespace-only content",
    "name_type": "name is not a string",
    "weight_invalid": "weight is not the integer 0 or 1",
    "tool_calls_invalid": "tool_calls is malformed",
    "tool_arguments_invalid_json": "a tool call's arguments do not parse as JSON",
    "function_call_invalid": "function_call is malformed",
    "tool_call_id_unknown": "a tool message answers no earlier tool call",
    "tools_invalid": "tools/functions definitions are malformed",
    "parallel_tool_calls_type": "parallel_tool_calls is not a boolean",
    "no_assistant": "no assistant message",
    "no_trainable_assistant": "every assistant message has weight 0",
    "last_not_assistant": "the example does not end with an assistant message",
    "no_system": "no system message",
    "no_user": "no user message",
    "consecutive_same_role": "two consecutive messages of the same role",
    "special_token": "text contains a special token of the encoding (the service rejects it)",
    # vision
    "image_role": "an image in a message that is not user or system",
    "image_model": "images for a model that does not train on them",
    "too_many_images": "more images in one example than allowed",
    "image_format": "an image data URI that is not JPEG, PNG or WEBP",
    "image_too_large": "an image data URI over 10 MB",
    # preference
    "preference_input_invalid": "input is not an object with a messages list",
    "preference_input_ends_assistant": "input.messages ends with an assistant message",
    "preference_output_invalid": "an output is not exactly one assistant message with string content",
    "preference_legacy_keys": "preferred_completion/non_preferred_completion renamed to *_output",
    # completion
    "field_missing": "prompt or completion is missing",
    "field_type": "prompt or completion is not a string",
    "empty_completion": "completion is empty",
    # tokens
    "over_token_limit": "the example has more tokens than the model's limit",
    # ingest
    "template_error": "a table row could not be rendered by the template",
}

CHAT_TOP_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PREFERENCE_TOP_KEYS = frozenset(
    {"input", "preferred_output", "non_preferred_output",
     "preferred_completion", "non_preferred_completion"}
)
COMPLETION_KEYS = frozenset({"prompt", "completion"})
ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)
# Keys that only some roles may carry (spec, chat format).
ROLE_ONLY_KEYS: dict[str, frozenset[str]] = {
    "weight": frozenset({"assistant"}),
    "tool_calls": frozenset({"assistant"}),
    "function_call": frozenset({"assistant"}),
    "refusal": frozenset({"assistant"}),
    "tool_call_id": frozenset({"tool"}),
}
IMAGE_DETAILS = frozenset({"low", "high", "auto"})
IMAGE_ROLES = frozenset({"user", "system"})
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_DATA_URI = re.compile(r"^data:(?P<mime>[\w/+.-]+)?(?P<b64>;base64)?,", re.IGNORECASE)
_IMAGE_MIMES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp"})


@dataclass(frozen=True, slots=True)
class ValidationPolicy:
    """Configurable parts of the rules."""

    max_images: int = 10  # OpenAI: 10; Azure says 64 and 10 in two places: default to 10 (spec)
    unknown_top_key_severity: Severity = E


def detect_format(obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    if "messages" in obj:
        return "chat"
    if "input" in obj and any(k in obj for k in PREFERENCE_TOP_KEYS - {"input"}):
        return "preference"
    if "prompt" in obj or "completion" in obj:
        return "completion"
    return None


class Validator:
    """Validates records of one run.

    The run's format is that of its first valid line; a later line of another
    format gets ``format_mismatch``. Lines before the first valid one are judged
    by their own format (they are rejected anyway, having errors).
    """

    def __init__(self, model: ModelInfo, policy: ValidationPolicy | None = None,
                 fmt: str | None = None) -> None:
        self.model = model
        self.policy = policy or ValidationPolicy()
        self.format = fmt

    def validate(self, rec: Record) -> None:
        if rec.obj is None:
            return  # load already attached a finding
        obj = rec.obj
        if not isinstance(obj, Mapping):
            rec.add("not_object", E, f"the line is JSON but {_type_name(obj)}, not an object (JSONL needs one object per line)")
            return
        fmt = detect_format(obj)
        if fmt is None:
            keys = ", ".join(_safe_token(k) for k in sorted(map(str, obj))[:6]) or "no keys"
            rec.add("unknown_format", E,
                    f"not chat (messages), preference (input) or prompt-completion; keys: {keys}")
            return
        rec.format = fmt
        if self.format is not None and fmt != self.format:
            rec.add("format_mismatch", E, f"a {fmt} line in a {self.format} run (one format per file)")
            return
        if fmt not in self.model.formats:
            rec.add("format_not_for_model", E,
                    f"{self.model.name} does not train on {fmt} data "
                    f"(it takes: {', '.join(self.model.formats)})")
        if fmt == "chat":
            _check_top_keys(rec, obj, CHAT_TOP_KEYS, self.policy)
            self._chat(rec, obj, where="")
        elif fmt == "preference":
            self._preference(rec, obj)
        else:
            _completion(rec, obj)
        _special_tokens(rec, obj)
        if self.format is None and not rec.has_errors:
            self.format = fmt  # the run's format: that of its first valid line (spec)

    # --- chat --------------------------------------------------------------
    def _chat(self, rec: Record, obj: Mapping[str, Any], where: str,
              preference_input: bool = False) -> None:
        messages = obj.get("messages")
        if not isinstance(messages, list):
            rec.add("messages_type", E, f"{where}messages is {_type_name(messages)}, not a list")
            return
        if not messages:
            rec.add("messages_empty", E, f"{where}messages is empty")
            return
        _check_tools(rec, obj, where)
        call_ids: set[str] = set()
        roles: list[str] = []
        images = 0
        for i, msg in enumerate(messages):
            at = f"{where}messages[{i}]"
            if not isinstance(msg, Mapping):
                rec.add("message_type", E, f"{at} is {_type_name(msg)}, not an object")
                continue
            role = msg.get("role")
            if role is None:
                rec.add("role_missing", E, f"{at} has no role")
                continue
            if role not in ROLES:
                extra = " (developer is for reinforcement fine-tuning only)" if role == "developer" else ""
                rec.add("role_invalid", E, f"{at} has role {_safe_token(role)}{extra}")
                continue
            roles.append(role)
            images += self._message(rec, msg, role, at, call_ids)
        if images > self.policy.max_images:
            rec.add("too_many_images", E, f"{images} images, over the limit of {self.policy.max_images}")
        if images and not self.model.vision:
            rec.add("image_model", E, f"{self.model.name} does not train on images")
        if len(roles) != len([m for m in messages if isinstance(m, Mapping)]):
            return
        if preference_input:
            if roles and roles[-1] == "assistant":
                rec.add("preference_input_ends_assistant", E, "input.messages ends with an assistant message")
        else:
            _chat_sequence(rec, messages, roles)
        if "system" not in roles:
            rec.add("no_system", W, f"{where}no system message")
        if "user" not in roles:
            rec.add("no_user", W, f"{where}no user message")
        for i in range(1, len(roles)):
            if roles[i] == roles[i - 1] and roles[i] != "tool":
                rec.add("consecutive_same_role", W,
                        f"{where}messages[{i - 1}] and [{i}] are both {roles[i]}")
                break

    def _message(self, rec: Record, msg: Mapping[str, Any], role: str, at: str,
                 call_ids: set[str]) -> int:
        for key in msg:
            if key not in MESSAGE_KEYS:
                rec.add("unknown_key", E, f"{at} has key {_safe_token(key)}, which the service does not accept")
            elif key in ROLE_ONLY_KEYS and role not in ROLE_ONLY_KEYS[key]:
                rec.add("key_not_allowed_for_role", E, f"{at}: {key} is not allowed on a {role} message")
        if "name" in msg and not isinstance(msg["name"], str):
            rec.add("name_type", E, f"{at}.name is {_type_name(msg['name'])}, not a string")
        if role == "assistant" and "weight" in msg:
            w = msg["weight"]
            if isinstance(w, bool) or w not in (0, 1) or not isinstance(w, int):
                shown = " ".join(x for x in (_type_name(w), _safe_scalar(w)) if x)
                rec.add("weight_invalid", E, f"{at}.weight is {shown}, not 0 or 1")
        has_call = False
        if role == "assistant" and "tool_calls" in msg:
            has_call = _check_tool_calls(rec, msg["tool_calls"], at, call_ids)
        if role == "assistant" and "function_call" in msg:
            has_call = _check_function_call(rec, msg["function_call"], at) or has_call
        if role == "tool":
            tcid = msg.get("tool_call_id")
            if not isinstance(tcid, str) or tcid not in call_ids:
                rec.add("tool_call_id_unknown", E, f"{at}.tool_call_id answers no earlier tool call")
        return self._content(rec, msg, role, at, has_call)

    def _content(self, rec: Record, msg: Mapping[str, Any], role: str, at: str,
                 has_call: bool) -> int:
        if "content" not in msg:
            if not has_call:
                rec.add("content_missing", E, f"{at} has no content")
            return 0
        content = msg["content"]
        if content is None:
            if not has_call:
                rec.add("content_null", E,
                        f"{at}.content is null (allowed only on an assistant message with tool_calls)")
            return 0
        if isinstance(content, str):
            if not content.strip():
                sev = E if role == "assistant" and not has_call else W
                rec.add("empty_content", sev, f"{at}.content is empty ({role})")
            return 0
        if not isinstance(content, list):
            rec.add("content_type", E, f"{at}.content is {_type_name(content)}, not a string or list")
            return 0
        return self._parts(rec, content, role, at)

    def _parts(self, rec: Record, parts: list[Any], role: str, at: str) -> int:
        images = 0
        text_len = 0
        for j, part in enumerate(parts):
            pat = f"{at}.content[{j}]"
            if not isinstance(part, Mapping):
                rec.add("content_part_invalid", E, f"{pat} is {_type_name(part)}, not an object")
                continue
            ptype = part.get("type")
            if ptype == "text":
                if not isinstance(part.get("text"), str):
                    rec.add("content_part_invalid", E, f"{pat}.text is not a string")
                else:
                    text_len += len(part["text"].strip())
            elif ptype == "image_url":
                images += 1
                if role not in IMAGE_ROLES:
                    rec.add("image_role", E, f"{pat}: images are allowed only in user and system messages")
                _check_image(rec, part.get("image_url"), pat)
            else:
                rec.add("content_part_invalid", E, f"{pat}.type is {_safe_token(ptype)}, not text or image_url")
        if not parts or (text_len == 0 and images == 0):
            sev = E if role == "assistant" else W
            rec.add("empty_content", sev, f"{at}.content has no text ({role})")
        return images

    # --- preference --------------------------------------------------------
    def _preference(self, rec: Record, obj: Mapping[str, Any]) -> None:
        _check_top_keys(rec, obj, PREFERENCE_TOP_KEYS, self.policy)
        inp = obj.get("input")
        if not isinstance(inp, Mapping) or not isinstance(inp.get("messages"), list):
            rec.add("preference_input_invalid", E, "input must be an object with a messages list")
        else:
            for key in inp:
                if key not in CHAT_TOP_KEYS:
                    rec.add("unknown_key", E, f"input has key {_safe_token(key)}")
            self._chat(rec, inp, where="input.", preference_input=True)
        legacy = [k for k in ("preferred_completion", "non_preferred_completion") if k in obj]
        if legacy:
            rec.add("preference_legacy_keys", W, f"{', '.join(legacy)} renamed to *_output")
        for name in ("preferred", "non_preferred"):
            out = obj.get(f"{name}_output", obj.get(f"{name}_completion"))
            if not _valid_preference_output(out):
                rec.add("preference_output_invalid", E,
                        f"{name}_output must hold exactly one assistant message with string content")


def _chat_sequence(rec: Record, messages: list[Any], roles: list[str]) -> None:
    assistants = [m for m in messages if isinstance(m, Mapping) and m.get("role") == "assistant"]
    if not assistants:
        rec.add("no_assistant", E, "no assistant message: nothing to train on")
    elif all(m.get("weight", 1) == 0 for m in assistants):
        rec.add("no_trainable_assistant", E, "every assistant message has weight 0")
    if roles and roles[-1] != "assistant" and assistants:
        rec.add("last_not_assistant", W,
                "the example ends with a non-assistant message (nothing after the last assistant turn is trained)")


def _check_top_keys(rec: Record, obj: Mapping[str, Any], allowed: frozenset[str],
                    policy: ValidationPolicy) -> None:
    for key in obj:
        if key not in allowed:
            rec.add("unknown_key", policy.unknown_top_key_severity,
                    f"top-level key {_safe_token(key)} is not accepted by the service")
    if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
        rec.add("parallel_tool_calls_type", E, "parallel_tool_calls is not a boolean")


def _check_tools(rec: Record, obj: Mapping[str, Any], where: str) -> None:
    for key in ("tools", "functions"):
        if key not in obj:
            continue
        defs = obj[key]
        if not isinstance(defs, list):
            rec.add("tools_invalid", E, f"{where}{key} is not a list")
            continue
        for i, d in enumerate(defs):
            fn = d.get("function") if key == "tools" and isinstance(d, Mapping) else d
            if key == "tools" and isinstance(d, Mapping) and d.get("type") != "function":
                rec.add("tools_invalid", E, f"{where}tools[{i}].type is not function")
            if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
                rec.add("tools_invalid", E, f"{where}{key}[{i}] has no function name")


def _check_tool_calls(rec: Record, calls: Any, at: str, call_ids: set[str]) -> bool:
    if not isinstance(calls, list) or not calls:
        rec.add("tool_calls_invalid", E, f"{at}.tool_calls is not a non-empty list")
        return False
    for k, call in enumerate(calls):
        cat = f"{at}.tool_calls[{k}]"
        if not isinstance(call, Mapping):
            rec.add("tool_calls_invalid", E, f"{cat} is not an object")
            continue
        if not isinstance(call.get("id"), str):
            rec.add("tool_calls_invalid", E, f"{cat}.id is not a string")
        else:
            call_ids.add(call["id"])
        if call.get("type") != "function":
            rec.add("tool_calls_invalid", E, f"{cat}.type is not function")
        fn = call.get("function")
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            rec.add("tool_calls_invalid", E, f"{cat}.function has no name")
            continue
        _check_arguments(rec, fn.get("arguments"), f"{cat}.function.arguments")
    return True


def _check_function_call(rec: Record, fc: Any, at: str) -> bool:
    if not isinstance(fc, Mapping) or not isinstance(fc.get("name"), str):
        rec.add("function_call_invalid", E, f"{at}.function_call has no name")
        return False
    _check_arguments(rec, fc.get("arguments"), f"{at}.function_call.arguments")
    return True


def _check_arguments(rec: Record, args: Any, at: str) -> None:
    if not isinstance(args, str):
        rec.add("tool_arguments_invalid_json", E, f"{at} is {_type_name(args)}, not a JSON string")
        return
    try:
        loads_bounded(args)
    except JSONTooDeep:
        rec.add("tool_arguments_invalid_json", E, f"{at} is JSON nested too deep to parse")
    except ValueError as exc:
        rec.add("tool_arguments_invalid_json", E, f"{at} is not valid JSON (column {getattr(exc, 'colno', '?')})")


def _check_image(rec: Record, image: Any, at: str) -> None:
    if not isinstance(image, Mapping) or not isinstance(image.get("url"), str):
        rec.add("content_part_invalid", E, f"{at}.image_url.url is missing")
        return
    detail = image.get("detail")
    if detail is not None and detail not in IMAGE_DETAILS:
        rec.add("content_part_invalid", E, f"{at}.image_url.detail is not low, high or auto")
    m = _DATA_URI.match(image["url"])
    if not m:
        return  # a plain URL: only noted, it cannot be checked offline
    mime = (m.group("mime") or "").lower()
    if mime not in _IMAGE_MIMES:
        rec.add("image_format", E, f"{at}: image type {_safe_token(mime or 'none')} is not JPEG, PNG or WEBP")
    if m.group("b64"):
        payload = image["url"][m.end():]
        try:
            size = len(base64.b64decode(payload, validate=False))
        except (binascii.Error, ValueError):
            rec.add("image_format", E, f"{at}: image data is not valid base64")
            return
        if size > MAX_IMAGE_BYTES:
            rec.add("image_too_large", E, f"{at}: image is {size} bytes, over 10 MB")


def _valid_preference_output(out: Any) -> bool:
    if not isinstance(out, list) or not out:
        return False
    assistants = [m for m in out if isinstance(m, Mapping) and m.get("role") == "assistant"]
    others_ok = all(isinstance(m, Mapping) and m.get("role") in ("assistant", "tool") for m in out)
    return (
        others_ok and len(assistants) == 1
        and isinstance(assistants[0].get("content"), str) and bool(assistants[0]["content"].strip())
    )


def _completion(rec: Record, obj: Mapping[str, Any]) -> None:
    for key in obj:
        if key not in COMPLETION_KEYS:
            rec.add("unknown_key", E, f"key {_safe_token(key)} is not allowed in prompt-completion data")
    for key in ("prompt", "completion"):
        if key not in obj:
            rec.add("field_missing", E, f"{key} is missing")
        elif not isinstance(obj[key], str):
            rec.add("field_type", E, f"{key} is {_type_name(obj[key])}, not a string")
    if isinstance(obj.get("completion"), str) and not obj["completion"].strip():
        rec.add("empty_completion", E, "completion is empty")


def _special_tokens(rec: Record, obj: Any) -> None:
    found: set[str] = set()
    stack = [obj]
    while stack:
        v = stack.pop()
        kind = type(v)  # exact types first (what the parser gives), then the general checks
        if kind is str:
            if "<|" in v:  # every special token starts so (find_special_tokens' own test)
                found.update(find_special_tokens(v))
        elif kind is dict:
            stack.extend(v.values())
        elif kind is list:
            stack.extend(v)
        elif isinstance(v, str):
            found.update(find_special_tokens(v))
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    if found:
        rec.add("special_token", E, f"text contains special token(s) {', '.join(sorted(found))}")
        rec.stats["special_token_hits"] = len(found)


def normalize_preference_keys(obj: dict[str, Any]) -> bool:
    """Rename legacy *_completion keys to *_output in place; True when changed."""
    changed = False
    for name in ("preferred", "non_preferred"):
        old, new = f"{name}_completion", f"{name}_output"
        if old in obj and new not in obj:
            obj[new] = obj.pop(old)
            changed = True
    return changed


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, Mapping):
        return "an object"
    return type(v).__name__


# A key or role is quoted only when it is a plain lowercase word (or a case variant of the
# spec's vocabulary): never digits, dots, colons or '@' (IPs, GUIDs, e-mails, phones, hosts)
# and never a capitalized word (a speaker's name used as a role).
_TOKEN_OK = re.compile(r"^[a-z_][a-z_/+-]{0,39}$")
_VOCABULARY = frozenset(ROLES | MESSAGE_KEYS | CHAT_TOP_KEYS | PREFERENCE_TOP_KEYS | COMPLETION_KEYS
                        | {"developer", "text", "image_url", "type"})


def _safe_token(v: Any) -> str:
    """Quote a key or role only when it cannot be a data value; else name its type."""
    if isinstance(v, str) and (_TOKEN_OK.match(v) or v.lower() in _VOCABULARY):
        return repr(v)
    return f"<{_type_name(v)}>"


def _safe_scalar(v: Any) -> str:
    """A small number is shown (weight 2, 0.5); a large one could be an identifier."""
    if isinstance(v, bool) or (isinstance(v, (int, float)) and abs(v) < 1000):
        return json.dumps(v)
    return ""


# --- dataset-level advice for prompt-completion data ---------------------------

# The checks of OpenAI's retired `prepare_data` tool (openai-python 0.x,
# openai/validators.py), kept as warnings: they describe what made legacy
# completion fine-tunes work, not service rules.
MIN_COMPLETION_EXAMPLES = 100
COMMON_SHARE = 0.9
UPPER_SHARE = 0.5
_TAIL = 32


def completion_features(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Per-example features for :class:`CompletionAdvice` (kept in ``Record.stats``)."""
    p, c = obj.get("prompt"), obj.get("completion")
    prompt = p if isinstance(p, str) else ""
    completion = c if isinstance(c, str) else ""
    letters = [ch for ch in completion if ch.isalpha()]
    upper = sum(1 for ch in letters if ch.isupper())
    return {
        "prompt_tail": prompt[-_TAIL:],
        "completion_tail": completion[-_TAIL:],
        "completion_leading_space": completion[:1].isspace(),
        "completion_upper": bool(letters) and upper / len(letters) > UPPER_SHARE,
    }


def _common_suffix(a: str | None, b: str) -> str:
    if a is None:
        return b
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n:]


@dataclass
class CompletionAdvice:
    """Accumulates completion features in the main process; reports counts, never text."""

    examples: int = 0
    leading_space: int = 0
    upper: int = 0
    prompt_suffix: str | None = None
    completion_suffix: str | None = None

    def add(self, features: Mapping[str, Any]) -> None:
        if "prompt_tail" not in features:
            return
        self.examples += 1
        self.leading_space += bool(features["completion_leading_space"])
        self.upper += bool(features["completion_upper"])
        self.prompt_suffix = _common_suffix(self.prompt_suffix, features["prompt_tail"])
        self.completion_suffix = _common_suffix(self.completion_suffix, features["completion_tail"])

    def warnings(self) -> list[str]:
        n = self.examples
        if n == 0:
            return []
        out: list[str] = []
        if n < MIN_COMPLETION_EXAMPLES:
            out.append(f"prompt-completion: {n} examples; at least {MIN_COMPLETION_EXAMPLES} are recommended")
        if not self.prompt_suffix:
            out.append("prompt-completion: the prompts share no common ending; end every prompt "
                       "with the same separator (e.g. ' ->')")
        if not self.completion_suffix:
            out.append("prompt-completion: the completions share no common ending; end every "
                       "completion with the same stop sequence")
        if self.leading_space / n < COMMON_SHARE:
            out.append(f"prompt-completion: {1 - self.leading_space / n:.0%} of completions do not "
                       "start with a space or newline")
        if self.upper / n > UPPER_SHARE:
            out.append(f"prompt-completion: {self.upper / n:.0%} of completions are mostly upper case")
        return out
