"""`make test` and `.ci/run` run the whole suite, browser tests included, and fail loudly."""

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.M)
    assert match, f"no {target} target"
    return match.group(1)


def test_make_test_checks_services_and_chromium_lints_and_runs_every_test():
    recipe = _recipe("test")
    assert "scripts/check_services.py --browser" in recipe
    assert "lint" in recipe
    assert "-m pytest $(PYTEST_ARGS)" in recipe
    assert " -m " not in recipe.replace("-m pytest", ""), "make test must not deselect tests by marker"
    lint = _recipe("lint")
    assert "ruff check" in lint
    assert "lint-imports" in lint


def test_pytest_configuration_deselects_nothing():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert " -m" not in f" {config['addopts']}"
    assert "--strict-markers" in config["addopts"]
    assert config["testpaths"] == ["tests"]


def test_ci_script_is_strict_and_runs_make_test():
    text = (ROOT / ".ci" / "run").read_text()
    assert text.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, re.M)
    assert "apt-get install -y" in text and "chromium" in text
    assert "pg_ctlcluster --skip-systemctl-redirect" in text
    assert "redis-server --daemonize yes" in text
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], check=False).returncode == 0
