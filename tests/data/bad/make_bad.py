"""Write the bad-input corpus: one small file per hostile case, and expected.json.

Run from anywhere: ``python tests/data/bad/make_bad.py``. The files are committed;
tests/hardening/test_bad_corpus.py checks that the generator and the files agree and
that ftprep gives each file its expected findings (or its one clear error).

expected.json maps file name -> {"findings": [[line, code], ...]} (every error and
warning ftprep must report, in order) or {"error": "<substring of the InputError>"},
plus "valid" (how many lines must come through valid) and optional "limits"
({"max_line_bytes": N, "max_depth": N}).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

GOOD = json.dumps({"messages": [{"role": "system", "content": "be brief"},
                                {"role": "user", "content": "status of vm-01?"},
                                {"role": "assistant", "content": "running"}]},
                  separators=(",", ":")).encode()
GOOD_TEXT = GOOD.decode()


def case(name: str, data: bytes, expected: dict[str, object]) -> tuple[str, bytes, dict[str, object]]:
    return name, data, expected


def cases() -> list[tuple[str, bytes, dict[str, object]]]:
    deep = b'{"messages":' + b"[" * 1100 + b"]" * 1100 + b"}"
    deep_65 = b'{"messages":' + b"[" * 65 + b"]" * 65 + b"}"
    pretty_array = json.dumps([json.loads(GOOD), json.loads(GOOD)], indent=2).encode() + b"\n"
    pretty_lines = pretty_array.count(b"\n")
    pretty_object = json.dumps(json.loads(GOOD), indent=1).encode() + b"\n"
    return [
        case("invalid_utf8.jsonl", GOOD + b'\n{"messages":"caf\xe9"}\n' + GOOD + b"\n",
             {"findings": [[2, "invalid_utf8"]], "valid": 2}),
        case("utf8_bom.jsonl", b"\xef\xbb\xbf" + GOOD + b"\n" + GOOD + b"\n",
             {"findings": [], "valid": 2}),
        case("utf16le_bom.jsonl", (GOOD_TEXT + "\n" + GOOD_TEXT + "\n").encode("utf-16"),
             {"error": "UTF-16LE"}),
        case("utf16be_no_bom.jsonl", (GOOD_TEXT + "\n").encode("utf-16-be"),
             {"error": "UTF-16BE"}),
        case("utf32_bom.jsonl", (GOOD_TEXT + "\n").encode("utf-32"), {"error": "UTF-32LE"}),
        case("nul_byte.jsonl", GOOD + b'\n{"messages":"a\x00b"}\n', {"findings": [[2, "nul_byte"]],
                                                                   "valid": 1}),
        case("cr_only.jsonl", GOOD + b"\r" + GOOD + b"\r" + GOOD + b"\r",
             {"findings": [[1, "cr_line_ends"]], "valid": 0}),
        case("crlf.jsonl", GOOD + b"\r\n" + GOOD + b"\r\n", {"findings": [], "valid": 2}),
        case("no_final_newline.jsonl", GOOD + b"\n" + GOOD, {"findings": [], "valid": 2}),
        case("blank_lines.jsonl", GOOD + b"\n\n   \n\t\n" + GOOD + b"\n",
             {"findings": [[2, "blank_line"], [3, "blank_line"], [4, "blank_line"]], "valid": 2}),
        case("nan.jsonl", GOOD + b'\n{"messages":[],"weight":NaN}\n',
             {"findings": [[2, "invalid_json"]], "valid": 1}),
        case("infinity.jsonl", b'{"messages":[],"x":-Infinity}\n' + GOOD + b"\n",
             {"findings": [[1, "invalid_json"]], "valid": 1}),
        case("duplicate_key.jsonl",
             b'{"messages":[{"role":"user","content":"a","content":"b"},'
             b'{"role":"assistant","content":"c"}]}\n' + GOOD + b"\n",
             {"findings": [[1, "duplicate_key"]], "valid": 1}),
        case("lone_surrogate.jsonl",
             GOOD + b'\n{"messages":[{"role":"user","content":"x\\ud800"},'
             b'{"role":"assistant","content":"y"}]}\n',
             {"findings": [[2, "lone_surrogate"]], "valid": 1}),
        case("integer_too_large.jsonl",
             GOOD + b'\n{"messages":[{"role":"assistant","content":"y","weight":18446744073709551616}]}\n',
             {"findings": [[2, "integer_too_large"]], "valid": 1}),
        case("deep_parser_limit.jsonl", deep + b"\n" + GOOD + b"\n",
             {"findings": [[1, "too_deep"]], "valid": 1}),
        case("deep_config_limit.jsonl", GOOD + b"\n" + deep_65 + b"\n",
             {"findings": [[2, "too_deep"]], "valid": 1}),
        case("long_line.jsonl",
             GOOD + b'\n{"messages":[{"role":"user","content":"' + b"x" * 5000 + b'"}]}\n' + GOOD + b"\n",
             {"findings": [[2, "line_too_long"]], "valid": 2, "limits": {"max_line_bytes": 1000}}),
        case("json_array_pretty.jsonl", pretty_array,
             {"findings": [[1, "json_array"]] + [[n, "invalid_json"] for n in range(2, pretty_lines + 1)],
              "valid": 0}),
        case("json_array_one_line.jsonl", b"[" + GOOD + b"," + GOOD + b"]\n",
             {"findings": [[1, "json_array"]], "valid": 0}),
        case("pretty_object.jsonl", pretty_object,
             {"findings": [[n, "invalid_json"] for n in range(1, pretty_object.count(b"\n") + 1)],
              "valid": 0}),
        case("gzip_named_jsonl.jsonl", gzip.compress(GOOD + b"\n" + GOOD + b"\n", mtime=0),
             {"findings": [], "valid": 2}),
        case("gzip_truncated.jsonl", gzip.compress(GOOD + b"\n" * 50, mtime=0)[:30],
             {"error": "damaged or truncated"}),
        case("empty.jsonl", b"", {"findings": [], "valid": 0}),
        case("not_objects.jsonl", GOOD + b'\n42\n"text"\nnull\n[1]\n',
             {"findings": [[2, "not_object"], [3, "not_object"], [4, "not_object"], [5, "not_object"]],
              "valid": 1}),
    ]


def main() -> None:
    expected: dict[str, object] = {}
    for name, data, exp in cases():
        (HERE / name).write_bytes(data)
        expected[name] = exp
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")


if __name__ == "__main__":
    main()
