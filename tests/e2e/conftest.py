"""What the browser tests share: Debian's headless Chromium, driven by Playwright (`chromium`,
the browser's path; the tests that need it are unavailable without it)."""

from __future__ import annotations

import shutil

import pytest
from servers import Unavailable


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise Unavailable("chromium not found (Debian package chromium; `make test` installs it)")
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        raise Unavailable(f"playwright not installed: {exc}") from exc
    return path
