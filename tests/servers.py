"""Real servers for tests, on 127.0.0.1 and free ports.

`neo4j_bolt()` starts a real Neo4j 5.26 (tools/neo4j_server.py, as `make neo4j`);
`run_server()` starts the tracegraph server as its own process. Both are context
managers that stop what they started. Raising `Unavailable` (a `pytest.skip`
exception) from a fixture skips the test with its reason.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
MAX_BOLT_PORT = 32767
# The admin key every test server and test app is given (TRACEGRAPH_ADMIN_KEY), and the
# header that sends it.
ADMIN_KEY = "tg_test-admin-key-not-secret"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


class Unavailable(pytest.skip.Exception):  # type: ignore[misc, name-defined]
    """A server cannot be started on this machine; in a test or fixture, a skip."""


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A TCP port nothing listens on right now: any (the OS picks) or one in [low, high]."""
    if low is None or high is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            return int(s.getsockname()[1])
    for _ in range(200):
        port = random.randint(low, high)
        if _bindable(port):
            return port
    raise RuntimeError(f"no free TCP port in {low}..{high}")


def _bindable(port: int) -> bool:
    """Whether `port` is free on every interface, IPv4 and IPv6."""
    family, addr = (socket.AF_INET6, "::") if socket.has_ipv6 else (socket.AF_INET, "0.0.0.0")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind((addr, port))
        return True
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


_BOLT_HANDSHAKE = bytes.fromhex("6060b01700000405000000040000000000000000")


@contextmanager
def neo4j_bolt(password: str = "tracegraph-test", timeout: float = 240.0) -> Iterator[Any]:
    """A real Neo4j 5.26 Community (tools/neo4j_server.py, as `make neo4j` runs it) on a free
    port with its data in a temporary directory: the server (`uri`, `user`, `password`).
    Raises `Unavailable` where Java or Maven is missing."""
    sys.path.insert(0, str(ROOT / "tools"))
    from neo4j_server import neo4j_server

    if not (shutil.which("java") and shutil.which("mvn")):
        raise Unavailable("no Java 17 and Maven to run a real Neo4j (make apt-deps installs them)")
    with tempfile.TemporaryDirectory(prefix="neo4j-") as home:
        with neo4j_server(Path(home), free_port(), password, heap="768m", pagecache="128m", timeout=timeout) as server:
            yield server


@dataclass
class Server:
    """A running `tracegraph serve` process."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"http://{HOST}:{self.port}"

    def log(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return _tail(self.log_path, limit=1_000_000)

    def terminate(self, timeout: float = 10.0) -> int:
        """Stop gracefully (SIGTERM, SIGKILL after `timeout` s); returns the exit code."""
        return _stop(self.proc, timeout)

    def kill9(self) -> None:
        """Kill at once, as a crash would: no shutdown code runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@contextmanager
