"""EPCIS capture benchmark: generated documents captured on the embedded store and (--neo4j) on Neo4j.

One POST /epcis/capture of an EPCISDocument of `--events` events (default 10,000: lots
commissioned, transformed, packed into cases and pallets, shipped; half of them without an
eventID, so their CBV 2.0 hash is computed), through the ASGI app in this process (JSON
parse, schema and form checks, mapping, one ledger transaction), on a fresh Ladybug store;
with --neo4j, then the same documents into the Neo4j that TRACEGRAPH_NEO4J_URI names, its
graph wiped first (the app in this process, its store's reads and writes over Bolt).
With --documents N, N successive documents of --events events each (their own lots and
events) into the same growing store, one request after the other.

Printed for each store and document: the request's seconds and events per second (the aim:
5,000/s), and memory: how far this process's peak resident set grew during the request (the
peak reset before each, /proc/self/clear_refs), next to the size of the document as text; on
Neo4j the server's own memory is in its JVM, not counted. For the first document, the time
of the phases measured on their own (schema and form checks; mapping to commands, event
hashes included: no store, the same on both), and the rest: JSON parse, aliases, the
ledger's reads, plan and write in the store, the job kept. With N > 1, last/first (the aim
elsewhere: at most 1.2x, the store grown by N-1 documents); the first document is also the
first use of every query (Neo4j's plans, caches), so with N > 2 last/second is printed too,
both warm. At the end, one table side by side, with Neo4j's ratio to Ladybug's.

    .venv/bin/python bench/capture.py
    .venv/bin/python bench/capture.py --events 2000 --documents 5
    TRACEGRAPH_NEO4J_URI=bolt://127.0.0.1:7687 TRACEGRAPH_NEO4J_PASSWORD=tracegraph \
        .venv/bin/python bench/capture.py --neo4j --documents 10   # and on Neo4j (`make neo4j`; wiped)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import neo4j_env, wipe_neo4j  # noqa: E402

from tracegraph.app import create_app  # noqa: E402
from tracegraph.config import Settings  # noqa: E402
from tracegraph.gs1 import epcis_events as M  # noqa: E402
from tracegraph.gs1 import epcis_validate as V  # noqa: E402
from tracegraph.services import epcis as S  # noqa: E402

ADMIN_KEY = "tg_bench-admin-key"  # the admin key of the benchmark's own app
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}

AIM = 5000.0
AIM_GROWTH = 1.2  # the last of successive documents no slower than 1.2x the first


def generate(n: int, first_group: int = 0) -> dict[str, Any]:
    """Groups of 5 events: two lots commissioned, a transformation of both into a product lot,
    the product packed onto a pallet, the pallet shipped; the lots, pallets and event ids of
    group g are its own (successive documents start at successive groups)."""
    events: list[dict[str, Any]] = []
    g = first_group
    while len(events) < n:
        t = f"2024-03-04T{(g // 3600) % 24:02d}:{(g // 60) % 60:02d}:{g % 60:02d}.000Z"
        a, b = f"urn:epc:class:lgtin:4012345.011111.A{g}", f"urn:epc:class:lgtin:4012345.022222.B{g}"
        out, pallet = f"urn:epc:class:lgtin:4012345.033333.P{g}", f"urn:epc:id:sscc:4012345.{g:010d}"
        common = {
            "eventTime": t,
            "eventTimeZoneOffset": "+00:00",
            "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
            "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
        }
        group = [
            {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                **common,
                "quantityList": [{"epcClass": a, "quantity": 100, "uom": "KGM"}],
                "ilmd": {"cbvmda:lotNumber": f"A{g}", "cbvmda:itemExpirationDate": "2025-03-04"},
            },
            {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                **common,
                "quantityList": [{"epcClass": b, "quantity": 50, "uom": "KGM"}],
            },
            {
                "type": "TransformationEvent",
                "bizStep": "transforming",
                **common,
                "inputQuantityList": [
                    {"epcClass": a, "quantity": 100, "uom": "KGM"},
                    {"epcClass": b, "quantity": 50, "uom": "KGM"},
                ],
                "outputQuantityList": [{"epcClass": out, "quantity": 150, "uom": "KGM"}],
            },
            {
                "type": "AggregationEvent",
                "action": "ADD",
                "bizStep": "packing",
                **common,
                "parentID": pallet,
                "childQuantityList": [{"epcClass": out, "quantity": 150, "uom": "KGM"}],
            },
            {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                **common,
                "epcList": [pallet],
                "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0614141.00001.0"}],
            },
        ]
        for i, e in enumerate(group):
            if (g + i) % 2 == 0:
                e["eventID"] = f"urn:uuid:00000000-0000-4000-8000-{g * 5 + i:012d}"
        events += group
        g += 1
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T00:00:00Z",
        "epcisBody": {"eventList": events[:n]},
    }


def phases(body: bytes) -> tuple[float, float]:
    """The seconds of the schema and form checks, and of the mapping to commands (event hashes
    included), of one document on their own: the same code the request runs, no store."""
    doc = json.loads(body)
    t = time.perf_counter()
    V.check_document(doc)
    t_check = time.perf_counter() - t
    t = time.perf_counter()
    for e in S.events_of_document(doc):
        M.to_command(e, doc["@context"])
    return t_check, time.perf_counter() - t


async def capture(settings: Settings, bodies: list[bytes]) -> tuple[list[float], list[int], list[int], dict[str, Any]]:
    """Each document POSTed in turn to one app on one store: the seconds of each request, the
    resident set before it and its peak during it (bytes), and the store's check at the end."""
    seconds, before, peaks = [], [], []
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            headers=AUTH, transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
        ) as client:
            for body in bodies:
                before.append(_reset_peak())
                t = time.perf_counter()
                r = await client.post("/epcis/capture", content=body, headers={"content-type": "application/ld+json"})
                seconds.append(time.perf_counter() - t)
                peaks.append(_peak())
                assert r.status_code == 202, r.text[:500]
                job = (await client.get(r.headers["location"])).json()
                assert job["success"], job
            check = (await client.post("/graphql", json={"query": "{ check { ok eventCount itemCount } }"})).json()
    return seconds, before, peaks, check["data"]["check"]


