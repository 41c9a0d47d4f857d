"""The `tracegraph` command: serve, check the ledger, import events, move a ledger between stores, export
the GraphQL schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import settings

if TYPE_CHECKING:
    from .config import Settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from .app import create_app
    from .config import Settings

    given = {k: v for k, v in (("host", args.host), ("port", args.port), ("data_dir", args.data_dir)) if v is not None}
    try:
        s = Settings(**given) if given else settings()  # flags over the TRACEGRAPH_* settings
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            print(f"{'.'.join(str(x) for x in err['loc']) or 'settings'}: {err['msg']}", file=sys.stderr)
        return 2
    logging.basicConfig(level=s.log_level.upper(), format="%(levelname)s:     %(message)s")
    # The port is bound before anything is written: on a first start the admin key is printed
    # once and the demo loaded once, and a port in use must not spend them.
    try:
        sock = _bind(s.host, s.port)
    except OSError as exc:
        print(
            f"tracegraph: cannot listen on {s.host}:{s.port}: {exc.strerror or exc} "
            "(another server there? choose another with --port or TRACEGRAPH_PORT); nothing was started",
            file=sys.stderr,
        )
        return 1
    host = f"[{s.host}]" if ":" in s.host else s.host
    url = f"http://{host}:{s.port}"
    print(f"tracegraph on the {s.store_name} store, data in {s.data_dir if s.store_name == 'ladybug' else s.neo4j_uri}")
    print(f"GraphiQL: {url}/graphql   dashboard: {url}/dashboard   health: {url}/health")
    print('First query to try:  { trace(id: "LOT-FLOUR-0001", direction: FORWARD) { items { id } } }')
    print(
        "Every request but /health needs `Authorization: Bearer <key>`; in GraphiQL put "
        '{"Authorization": "Bearer <key>"} in the Headers tab.'
    )
    tune_gc()
    config = uvicorn.Config(
        create_app(s),
        host=s.host,
        port=s.port,
        log_level=s.log_level,
        timeout_graceful_shutdown=10,
        ws_per_message_deflate=s.ws_compression,
    )
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host and port (not yet listening: uvicorn listens on it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def tune_gc() -> None:
    """Collect the youngest objects every 10,000 allocations rather than 700. A recall's
    figures allocate hundreds of thousands of short-lived objects while the store's index and
    caches hold millions that live long; at the default, cyclic garbage collection took a third
    of a mock recall's time (bench/trace.py)."""
    import gc

    gc.set_threshold(10_000, 10, 10)


class StoreInUse(Exception):
    """An embedded store another process (a running server) holds: it takes one process at a time."""


async def _open(store: Any) -> None:
    """Open a store; an embedded one another process holds raises `StoreInUse` with what to do."""
    try:
        await store.open()
    except RuntimeError as exc:
        if "Could not set lock" not in str(exc):
            raise
        held = re.search(r"Lock is held by PID (\d+)", str(exc))
        by = f" (process {held.group(1)})" if held else ""
        raise StoreInUse(
            f"the store in {_where(store)} is in use by another process{by}, a running tracegraph server most "
            "likely; an embedded store takes one process at a time: stop the server first"
        ) from None


def _configured(data_dir: Path | None) -> Settings:
    """The settings, with the data directory a flag gives over TRACEGRAPH_DATA_DIR."""
    from .config import Settings

    return Settings(data_dir=data_dir) if data_dir is not None else settings()


