"""Moving a whole ledger from one store to another (the embedded store to Neo4j, when a plant
outgrows it): `tracegraph move`.

Master data, keys, shares, recalls and their notices and the audit log are copied as they are;
the events are replayed in commit order through the bulk path, each with its own source and
recording time, so the items, balances, links, findings and shipments they wrote come out as
the source store has them. A page of events is one transaction of the target: an interrupted
move is run again and goes on after the last page written. At the end it is verified: the
integrity check passes on both stores, the counts of items and events are equal, and the trace
of a sample of items is the same both ways on both.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..domain.bulk import BulkPlanner
from ..domain.errors import DomainError
from ..domain.events import EventRecord
from ..domain.ledger import batch_keys
from ..domain.query import Direction, EventFilter, ItemFilter, MasterKind, ReadKind
from ..store.port import GraphStore

PAGE = 5_000
SAMPLE = 50


@dataclass
class MoveReport:
    events: int = 0  # recorded into the target by this run
    skipped: int = 0  # found there already (an earlier, interrupted run)
    master: dict[str, int] = field(default_factory=dict)  # copied, by kind
    verified: bool = False
    problems: list[str] = field(default_factory=list)


async def _all(store: GraphStore, kind: ReadKind) -> list[Any]:
    out: list[Any] = []
    after: str | None = None
    while page := await store.page(kind, after, 1000):
        out += page
        after = out[-1].id
        if len(page) < 1000:
            break
    return out


def _parents_first(locations: list[Any]) -> list[Any]:
    """Locations in an order where each comes after its parent (the tree: site → area → shelf)."""
    by_id = {x.id: x for x in locations}

    def depth(x: Any, seen: frozenset[str] = frozenset()) -> int:
        parent = by_id.get(x.parent_id) if x.parent_id else None
        return 0 if parent is None or x.id in seen else 1 + depth(parent, seen | {x.id})

    return sorted(locations, key=lambda x: (depth(x), x.id))


async def _copy_master(source: GraphStore, target: GraphStore, report: MoveReport) -> None:
    kinds: tuple[MasterKind, ...] = (
        "Organization",
        "Material",
        "Location",
        "Order",
        "Classification",
        "CompositionList",
        "ActionType",
    )
    for kind in kinds:
        models = await _all(source, kind)
        if kind == "Location":
            models = _parents_first(models)
        known = await target.get(kind, [m.id for m in models]) if models else {}
        todo = [m for m in models if m.id not in known]
        for model in todo:
            await target.create(kind, model)
        if kind in ("Classification", "ActionType"):  # the built-ins exist on both: the target takes the source's
            changed = [m for m in models if m.id in known and known[m.id] != m]
            for model in changed:
                await target.update(kind, model)
            todo += changed
        report.master[kind] = len(todo)


async def _copy_cases(source: GraphStore, target: GraphStore, report: MoveReport) -> None:
    """Keys, shares, recalls, notices and the audit log: saving each again is idempotent."""
    orgs = [o.id for o in await _all(source, "Organization")]
    keys = [k for org in [None, *orgs] for k in await source.api_keys(org)]
    have = {k.id for org in [None, *orgs] for k in await target.api_keys(org)}
    for key in keys:
        if key.id not in have:
            await target.save_api_key(key)
    report.master["ApiKey"] = len(keys)
    shares = [s for org in orgs for s in await source.shares_with(org)]
    for share in shares:
        await target.save_share(share)
    report.master["Share"] = len(shares)
    recalls, last = 0, None
    while page := await source.recall_page(last, 500):
        for recall in page:
            await target.save_recall(recall)
        recalls += len(page)
        last = page[-1]
    report.master["Recall"] = recalls
    notices, last_notice = 0, None
    while notice_page := await source.recall_notice_page(None, last_notice, 500):
        for notice in notice_page:
            await target.save_recall_notice(notice)
        notices += len(notice_page)
        last_notice = notice_page[-1]
    report.master["RecallNotice"] = notices
    jobs, after_job = 0, None
    while job_page := await source.capture_page(after_job, 1000):
        for job in job_page:
            if await target.capture(job.id) is None:  # saving a job twice is refused
                await target.save_capture(job)
                jobs += 1
        after_job = job_page[-1].id
    report.master["CaptureJob"] = jobs
    aliases, after_key = 0, None
    while alias_page := await source.alias_page(after_key, 5000):
        await target.add_aliases(dict(alias_page))  # a key taken keeps its item: idempotent
        aliases += len(alias_page)
        after_key = alias_page[-1][0]
    report.master["Alias"] = aliases
    entries, after_id = 0, None
    target_last = await _last_audit_id(target)
    while audit := await source.audit_page(None, after_id, 1000):
        for entry in audit:
            if target_last is None or entry.id > target_last:
                await target.append_audit(entry)
                entries += 1
        after_id = audit[-1].id
    report.master["AuditEntry"] = entries


async def _copy_container_lists(source: GraphStore, target: GraphStore) -> None:
    """The materials each container allows: set by `setAllowedMaterials` after the container was
    made (no event carries the change), so copied once its events are replayed."""
    after: str | None = None
    while page := await source.page("Item", after, 1000, ItemFilter(kind="CONTAINER")):
        after = page[-1].id  # type: ignore[attr-defined]
        moved = await target.get("Item", [x.id for x in page])  # type: ignore[attr-defined]
        for x in page:
            wanted = getattr(x, "allowed_material_ids", None)
            if x.id in moved and getattr(moved[x.id], "allowed_material_ids", None) != wanted:  # type: ignore[attr-defined]
                await target.set_allowed_materials(x.id, wanted)  # type: ignore[attr-defined]
        if len(page) < 1000:
            break


async def _last_audit_id(store: GraphStore) -> str | None:
    last, after = None, None
    while page := await store.audit_page(None, after, 5000):
        last = after = page[-1].id
    return last


async def _replay(
    source: GraphStore, target: GraphStore, report: MoveReport, page_size: int, on_page: Callable[[int], Any] | None
) -> None:
    seq: int | None = None
    while page := await source.events(EventFilter(), seq, page_size):
        seq = page[-1][0]
        records: list[EventRecord] = [r for _, r in page]
        present = set(await target.events_by_id([r.id for r in records]))
        todo = [r for r in records if r.id not in present]
        report.skipped += len(records) - len(todo)
        if todo:
            cmds = [r.command for r in todo]
            outside = sorted({c.reverses for c in cmds if c.reverses} - {r.id for r in todo})
            reversed_events = await target.events_by_id(outside) if outside else {}
            state = await target.load_state(batch_keys(cmds, reversed_events))
            planner = BulkPlanner(state, keep_events={c.reverses for c in cmds if c.reverses})
            entries = [planner.plan(r.command, source=r.source, now=r.recorded_at) for r in todo]
            await target.bulk_load(iter(entries), state)
            report.events += len(todo)
        if on_page is not None:
            on_page(report.events + report.skipped)


async def _verify(source: GraphStore, target: GraphStore, report: MoveReport, seed: int) -> None:
    a, b = await source.integrity(), await target.integrity()
    for name, r in (("source", a), ("target", b)):
        if not r.ok:
            report.problems.append(
                f"the {name} store's check fails: {len(r.imbalances)} imbalances, {len(r.dangling)} dangling references"
            )
    if (a.items, a.events) != (b.items, b.events):
        report.problems.append(
            f"counts differ: source {a.items} items, {a.events} events; target {b.items} items, {b.events} events"
        )
    ids = [i.id for i in await _all(source, "Item")]
    for item in random.Random(seed).sample(ids, min(SAMPLE, len(ids))):
        for direction in Direction:
            x, y = await source.walk([item], direction), await target.walk([item], direction)
            if set(x.reached) != set(y.reached):
                report.problems.append(f"the {direction.value} trace of {item} differs")
    report.verified = not report.problems


async def move_ledger(
    source: GraphStore,
    target: GraphStore,
    page_size: int = PAGE,
    on_page: Callable[[int], Any] | None = None,
    seed: int = 0,
) -> MoveReport:
    """Move everything `source` holds into `target` (both open; no other writer on either),
    then verify. Run again after an interruption: what is there already is skipped."""
    report = MoveReport()
    try:
        await _copy_master(source, target, report)
        await _replay(source, target, report, page_size, on_page)
        await _copy_container_lists(source, target)
        await _copy_cases(source, target, report)
    except DomainError as e:
        report.problems += [p.message for p in e.problems]
        return report
    await _verify(source, target, report, seed)
    return report
