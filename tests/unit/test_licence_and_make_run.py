"""The licence and the notice of vendored files; `make run` installs only what running needs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "tracegraph" / "static" / "vendor"


def test_the_licence_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_the_notice_names_every_vendored_file_and_its_licence() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    files = sorted(p for p in VENDOR.rglob("*") if p.is_file())
    assert files
    for path in files:
        assert str(path.relative_to(ROOT)) in notice, f"{path.relative_to(ROOT)} is not in NOTICE"
    for line in notice.splitlines():
        if line.strip().startswith("licence:"):
            assert (ROOT / line.split(":", 1)[1].strip()).is_file(), line


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_no_test_extras(tmp_path: Path) -> None:
    plan = subprocess.run(
        ["make", "-n", "run", f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all("[test]" not in line for line in installs), plan