async def run(n: int, documents: int, neo4j: dict[str, str] | None) -> None:
    groups = -(-n // 5)
    bodies = [json.dumps(generate(n, first_group=d * groups)).encode() for d in range(documents)]
    size = len(bodies[0])
    print(
        f"document: {n} events, {size / 1e6:.1f} MB" + (f"; {documents} successive documents" if documents > 1 else "")
    )
    t_check, t_map = phases(bodies[0])
    results: dict[str, tuple[list[float], list[int], list[int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        common = {"admin_key": ADMIN_KEY, "demo": False, "max_body_bytes": 256 * 1024 * 1024}
        stores = [("Ladybug", Settings(**common, data_dir=Path(tmp) / "ladybug", neo4j_uri=None))]
        if neo4j is not None:
            neo4j_settings = {
                "neo4j_uri": neo4j["TRACEGRAPH_NEO4J_URI"],
                "neo4j_user": neo4j["TRACEGRAPH_NEO4J_USER"],
                "neo4j_password": neo4j["TRACEGRAPH_NEO4J_PASSWORD"],
            }
            stores.append(("Neo4j", Settings(**common, data_dir=Path(tmp) / "neo4j", **neo4j_settings)))
        for name, settings in stores:
            if name == "Neo4j" and neo4j is not None:
                wipe_neo4j(neo4j)
            seconds, before, peaks, check = await capture(settings, bodies)
            results[name] = (seconds, before, peaks)
            print(f"\n{name}: store after the capture: {check}")
            expected = n * documents
            assert check["ok"] and check["eventCount"] == expected, (check, expected)
            for d, (s, b, p) in enumerate(zip(seconds, before, peaks, strict=True)):
                print(
                    f"{name:<7} document {d + 1}: {s:.2f} s, {n / s:,.0f} events/s ({n / s / AIM:.0%} of the aim of "
                    f"{AIM:,.0f}/s); resident set {b / 1e6:.0f} MB before, peak {p / 1e6:.0f} MB: grew "
                    f"{(p - b) / 1e6:.0f} MB, {(p - b) / size:.1f}x the document"
                )
            print(
                f"{name:<7} of the first: schema and form checks {t_check:.2f} s, mapping and event hashes "
                f"{t_map:.2f} s, the rest (JSON parse, aliases, ledger plan and write, job) "
                f"{seconds[0] - t_check - t_map:.2f} s"
            )
            if documents > 1:
                warm = f"; last/second {seconds[-1] / seconds[1]:.2f}x" if documents > 2 else ""
                print(
                    f"{name:<7} last/first: {seconds[-1]:.2f} / {seconds[0]:.2f} s = {seconds[-1] / seconds[0]:.2f}x "
                    f"(aim <= {AIM_GROWTH}x), on a store of {n * (documents - 1):,} events before the last{warm}",
                    flush=True,
                )
    table(results, n, size, t_check, t_map)


def table(
    results: dict[str, tuple[list[float], list[int], list[int]]], n: int, size: int, t_check: float, t_map: float
) -> None:
    names = list(results)
    rows: list[tuple[str, list[float], str]] = [
        ("first document: seconds", [r[0][0] for r in results.values()], ".2f"),
        (f"first document: events/s (aim {AIM:,.0f})", [n / r[0][0] for r in results.values()], ",.0f"),
        ("  the rest after checks and mapping: seconds", [r[0][0] - t_check - t_map for r in results.values()], ".2f"),
        ("  peak resident set grew: MB", [(r[2][0] - r[1][0]) / 1e6 for r in results.values()], ",.0f"),
        ("  ... x the document", [(r[2][0] - r[1][0]) / size for r in results.values()], ".1f"),
    ]
    docs = len(next(iter(results.values()))[0])
    if docs > 1:
        rows += [
            (f"document {docs}: seconds", [r[0][-1] for r in results.values()], ".2f"),
            (f"last/first (aim <= {AIM_GROWTH}x)", [r[0][-1] / r[0][0] for r in results.values()], ".2f"),
            (f"all {docs} documents: events/s", [n * docs / sum(r[0]) for r in results.values()], ",.0f"),
        ]
    if docs > 2:  # the first document is also the first use of every query (plans, caches): cold
        rows.append(("last/second (both warm)", [r[0][-1] / r[0][1] for r in results.values()], ".2f"))
    print(
        f"\n{'':<46} | "
        + " | ".join(f"{s:>9}" for s in names)
        + (f" | {'Neo4j/Ladybug':>13}" if len(names) == 2 else "")
    )
    for label, values, fmt in rows:
        line = f"{label:<46} | " + " | ".join(f"{v:>9{fmt}}" for v in values)
        if len(values) == 2 and values[0]:
            line += f" | {values[1] / values[0]:>13.2f}"
        print(line)
    if len(names) == 2:
        print(
            f"(schema and form checks {t_check:.2f} s and mapping {t_map:.2f} s of one document, measured on their "
            "own, are the same on both stores; the memory is this process's: Neo4j's own is in its JVM, not counted)"
        )


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> int:
    """The resident set now, its peak reset to it (Linux: /proc/self/clear_refs 5) so that each
    document's peak is its own, not an earlier one's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # the peak is then the process's since it started
    return _status("VmRSS")


def _peak() -> int:
    return _status("VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events per document")
    parser.add_argument(
        "--documents", type=int, default=1, help="successive documents of --events events captured into the same store"
    )
    parser.add_argument(
        "--neo4j",
        action="store_true",
        help="after Ladybug, the same capture into the Neo4j TRACEGRAPH_NEO4J_URI names (its graph wiped)",
    )
    args = parser.parse_args()
    if args.documents < 1:
        parser.error("--documents must be at least 1")
    asyncio.run(run(args.events, args.documents, neo4j_env(args.neo4j)))


if __name__ == "__main__":
    main()
