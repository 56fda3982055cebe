"""Templates: loading errors name the key; rendering errors name the column and row, never the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftprep.errors import ConfigError
from ftprep.ingest import RowError, iter_converted, load_template, parse_template

from .golden_cases import TEMPLATES

CHAT = 'user = "{q}"\nassistant = "{a}"\n'


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_templates_load(path: Path) -> None:
    t = load_template(path)
    assert t.kind in ("chat", "completion", "preference") and t.columns()


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('kind = "chat"\nusr = "{q}"\nassistant = "{a}"', "'usr'"),
        ('kind = "sft"\n' + CHAT, "'kind'"),
        ('user = "{q}"', "'assistant'"),
        ('assistant = "{a}"', "'user'"),
        ('[[messages]]\nrole = "bot"\ncontent = "x"', "'messages[0].role'"),
        ('[[messages]]\nrole = "user"\ncontent = "x"\nweight = 1', "'messages[0].weight'"),
        ('[[messages]]\nrole = "user"\ncontent = "x"\n[[messages]]\nrole = "assistant"\ncontent = "y"\nweight = true',
         "'messages[1].weight'"),
        ('[[messages]]\nrole = "user"\ncontent = "x"\ncolour = 1', "'messages[0].colour'"),
        ('[[messages]]\nrole = "user"', "'messages[0].content'"),
        ('user = "x"\nassistant = "y"\n[[messages]]\nrole = "user"\ncontent = "z"', "'user'"),
        ('user = "{q"\nassistant = "{a}"', "'user'"),
        ('user = "{q!r}"\nassistant = "{a}"', "'user'"),
        ('user = "{}"\nassistant = "{a}"', "'user'"),
        ('user = "{q:{w}}"\nassistant = "{a}"', "'user'"),
        ('user = 3\nassistant = "{a}"', "'user'"),
        ('kind = "completion"\nprompt = "{q}"', "'completion'"),
        ('kind = "completion"\nprompt = "{q}"\ncompletion = "{a}"\nuser = "x"', "'user'"),
        ('kind = "preference"\nuser = "{q}"\npreferred = "{a}"', "'non_preferred'"),
        ('kind = "preference"\nuser = "{q}"\nassistant = "{a}"\npreferred = "{a}"\nnon_preferred = "{b}"',
         "'messages'"),
        (CHAT + 'preferred = "{x}"', "'preferred'"),
        (CHAT + 'prompt = "{x}"', "'prompt'"),
        (CHAT + "[columns]\nq = 5", "'columns.q'"),
        (CHAT + "[columns]\nq = [1, 'x']", "'columns.q'"),
        (CHAT + "[columns]\nq = []", "'columns.q'"),
        (CHAT + "[defaults]\nq = 1", "'defaults.q'"),
        (CHAT + '[render]\nlists = "csv"', "'render.lists'"),
        (CHAT + '[render]\nsep = ","', "'render.sep'"),
        (CHAT + '[input]\nformat = "xml"', "'input.format'"),
        (CHAT + '[input]\nrecord_start = "("', "'input.record_start'"),
        (CHAT + '[input]\ndelimiter = ";;"', "'input.delimiter'"),
        (CHAT + '[input]\nsheet = 2', "'input.sheet'"),
        (CHAT + '[input]\nheader = "yes"', "'input.header'"),
    ],
)
def test_config_errors_name_the_key(toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_template(toml, origin="t.toml")
    assert str(exc.value).startswith("t.toml: key " + key)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="template not found"):
        load_template(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"user = \"\xff\"\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_template(bad)
    bad.write_text("user = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_template(bad)


def test_render_chat_optional_defaults_and_literal_braces() -> None:
    t = parse_template(
        'system = "Reply as JSON like {{\\"ok\\": true}}."\n'
        'user = "{name} ({email?}) phone {phone?}: {text}"\nassistant = "{answer}"\n'
        '[defaults]\nphone = "n/a"\n'
    )
    obj = t.render({"name": "Ada", "email": None, "phone": "", "text": "hi", "answer": "ok"})
    assert obj == {"messages": [
        {"role": "system", "content": 'Reply as JSON like {"ok": true}.'},
        {"role": "user", "content": "Ada () phone n/a: hi"},
        {"role": "assistant", "content": "ok"},
    ]}


def test_required_column_errors_name_column_not_value() -> None:
    t = parse_template(CHAT)
    with pytest.raises(RowError) as exc:
        t.render({"q": "secret question", "a": float("nan")})
    assert str(exc.value) == "required column 'a' is empty"
    with pytest.raises(RowError, match="required column 'a' is missing"):
        t.render({"q": "secret question"})


def test_row_error_becomes_rejected_record_with_row_number(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("q,a\nfine,yes\nsecret-value,\n", encoding="utf-8")
    records = [r for b in iter_converted(src, parse_template(CHAT)) for r in b]
    bad = records[1]
    assert bad.obj is None and bad.raw == b"" and bad.line == 3
    (finding,) = bad.findings
    assert finding.code == "template_error" and finding.severity.value == "error"
    assert finding.message == "row 3: required column 'a' is empty"
    assert "secret-value" not in str(finding)


def test_header_check_names_missing_column_and_suggests(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("Question,answer\nx,y\n", encoding="utf-8")
    t = parse_template('user = "{question}"\nassistant = "{answer}"', origin="my.toml")
    with pytest.raises(ConfigError) as exc:
        list(iter_converted(src, t))
    msg = str(exc.value)
    assert "my.toml" in msg and "column 'question'" in msg and "did you mean 'Question'" in msg


def test_completion_and_preference_shapes() -> None:
    c = parse_template('kind = "completion"\nprompt = "{q}\\n\\n###\\n\\n"\ncompletion = " {a}"')
    assert c.render({"q": "Q", "a": 1}) == {"prompt": "Q\n\n###\n\n", "completion": " 1"}
    p = parse_template('kind = "preference"\nuser = "{q}"\npreferred = "{g}"\nnon_preferred = "{b}"')
    assert p.render({"q": "Q", "g": "G", "b": "B"}) == {
        "input": {"messages": [{"role": "user", "content": "Q"}]},
        "preferred_output": [{"role": "assistant", "content": "G"}],
        "non_preferred_output": [{"role": "assistant", "content": "B"}],
    }
    with pytest.raises(RowError, match="column 'b'"):
        p.render({"q": "Q", "g": "G", "b": None})


def test_optional_message_dropped_when_blank_and_weight_kept() -> None:
    t = parse_template(
        '[[messages]]\nrole = "system"\ncontent = "Notes: {notes?}"\noptional = true\n'
        '[[messages]]\nrole = "system"\ncontent = "{extra?}"\noptional = true\n'
        '[[messages]]\nrole = "user"\ncontent = "{q}"\n'
        '[[messages]]\nrole = "assistant"\ncontent = "{a}"\nweight = 1\n'
    )
    obj = t.render({"notes": None, "extra": " ", "q": "Q", "a": "A"})
    assert obj["messages"] == [
        {"role": "system", "content": "Notes: "},
        {"role": "user", "content": "Q"},
        {"role": "assistant", "content": "A", "weight": 1},
    ]


def test_column_aliases_and_paths() -> None:
    t = parse_template(
        'user = "{question} [{first_tag?}] {odd name}"\nassistant = "{answer}"\n'
        '[columns]\nquestion = ["req", "text"]\nfirst_tag = ["tags", 0]\nanswer = "Answer (final)"\n'
    )
    row = {"req": {"text": "Q"}, "tags": ["t1", "t2"], "odd name": "o", "Answer (final)": "A"}
    assert t.render(row)["messages"][0]["content"] == "Q [t1] o"
    assert t.render({**row, "tags": []})["messages"][0]["content"] == "Q [] o"
    assert t.columns() == ["req", "tags", "odd name", "Answer (final)"]
    with pytest.raises(RowError, match=r"column 'question' \(path req.text\) is missing"):
        t.render({**row, "req": {}})


def test_render_lists_join_option() -> None:
    t = parse_template(CHAT + '[render]\nlists = "join"\nlist_separator = "; "\n')
    assert t.render({"q": ["a", None, 2, ["x"]], "a": "y"})["messages"][0]["content"] == 'a; 2; ["x"]'
