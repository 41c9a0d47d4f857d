"""A real Neo4j 5.26 Community server on loopback, for development (`make neo4j`) and the tests.

Neo4j's own server entry point (`org.neo4j.server.CommunityEntryPoint`) runs on the JVM with
the jars Maven resolves from tools/neo4j/pom.xml (cached in ~/.m2; the class path itself in
`<data dir>/classpath.txt`, made again when the pom changes). The configuration is written
to `<data dir>/conf/neo4j.conf` on every start: Bolt on 127.0.0.1 only, no HTTP, small memory
(a 2-core machine shared with the tests). On the first start the password of user `neo4j`
is set (Neo4j's initial `neo4j` is changed through Bolt, as a client would).

    python tools/neo4j_server.py            # serves until SIGINT or SIGTERM

Environment: NEO4J_BOLT_PORT (7687), NEO4J_PASSWORD (tracegraph), NEO4J_DATA_DIR
(./.neo4j-data), NEO4J_HEAP (512m), NEO4J_PAGECACHE (256m). Nothing of Neo4j is bundled into
tracegraph: Neo4j Community is GPLv3, and tracegraph talks to it over Bolt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

POM = Path(__file__).resolve().parent / "neo4j" / "pom.xml"
INITIAL_PASSWORD = "neo4j"


@dataclass
class Neo4j:
    """A running server: its Bolt URI, user and password, its process and directory."""

    uri: str
    user: str
    password: str
    process: subprocess.Popen[bytes]
    home: Path

    def log(self) -> str:
        path = self.home / "logs" / "neo4j.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""


def classpath(home: Path) -> str:
    """The server's class path, resolved by Maven once per pom (the jars stay in ~/.m2)."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:16]
    cached = home / f"classpath-{digest}.txt"
    if not cached.exists():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is not installed: it fetches Neo4j from Maven Central")
        home.mkdir(parents=True, exist_ok=True)
        out = home / "classpath.tmp"
        subprocess.run([mvn, "-q", "-B", "-f", str(POM), "dependency:build-classpath",
                        f"-Dmdep.outputFile={out}"], check=True)
        out.replace(cached)
    return cached.read_text("utf-8").strip()


def _conf(home: Path, port: int, pagecache: str) -> Path:
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text("\n".join([
        "server.default_listen_address=127.0.0.1",
        f"server.bolt.listen_address=127.0.0.1:{port}",
        "server.bolt.advertised_address=127.0.0.1:" + str(port),
        "server.http.enabled=false",
        "server.https.enabled=false",
        f"server.directories.data={home / 'data'}",
        f"server.directories.logs={home / 'logs'}",
        f"server.directories.import={home / 'import'}",
        f"server.memory.pagecache.size={pagecache}",
        "dbms.security.auth_enabled=true",
        "dbms.usage_report.enabled=false",
        # Tests wipe and reload small graphs all day: keep little transaction log.
        "db.tx_log.rotation.retention_policy=2 files",
        "db.tx_log.rotation.size=64M",
        "",
    ]), "utf-8")
    return conf


def _die_with_parent() -> None:
    """In the child, before Java starts: SIGTERM it when this launcher dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _set_password(uri: str, user: str, password: str, deadline: float) -> None:
    """Log in with the password; on a first start, change Neo4j's initial one to it."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

    while True:
        try:
            with GraphDatabase.driver(uri, auth=(user, password)) as driver:
                driver.verify_connectivity()
                driver.execute_query("RETURN 1")
            return
        except AuthError:
            with GraphDatabase.driver(uri, auth=(user, INITIAL_PASSWORD)) as driver, \
                    driver.session(database="system") as session:
                session.run(f"ALTER CURRENT USER SET PASSWORD FROM '{INITIAL_PASSWORD}' TO $new",
                            new=password).consume()
        except (ServiceUnavailable, ClientError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextlib.contextmanager
def neo4j_server(home: Path, port: int, password: str, heap: str = "512m", pagecache: str = "256m",
                 timeout: float = 180.0, quiet: bool = True) -> Iterator[Neo4j]:
    """Start Neo4j on 127.0.0.1:`port` with its data under `home`; stop it on exit."""
    home = home.resolve()
    if len(password) < 8:
        raise RuntimeError("Neo4j wants a password of at least 8 characters (NEO4J_PASSWORD)")
    if _port_open(port):
        raise RuntimeError(f"port {port} is taken: is another Neo4j running? (NEO4J_BOLT_PORT)")
    cp = classpath(home)
    conf = _conf(home, port, pagecache)
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("Java 17 (java) is not installed: Neo4j 5 runs on it")
    command = [java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow",
               "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8", "-cp", cp,
               "org.neo4j.server.CommunityEntryPoint", f"--home-dir={home}", f"--config-dir={conf}"]
    out = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, stdout=out, stderr=out, cwd=home, start_new_session=True,
                               preexec_fn=_die_with_parent)
    server = Neo4j(f"bolt://127.0.0.1:{port}", "neo4j", password, process, home)
    try:
        deadline = time.monotonic() + timeout
        while not _port_open(port):
            if process.poll() is not None:
                raise RuntimeError(f"Neo4j exited with {process.returncode}:\n{server.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Neo4j did not open Bolt in {timeout:.0f} s:\n{server.log()[-3000:]}")
            time.sleep(0.25)
        _set_password(server.uri, server.user, password, deadline)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """SIGTERM (Neo4j shuts down cleanly: checkpoint, close), SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    port = int(os.environ.get("NEO4J_BOLT_PORT", "7687"))
    password = os.environ.get("NEO4J_PASSWORD", "tracegraph")
    home = Path(os.environ.get("NEO4J_DATA_DIR", "./.neo4j-data"))
    stopping = {"now": False}

    def on_signal(signum: int, frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with neo4j_server(home, port, password, os.environ.get("NEO4J_HEAP", "512m"),
                      os.environ.get("NEO4J_PAGECACHE", "256m"), quiet=False) as server:
        print(f"neo4j: Neo4j 5.26 Community serving {server.uri} (user neo4j), data in {server.home}; "
              "stop with Ctrl-C", flush=True)
        while not stopping["now"] and server.process.poll() is None:
            time.sleep(0.2)
        print("neo4j: stopping", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