def run_server(
    env: Mapping[str, str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> Iterator[Server]:
    """Start `python -m tracegraph.cli serve`; yield once `GET /health` answers 200.

    The child gets this process's environment without its `TRACEGRAPH_*` variables,
    then TRACEGRAPH_HOST=127.0.0.1, TRACEGRAPH_PORT=<free port>,
    TRACEGRAPH_DATA_DIR=`data_dir` (a fresh temporary directory if None),
    TRACEGRAPH_DEMO=0, TRACEGRAPH_ADMIN_KEY=ADMIN_KEY, then `env` on top.
    """
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tracegraph-server-")))
        port = free_port()
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACEGRAPH_")}
        child_env.update(
            TRACEGRAPH_HOST=HOST,
            TRACEGRAPH_PORT=str(port),
            TRACEGRAPH_DATA_DIR=str(data_dir if data_dir is not None else scratch / "data"),
            TRACEGRAPH_DEMO="0",
            TRACEGRAPH_ADMIN_KEY=ADMIN_KEY,
            PYTHONUNBUFFERED="1",
        )
        child_env.update(env or {})
        log_path = scratch / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tracegraph.cli", "serve"],
                cwd=ROOT,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(proc=proc, port=int(child_env["TRACEGRAPH_PORT"]), log_path=log_path)
        stack.callback(server.terminate)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"tracegraph serve exited with {proc.returncode}:\n{server.log()[-4000:]}")
                try:
                    if client.get(f"{server.url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{server.url}/health not 200 after {timeout:.0f} s:\n{server.log()[-4000:]}")
                time.sleep(0.1)
        yield server


class RedisServer:
    """Debian's `redis-server` (no persistence) on one port, that a test may kill (`kill9`) and
    start again on the same port (`start`)."""

    def __init__(self, binary: str, workdir: Path, port: int, timeout: float = 20.0) -> None:
        self.binary, self.workdir, self.port, self.timeout = binary, workdir, port, timeout
        self.url = f"redis://{HOST}:{port}/0"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = proc = subprocess.Popen(
                [self.binary, "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"]
                + ["--dir", str(self.workdir)],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.timeout
        while not _accepts(self.port):
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {proc.returncode}:\n{_tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server not listening after {self.timeout:.0f} s:\n{_tail(self.log_path)}")
            time.sleep(0.05)

    def kill9(self) -> None:
        """Kill at once (SIGKILL): no shutdown, the port closed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, 5.0)


@contextmanager
def restartable_redis(timeout: float = 20.0) -> Iterator[RedisServer]:
    """A started `RedisServer` on a free port, stopped at the end.

    Raises `Unavailable` when `redis-server` is not installed (`make test` installs it).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("redis-server not found (Debian package redis-server; `make test` installs it)")
    with tempfile.TemporaryDirectory(prefix="redis-") as workdir:
        server = RedisServer(binary, Path(workdir), free_port(), timeout)
        try:
            server.start()
            yield server
        finally:
            server.stop()


@contextmanager
def redis_server(timeout: float = 20.0) -> Iterator[str]:
    """Start Debian's `redis-server` (no persistence); yield `redis://127.0.0.1:<port>/0`.

    Raises `Unavailable` when `redis-server` is not installed (`make test` installs it).
    """
    with restartable_redis(timeout) as server:
        yield server.url


async def graphql_data(
    base: str, query: str, variables: dict[str, Any] | None = None, auth: Mapping[str, str] = AUTH
) -> dict[str, Any]:
    """POST a GraphQL operation to the server at `base` (host:port); its `data`, asserting no error."""
    async with httpx.AsyncClient(headers=dict(auth), trust_env=False) as client:
        response = await client.post(f"http://{base}/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


@asynccontextmanager
async def uvicorn_in_loop(settings: Any) -> AsyncIterator[tuple[str, Any]]:
    """The app on uvicorn in this event loop, at a free port: its `host:port`, and the app."""
    import uvicorn

    from tracegraph.app import create_app

    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"{HOST}:{port}", app
    finally:
        server.should_exit = True
        await task


class Issuer:
    """A test OpenID Connect issuer on 127.0.0.1 (`oidc_issuer()`): a discovery document and a
    JWKS of RSA keys made by `cryptography`, served by http.server in a thread. `rotate()` adds
    a key (a new kid) and drops the old ones; `delay` slows every answer; `token()` signs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, Any] = {}  # kid -> private key, the ones published
        self.fetches = 0  # JWKS fetches served
        self.delay = 0.0
        self.rotate()

    @staticmethod
    def new_key() -> Any:
        from cryptography.hazmat.primitives.asymmetric import rsa

        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def rotate(self) -> str:
        kid = f"key-{len(self.keys) + self.fetches}-{random.randrange(1 << 30)}"
        self.keys = {kid: self.new_key()}
        return kid

    @property
    def kid(self) -> str:
        return next(iter(self.keys))

    def jwks(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        return {
            "keys": [
                {**RSAAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}
                for kid, k in self.keys.items()
            ]
        }

    def token(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        kid: str | None = None,
        key: Any = None,
        algorithm: str = "RS256",
        headers: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> str:
        """A token of this issuer: iss, aud "tracegraph-test", sub, iat, exp (+10 min), then `claims`
        (a value None drops that claim), signed by `key` (default: the key of `kid`, the current one)."""
        import jwt

        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": "tracegraph-test",
            "sub": "user-1",
            "iat": now,
            "exp": now + 600,
            **(claims or {}),
            **more,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        kid = kid or self.kid
        signer = key if key is not None else self.keys[kid]
        return jwt.encode(payload, signer, algorithm=algorithm, headers={"kid": kid, **(headers or {})})


@contextmanager
def oidc_issuer() -> Iterator[Issuer]:
    """Start a test OpenID Connect issuer (see `Issuer`); yield it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port = free_port()
    issuer = Issuer(f"http://{HOST}:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if issuer.delay:
                time.sleep(issuer.delay)
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
            elif self.path == "/jwks":
                issuer.fetches += 1
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="oidc-issuer", daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
