"""Write-path cost: commands recorded per second now, against the same commands recorded by the
code of an earlier commit, in the same run on the same machine.

The inventory checks (shelf life, classifications' flags, containers' allowed materials, two
units, composition lists, characteristic definitions, batch actions) each add work to the write
path. Commands that use none of them must not pay for them: the aim is at most 10 % slower than
before them (issue 13). This benchmark measures exactly that:
  - the baseline's source (`--baseline`, by default the last commit before the inventory
    control work: 74c371c) is exported with `git archive` into a temporary directory;
  - each round runs one child process per version (`PYTHONPATH` pointing at that version's
    `src`, the same virtual environment, the same workload: bench/workload.py, plant-like
    receipts, productions, moves and shipments that name no expiry, no second unit, no list),
    each on a fresh embedded store: `--events` events loaded in batches of 500
    (Ledger.record_many), then `--singles` more recorded one by one (Ledger.record: one
    transaction each, the figure a command's cost shows in);
  - the versions alternate round by round, so a machine that slows down during the run slows
    both; the medians over `--rounds` are compared.

    .venv/bin/python bench/writes.py                   # 3 rounds, 20k events, 2k singles
    .venv/bin/python bench/writes.py --rounds 5 --baseline 74c371c
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "74c371c"  # Merge the Neo4j side of the ingest, capture and recall benchmarks
AIM_SLOWER = 0.10


async def child(events: int, singles: int) -> dict[str, float]:
    """One version's figures (run with PYTHONPATH at that version's src)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from workload import events as stream
    from workload import master_data

    from tracegraph.services.ledger import Ledger
    from tracegraph.store.ladybug import LadybugStore

    with tempfile.TemporaryDirectory(prefix="bench-writes-") as scratch:
        store = LadybugStore(Path(scratch) / "data")
        await store.open()
        ledger = Ledger(store)
        materials, locations = master_data()
        for m in materials:
            await ledger.create_material(m)
        for loc in locations:
            await ledger.create_location(loc)
        batch: list = []
        t = time.perf_counter()
        for cmd in stream(events, seed=7, prefix="B"):
            batch.append(cmd)
            if len(batch) == 500:
                await ledger.record_many(batch)
                batch = []
        if batch:
            await ledger.record_many(batch)
        batched = events / (time.perf_counter() - t)
        cmds = list(stream(singles, seed=8, prefix="S"))
        t = time.perf_counter()
        for cmd in cmds:
            await ledger.record(cmd)
        single = singles / (time.perf_counter() - t)
        await store.close()
    return {"batched": batched, "single": single}


def run_version(src: Path, events: int, singles: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--events", str(events), "--singles", str(singles)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def export(ref: str, into: Path) -> Path:
    """The `src` of commit `ref`, exported into `into`."""
    archive = into / "src.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), ref, "src"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit to compare with (default {BASELINE})")
    parser.add_argument("--events", type=int, default=20_000, help="events loaded in batches first (default 20k)")
    parser.add_argument("--singles", type=int, default=2_000, help="events then recorded one by one (default 2k)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each running both versions (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.events, args.singles))))
        return
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(
        f"tracegraph write-path benchmark: {os.cpu_count()} cores, {args.events:,} events in batches of 500, "
        f"then {args.singles:,} one by one; baseline {args.baseline} against this tree ({head.stdout.strip()}), "
        f"{args.rounds} rounds"
    )
    figures: dict[str, list[dict[str, float]]] = {"baseline": [], "now": []}
    with tempfile.TemporaryDirectory(prefix="bench-writes-baseline-") as scratch:
        versions = {"baseline": export(args.baseline, Path(scratch)), "now": ROOT / "src"}
        for n in range(args.rounds):
            for name in ("baseline", "now") if n % 2 == 0 else ("now", "baseline"):
                got = run_version(versions[name], args.events, args.singles)
                figures[name].append(got)
                print(f"  round {n + 1} {name:8}: {got['batched']:8.0f} ev/s batched, {got['single']:7.0f} ev/s single")
    print(f"\n  {'':22} {'baseline':>10} {'now':>10} {'now/baseline':>13}  aim (>= {1 - AIM_SLOWER:.2f})")
    for key, label in (("batched", "batched, ev/s"), ("single", "one by one, ev/s")):
        base = statistics.median(f[key] for f in figures["baseline"])
        now = statistics.median(f[key] for f in figures["now"])
        verdict = "met" if now >= (1 - AIM_SLOWER) * base else "NOT met"
        print(f"  {label:22} {base:10.0f} {now:10.0f} {now / base:13.2f}  {verdict}")


if __name__ == "__main__":
    main()
