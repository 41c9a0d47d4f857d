"""`tracegraph serve` and `tracegraph check` as an operator meets them: flags over the settings,
a busy port that spends nothing of the first start, a check that refuses a missing store and
says when a running server holds it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from servers import HOST, ROOT, free_port


def _env() -> dict[str, str]:
    """This environment without TRACEGRAPH_* (the flags name the port and the data directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAPH_")}
    env.update(PYTHONUNBUFFERED="1", TRACEGRAPH_DEMO="1")
    return env


def _tracegraph(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracegraph.cli", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _serve(port: int, data: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tracegraph.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--data-dir",
                str(data),
            ],
            cwd=ROOT,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _healthy(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if client.get(f"http://{HOST}:{port}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_a_busy_port_spends_nothing_of_the_first_start_and_check_follows_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    missing = _tracegraph("check", "--data-dir", str(data))
    assert missing.returncode == 2 and "no store in" in missing.stderr, missing
    assert not data.exists(), "check creates no data directory"

    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, port))
        busy.listen()
        log = tmp_path / "first.log"
        proc = _serve(port, data, log)
        assert proc.wait(timeout=60) == 1
        out = log.read_text()
        assert f"cannot listen on {HOST}:{port}" in out, out
        assert "admin key" not in out and "Traceback" not in out, out
        assert not data.exists() or not any(data.iterdir()), "nothing written on a port in use"

    log = tmp_path / "second.log"
    proc = _serve(port, data, log)  # the port free now: the first start happens, with its key
    try:
        _healthy(port, proc, log)
        out = log.read_text()
        assert "the admin key, shown this once" in out and "loaded the demo data" in out, out
        in_use = _tracegraph("check", "--data-dir", str(data))
        assert in_use.returncode == 2, in_use
        assert "in use by another process" in in_use.stderr and "Traceback" not in in_use.stderr, in_use.stderr
    finally:
        _stop(proc)

    checked = _tracegraph("check", "--data-dir", str(data))
    assert checked.returncode == 0 and "check ok" in checked.stdout, checked