def _check(args: argparse.Namespace) -> int:
    from .store.factory import make_store

    config = _configured(args.data_dir)
    if config.store_name == "ladybug" and not (Path(config.data_dir) / "graph.lbug").exists():
        print(
            f"no store in {config.data_dir} (no graph.lbug there): name the data directory with --data-dir "
            "or TRACEGRAPH_DATA_DIR",
            file=sys.stderr,
        )
        return 2

    async def run() -> int:
        store = make_store(config)
        try:
            await _open(store)
        except StoreInUse as exc:
            print(f"check not run: {exc}", file=sys.stderr)
            return 2
        try:
            report = await store.integrity()
        finally:
            await store.close()
        print(f"{report.items} items, {report.events} events")
        for imbalance in report.imbalances:
            second = f" (in its second unit: {imbalance.second_total:g})" if imbalance.second_total else ""
            print(
                f"CONSERVATION  item {imbalance.item_id}: balances over all locations sum to {imbalance.total:g}"
                f"{second}, not 0"
            )
        for problem in report.dangling:
            print(f"DANGLING      {problem}")
        for f in report.findings:
            where = " ".join(
                x
                for x in (f"item {f.item_id}" if f.item_id else "", f"at {f.location_id}" if f.location_id else "")
                if x
            )
            print(f"FINDING       {f.kind.value} {where} (event {f.event_id}): {f.message}")
        verdict = "ok" if report.ok else "FAILED"
        print(
            f"check {verdict}: {len(report.imbalances)} imbalances, {len(report.dangling)} dangling, "
            f"{len(report.findings)} findings"
        )
        return 0 if report.ok else 1

    return asyncio.run(run())


def _where(store: object) -> str:
    """A store as the operator knows it: its data directory or its URI."""
    return str(getattr(store, "path", None) or getattr(store, "uri", None) or store)


def _move(args: argparse.Namespace) -> int:
    """A whole ledger from one store to another: an embedded data directory into Neo4j (moving
    up), the configured store into a new embedded directory (a backup) and back (a restore)."""
    import time

    from .services.moving import move_ledger
    from .store.factory import make_store
    from .store.ladybug import LadybugStore

    if args.from_data_dir is None and args.to_data_dir is None:
        print("name the store to move from (--from-data-dir) or to (--to-data-dir)", file=sys.stderr)
        return 2
    config = settings()
    if args.from_data_dir is not None:
        source_dir = Path(args.from_data_dir)
        if not (source_dir / "graph.lbug").exists():
            print(f"no embedded store in {source_dir} (no graph.lbug there)", file=sys.stderr)
            return 2
    if args.to_data_dir is not None:
        target_dir = Path(args.to_data_dir)
        if target_dir.exists() and any(target_dir.iterdir()) and not (target_dir / "graph.lbug").exists():
            print(f"{target_dir} holds other files: give an empty or new directory", file=sys.stderr)
            return 2
    mine = None if config.neo4j_uri else Path(config.data_dir).resolve()
    ends = [Path(d).resolve() if d is not None else mine for d in (args.from_data_dir, args.to_data_dir)]
    if ends[0] == ends[1]:
        print("the store to move from and the one to move to are the same", file=sys.stderr)
        return 2

    async def run() -> int:
        started = time.monotonic()
        source = LadybugStore(Path(args.from_data_dir)) if args.from_data_dir is not None else make_store(config)
        target = LadybugStore(Path(args.to_data_dir)) if args.to_data_dir is not None else make_store(config)
        print(f"moving from {_where(source)} to {_where(target)}", flush=True)
        await source.open()
        try:
            await target.open()
            try:
                report = await move_ledger(
                    source, target, args.page, on_page=lambda n: print(f"  {n} events", flush=True)
                )
            finally:
                await target.close()
        finally:
            await source.close()
        copied = ", ".join(f"{n} {kind}" for kind, n in report.master.items())
        print(
            f"moved {report.events} events ({report.skipped} were there already); copied {copied}; "
            f"{time.monotonic() - started:.1f} s"
        )
        for problem in report.problems:
            print(f"PROBLEM  {problem}")
        print(
            "verified: check passes on both, counts equal, sample traces identical"
            if report.verified
            else "NOT verified"
        )
        return 0 if report.verified else 1

    return asyncio.run(run())


