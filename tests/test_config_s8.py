"""Config values are type-checked (audit: `model = 5` crashed with exit 70, `bom = "false"`
wrote a BOM, `price_per_million = nan` wrote NaN into the manifest, negative counts were
accepted), and a config file cannot switch pseudonymization off: only --no-pseudonymize can
(./ftprep.toml and pyproject.toml are read without being named)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ftprep.config import PrepareConfig, config_from_mapping, load_config
from ftprep.errors import ConfigError


@pytest.mark.parametrize("setting", [
    {"model": 5}, {"suite": 5}, {"checks": 5}, {"bom": "false"}, {"price_per_million": math.nan},
    {"price_per_million": math.inf}, {"seed": "a"}, {"n_epochs": -3}, {"max_images": -1},
    {"validation_fraction": "x"}, {"workers": 1.5},
])
def test_wrong_types_are_one_config_error(setting: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_mapping(setting, "ftprep.toml")
    name = next(iter(setting))
    assert str(exc.value).startswith("ftprep.toml: ") and repr(name) in str(exc.value)


def test_good_values_pass() -> None:
    cfg = config_from_mapping({"model": "gpt-4o", "n_epochs": None, "price_per_million": 3,
                               "bom": True, "checks": {"severity": {}}, "validation_fraction": 0.2})
    assert cfg.model == "gpt-4o" and cfg.price_per_million == 3 and cfg.bom is True


def test_a_config_file_cannot_switch_pseudonymization_off(tmp_path: Path) -> None:
    (tmp_path / "ftprep.toml").write_text("pseudonymize = false\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="--no-pseudonymize"):
        load_config(cwd=tmp_path)
    (tmp_path / "ftprep.toml").write_text("pseudonymize = true\n", encoding="utf-8")
    assert load_config(cwd=tmp_path)[0].pseudonymize is True
    assert PrepareConfig().with_overrides(pseudonymize=False).pseudonymize is False  # the flag


def test_command_line_overrides_are_checked_too() -> None:
    with pytest.raises(ConfigError, match="--price-per-million"):
        PrepareConfig().with_overrides(price_per_million=math.nan)
    with pytest.raises(ConfigError, match="--n-epochs"):
        PrepareConfig().with_overrides(n_epochs=-3)
