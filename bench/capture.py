"""EPCIS capture benchmark: a generated document captured on the embedded store.

One POST /epcis/capture of an EPCISDocument of `--events` events (default 10,000: lots
commissioned, transformed, packed into cases and pallets, shipped; half of them without an
eventID, so their CBV 2.0 hash is computed), through the ASGI app in this process (JSON
parse, schema and form checks, mapping, one ledger transaction), on a fresh Ladybug store.
Prints events per second, the time of each phase, and memory: how far the process's peak
resident set grew during the capture, next to the size of the document as text.

    .venv/bin/python bench/capture.py
    .venv/bin/python bench/capture.py --events 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tracegraph.app import create_app
from tracegraph.config import Settings
from tracegraph.gs1 import epcis_validate as V
from tracegraph.services import epcis as S

ADMIN_KEY = "tg_bench-admin-key"  # the admin key of the benchmark's own app
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}

AIM = 5000.0


def generate(n: int) -> dict[str, Any]:
    """Groups of 5 events: two lots commissioned, a transformation of both into a product lot,
    the product packed onto a pallet, the pallet shipped."""
    events: list[dict[str, Any]] = []
    g = 0
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


async def run(n: int) -> None:
    body = json.dumps(generate(n)).encode()
    print(f"document: {n} events, {len(body) / 1e6:.1f} MB")
    # Phases on their own (the same code the request runs), for where the time goes.
    doc = json.loads(body)
    t = time.perf_counter()
    V.check_document(doc)
    t_check = time.perf_counter() - t
    t = time.perf_counter()
    from tracegraph.gs1 import epcis_events as M

    for e in S.events_of_document(doc):
        M.to_command(e, doc["@context"])
    t_map = time.perf_counter() - t
    del doc
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(admin_key=ADMIN_KEY, data_dir=Path(tmp), demo=False, max_body_bytes=256 * 1024 * 1024)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                headers=AUTH, transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
            ) as client:
                rss_before = _rss()
                peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                t = time.perf_counter()
                r = await client.post("/epcis/capture", content=body, headers={"content-type": "application/ld+json"})
                elapsed = time.perf_counter() - t
                peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                assert r.status_code == 202, r.text[:500]
                job = (await client.get(r.headers["location"])).json()
                assert job["success"], job
                check = (await client.post("/graphql", json={"query": "{ check { ok eventCount itemCount } }"})).json()
                print(f"store: {check['data']['check']}")
    rate = n / elapsed
    print(f"capture: {elapsed:.2f} s, {rate:,.0f} events/s ({rate / AIM:.0%} of the aim of {AIM:,.0f}/s)")
    print(
        f"  of which schema and form checks {t_check:.2f} s, mapping and event hashes {t_map:.2f} s, "
        f"the rest (JSON parse, aliases, ledger plan and write, job) {elapsed - t_check - t_map:.2f} s"
    )
    grown = max(peak_after, peak_before) - rss_before
    print(
        f"memory: resident set {rss_before / 1e6:.0f} MB before the request, peak {peak_after / 1e6:.0f} MB: "
        f"grew {grown / 1e6:.0f} MB, {grown / len(body):.1f}x the document"
    )


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().events))


if __name__ == "__main__":
    main()