def _import(args: argparse.Namespace) -> int:
    """Bulk-load a file of events, one EventCommand as JSON per line (`-`: standard input)."""
    from pydantic import ValidationError

    from .domain.errors import DomainError
    from .domain.events import EventCommand, Source
    from .services.ledger import Ledger
    from .store.factory import make_store

    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    cmds: list[EventCommand] = []
    numbers: list[int] = []  # the line number of each command
    with stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                cmds.append(EventCommand.model_validate_json(line))
            except ValidationError as exc:
                for err in exc.errors(include_url=False, include_input=False):
                    where = ".".join(str(x) for x in err["loc"])
                    print(f"line {number}: {where + ': ' if where else ''}{err['msg']}", file=sys.stderr)
                print(f"import refused, nothing written: line {number} is no event", file=sys.stderr)
                return 1
            numbers.append(number)

    def at_line(field: str | None) -> str:
        """`events[3].id` as `line 7: events[3].id`: the line of the file the event is on."""
        found = re.match(r"events\[(\d+)\]", field or "")
        if found is None or int(found.group(1)) >= len(numbers):
            return field or "-"
        return f"line {numbers[int(found.group(1))]}: {field}"

    async def run() -> int:
        store = make_store(settings())
        try:
            await _open(store)
        except StoreInUse as exc:
            print(f"import refused, nothing written: {exc}", file=sys.stderr)
            return 2
        try:
            report = await Ledger(store).import_events(cmds, Source.FACT if args.facts else Source.COMMAND)
        except DomainError as exc:
            for p in exc.problems:
                print(f"{p.code:<18} {at_line(p.field)}: {p.message}", file=sys.stderr)
            print(f"import refused, nothing written: {len(exc.problems)} problems", file=sys.stderr)
            return 1
        finally:
            await store.close()
        print(
            f"imported {report.events} events: {report.items} new items, {report.links} links, "
            f"{report.balances} balances, {report.findings} findings"
        )
        return 0

    return asyncio.run(run())


def _export_schema(args: argparse.Namespace) -> int:
    from .api.schema import schema

    sys.stdout.write(schema.as_str() + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tracegraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve GraphQL on the configured store")
    serve.add_argument("--host", help="the address to listen on (default: TRACEGRAPH_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="the port to listen on (default: TRACEGRAPH_PORT, else 8000)")
    serve.add_argument(
        "--data-dir",
        type=Path,
        help="the embedded store's data directory (default: TRACEGRAPH_DATA_DIR, else .tracegraph-data)",
    )
    serve.set_defaults(fn=_serve)
    check = sub.add_parser("check", help="verify conservation and links, list the findings")
    check.add_argument("--data-dir", type=Path, help="the embedded store to check (default: TRACEGRAPH_DATA_DIR)")
    check.set_defaults(fn=_check)
    imp = sub.add_parser(
        "import",
        help="bulk-load events (JSON lines of EventCommand) into the store, "
        "planned as commands (or facts); refused whole, writing nothing, on any problem",
    )
    imp.add_argument("file", help="a file of JSON lines, `-` for standard input")
    imp.add_argument("--facts", action="store_true", help="the events are reported facts, not commands")
    imp.set_defaults(fn=_import)
    move = sub.add_parser(
        "move",
        help="copy a whole ledger from one store to another and verify it: from an embedded store's "
        "data directory into the store the settings name (Neo4j with TRACEGRAPH_NEO4J_*), or from that "
        "store into a new embedded directory (a backup; moved back, a restore); run again after an "
        "interruption to go on",
    )
    move.add_argument("--from-data-dir", help="move from this embedded store (default: the configured store)")
    move.add_argument(
        "--to-data-dir", help="move into this embedded store, new or empty (default: the configured store)"
    )
    move.add_argument("--page", type=int, default=5000, help="events per transaction of the target")
    move.set_defaults(fn=_move)
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(fn=_export_schema)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    raise SystemExit(main())
