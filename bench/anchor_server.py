"""The benchmark anchor, @neo4j/graphql (bench/anchor/server.mjs), as a process the trace
benchmark starts on a Neo4j, and the plan of the Cypher it sends.

`run_anchor(env)` installs the anchor's Node modules when its lock file is newer than them
(`npm ci --no-audit --no-fund` in bench/anchor), starts `node server.mjs` on a free port of
127.0.0.1 against the Neo4j of `env` (TRACEGRAPH_NEO4J_URI, _USER, _PASSWORD), waits until it
answers GraphQL, yields its URL and stops it.

`sent_cypher(env, root, direction)` runs the anchor once with @neo4j/graphql's debug log on and
returns the Cypher and parameters the library sent for that trace, its own wrapping of the
`@cypher` statement included; `profile(env, cypher, params)` runs it on Neo4j: the time Neo4j
took (warm, without PROFILE) and, from PROFILE, the operators with their rows and db hits.

    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=... \\
        .venv/bin/python bench/anchor_server.py ITEM_ID FORWARD   # the plan of one trace
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent / "anchor"
QUERY = "query($id: String!, $d: TraceDirection!) { trace(id: $id, direction: $d) { id } }"
DEBUG = "@neo4j/graphql:execution"


def install() -> None:
    """`npm ci` in bench/anchor unless its node_modules were installed from this lock file."""
    stamp = HERE / "node_modules" / ".installed"
    lock = HERE / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("--anchor needs Node 20 and npm: the anchor is @neo4j/graphql (bench/anchor)")
    print("anchor    npm ci in bench/anchor", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    stamp.touch()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def run_anchor(env: dict[str, str], debug: bool = False, timeout: float = 60.0) -> Iterator[tuple[str, Path]]:
    """The anchor serving on the Neo4j of `env`: its GraphQL URL and its log file."""
    install()
    node = shutil.which("node")
    if node is None:
        raise SystemExit("--anchor needs Node 20 (node)")
    port = _free_port()
    proc_env = {
        **os.environ,
        "ANCHOR_PORT": str(port),
        "NEO4J_URI": env["TRACEGRAPH_NEO4J_URI"],
        "NEO4J_USER": env["TRACEGRAPH_NEO4J_USER"],
        "NEO4J_PASSWORD": env["TRACEGRAPH_NEO4J_PASSWORD"],
        "NODE_ENV": "production",
    }
    if debug:
        proc_env |= {"DEBUG": DEBUG, "DEBUG_COLORS": "0"}
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as d:
        log = Path(d) / "anchor.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([node, "server.mjs"], cwd=HERE, env=proc_env, stdout=out, stderr=out)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + timeout
            with httpx.Client(timeout=5, trust_env=False) as client:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the anchor exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                    with contextlib.suppress(httpx.TransportError):
                        if client.post(url, json={"query": "{ __typename }"}).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the anchor did not answer in {timeout:g} s:\n{log.read_text()[-3000:]}")
                    time.sleep(0.2)
            yield url, log
        finally:
            _stop(proc)


def sent_cypher(env: dict[str, str], root: str, direction: str) -> tuple[str, dict[str, str]]:
    """The Cypher (and parameters) @neo4j/graphql sends for the trace of `root`, from its debug log."""
    with run_anchor(env, debug=True) as (url, log), httpx.Client(timeout=300, trust_env=False) as client:
        r = client.post(url, json={"query": QUERY, "variables": {"id": root, "d": direction}})
        r.raise_for_status()
        text = log.read_text("utf-8", "replace")
    # Each debug record: `<time> @neo4j/graphql:execution <message>`, a message on several lines.
    records = re.split(r"^\S+ " + re.escape(DEBUG) + " ", text, flags=re.M)
    for i, rec in enumerate(records):
        if "(root:Item" in rec and i + 1 < len(records) and records[i + 1].startswith("cypher params:"):
            params = dict(re.findall(r"(\w+): '([^']*)'", records[i + 1]))
            if root not in params.values():
                raise RuntimeError(f"the anchor's debug log does not give the trace's parameters: {records[i + 1]}")
            return rec.strip(), params
    raise RuntimeError(f"no trace Cypher in the anchor's debug log:\n{text[-3000:]}")


@dataclass
class Profile:
    rows: int
    server_ms: float  # Neo4j's own time, warm: result available after + consumed after
    db_hits: int
    plan: list[str] = field(default_factory=list)


def profile(env: dict[str, str], cypher: str, params: dict[str, Any], warm: int = 3) -> Profile:
    """The query run `warm` times (the last one's server time kept), then once under PROFILE."""
    from neo4j import GraphDatabase

    auth = (env["TRACEGRAPH_NEO4J_USER"], env["TRACEGRAPH_NEO4J_PASSWORD"])
    lines: list[str] = []
    hits = 0

    def walk(op: dict[str, Any], depth: int) -> None:
        nonlocal hits
        hits += int(op.get("dbHits", 0))
        details = str(op.get("args", {}).get("Details", ""))
        name = str(op["operatorType"]).split("@")[0]
        lines.append(
            f"{'  ' * depth}{name:<{48 - 2 * depth}} rows {op.get('rows', 0):>6,}  db hits {op.get('dbHits', 0):>7,}  "
            f"{details[:110]}"
        )
        for child in op.get("children", []):
            walk(child, depth + 1)

    with (
        GraphDatabase.driver(env["TRACEGRAPH_NEO4J_URI"], auth=auth, notifications_min_severity="OFF") as driver,
        driver.session() as session,
    ):
        rows, server_ms = 0, 0.0
        for _ in range(warm):
            result = session.run(cypher, params)
            rows = len(list(result))
            summary = result.consume()
            server_ms = float((summary.result_available_after or 0) + (summary.result_consumed_after or 0))
        profiled = session.run("PROFILE " + cypher, params)
        list(profiled)  # the rows first: a profile is there only once the result is read
        plan = profiled.consume().profile
        if plan:
            walk(plan, 0)
    return Profile(rows, server_ms, hits, lines)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    env = {
        "TRACEGRAPH_NEO4J_URI": os.environ.get("TRACEGRAPH_NEO4J_URI", "bolt://127.0.0.1:7687"),
        "TRACEGRAPH_NEO4J_USER": os.environ.get("TRACEGRAPH_NEO4J_USER", "neo4j"),
        "TRACEGRAPH_NEO4J_PASSWORD": os.environ.get("TRACEGRAPH_NEO4J_PASSWORD", ""),
    }
    cypher, params = sent_cypher(env, sys.argv[1], sys.argv[2].upper())
    p = profile(env, cypher, params)
    print(f"{cypher}\n{params}\n{p.rows:,} rows, {p.server_ms:.0f} ms in Neo4j (warm), {p.db_hits:,} db hits")
    print("\n".join(p.plan))


if __name__ == "__main__":
    main()
