"""Tests carry the files they read: nothing under tests/ or src/ reads the workspace's shared
folder next to the repository (GS1's schemas and examples, the seeds), so a clone runs every
test; the GS1 files carried are named in NOTICE."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The workspace folder outside the repository, named once: the pattern matches a path into it
# (`../<it>`, `/work/<it>`, a `"<it>" /` join); this test only looks for such paths.
FOLDER = "shared"
OUTSIDE = re.compile(rf"""\.\./{FOLDER}|/work/{FOLDER}|["']{FOLDER}["']\s*/|/\s*["']{FOLDER}["']""")


def test_no_test_or_source_reads_the_shared_folder() -> None:
    readers = [
        f"{path.relative_to(ROOT)}:{n}"
        for top in ("tests", "src", "bench")
        for path in (ROOT / top).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line) and path != Path(__file__).resolve()
    ]
    assert readers == [], f"read from outside the repository (carry them in tests/): {readers}"


def test_the_gs1_files_carried_are_there_and_named_in_notice() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    examples = sorted((ROOT / "tests" / "epcis" / "examples").glob("*.jsonld"))
    assert len(examples) >= 15
    assert "tests/epcis/examples/*.jsonld" in notice and (ROOT / "tests/epcis/examples/README.md").is_file()
    schema = ROOT / "src" / "tracegraph" / "gs1" / "schema" / "EPCIS-JSON-Schema.json"
    assert schema.is_file() and str(schema.relative_to(ROOT)) in notice
