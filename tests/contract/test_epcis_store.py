"""What the EPCIS door keeps in the store: capture jobs and identifier aliases, on every store."""

from __future__ import annotations

from datetime import UTC, datetime

from tracegraph.store.port import CaptureJob, GraphStore


async def test_a_capture_job_is_kept_and_read_back(store: GraphStore) -> None:
    t = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    errors = [{"index": i, "eventID": f"urn:uuid:{i}", "field": "epcList[0]", "message": "x" * 200} for i in range(40)]
    job = CaptureJob(
        id="cap-1", running=False, success=False, created_at=t, finished_at=t, errors=errors, event_count=41
    )
    await store.save_capture(job)
    assert await store.capture("cap-1") == job
    assert await store.capture("cap-2") is None


async def test_an_alias_keeps_its_first_item(store: GraphStore) -> None:
    dl = "https://id.gs1.org/01/04012345111118/21/987"
    assert await store.aliases([dl]) == {}
    assert await store.add_aliases({dl: "urn:epc:id:sgtin:4012345.011111.987"}) == {
        dl: "urn:epc:id:sgtin:4012345.011111.987"
    }
    got = await store.add_aliases({dl: dl, "https://id.gs1.org/00/106141412345678908": "x"})
    assert got == {dl: "urn:epc:id:sgtin:4012345.011111.987", "https://id.gs1.org/00/106141412345678908": "x"}
    assert await store.aliases([dl, "nope"]) == {dl: "urn:epc:id:sgtin:4012345.011111.987"}


async def test_capture_jobs_and_aliases_are_listed_in_pages(store: GraphStore) -> None:
    t = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    for n in (3, 1, 2):
        await store.save_capture(
            CaptureJob(id=f"cap-{n}", running=False, success=True, created_at=t, event_count=n, organization_id="A")
        )
    first = await store.capture_page(None, 2)
    assert [j.id for j in first] == ["cap-1", "cap-2"] and first[0].organization_id == "A"
    assert [j.id for j in await store.capture_page("cap-2", 2)] == ["cap-3"]
    await store.add_aliases({"k-b": "item-b", "k-a": "item-a", "k-c": "item-c"})
    assert await store.alias_page(None, 2) == [("k-a", "item-a"), ("k-b", "item-b")]
    assert await store.alias_page("k-b", 5) == [("k-c", "item-c")]
