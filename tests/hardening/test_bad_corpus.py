"""The bad-input corpus (tests/data/bad/): every hostile file gets exactly its expected
findings with file and line, or its one clear InputError — never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ftprep.api import validate_files
from ftprep.errors import InputError
from ftprep.io import ReadLimits

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
EXPECTED: dict[str, dict] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))


def test_generator_and_committed_files_agree(tmp_path: Path) -> None:
    sys.path.insert(0, str(BAD))
    try:
        import make_bad
    finally:
        sys.path.remove(str(BAD))
    generated = {name: (data, exp) for name, data, exp in make_bad.cases()}
    assert set(generated) == set(EXPECTED)
    for name, (data, exp) in generated.items():
        assert (BAD / name).read_bytes() == data, f"{name}: rerun tests/data/bad/make_bad.py"
        assert json.loads(json.dumps(exp)) == EXPECTED[name], name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gets_its_expected_finding(name: str) -> None:
    exp = EXPECTED[name]
    limits = ReadLimits(**exp.get("limits", {}))
    path = BAD / name
    if "error" in exp:
        with pytest.raises(InputError) as err:
            validate_files([path], limits=limits)
        message = str(err.value)
        assert exp["error"] in message and message.startswith(f"{path}"), message
        assert "\n" not in message
        return
    report = validate_files([path], limits=limits)
    got = [[f.line, f.code] for f in report.findings]
    assert got == exp["findings"], name
    assert report.valid == exp["valid"], name
    assert all(f.source == str(path) for f in report.findings)
    for f in report.findings:
        assert f.message and "\n" not in f.message


def _run_validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftprep", "validate", *map(str, paths)],
                          capture_output=True, text=True, timeout=60)


def test_cli_gives_one_line_per_finding_and_no_traceback() -> None:
    """Through `ftprep validate`: every finding as `file:line: severity code: message`,
    each refusal as one line with exit code 2, never a traceback."""
    listed = [n for n in sorted(EXPECTED) if "error" not in EXPECTED[n] and "limits" not in EXPECTED[n]]
    proc = _run_validate([BAD / n for n in listed])
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = proc.stdout.splitlines()
    for name in listed:
        for line, code in EXPECTED[name]["findings"]:
            prefix = f"{BAD / name}:{line}: "
            assert any(ln.startswith(prefix) and f" {code}: " in ln for ln in lines), (name, line)
    for name in (n for n in sorted(EXPECTED) if "error" in EXPECTED[n]):
        proc = _run_validate([BAD / name])
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (name, proc.stderr)
        assert proc.stderr.count("\n") == 1 and EXPECTED[name]["error"] in proc.stderr, name
        assert proc.stderr.startswith(f"ftprep: error: {BAD / name}:"), proc.stderr
