"""The EPCIS door on every store: each GS1 example captured through the service and queried back."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tracegraph.gs1 import epcis_query as Q
from tracegraph.gs1.epcis_events import event_id
from tracegraph.services.epcis import Epcis, events_of_document
from tracegraph.services.ledger import Ledger
from tracegraph.store.port import Direction, GraphStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "epcis"))
from epcis_kit import example_paths, load  # noqa: E402

NAMES = [
    "Example_9.6.1-ObjectEvent.jsonld",
    "Example_9.6.3-AggregationEvent.jsonld",
    "Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
    "SensorDataExample1.jsonld",
    "ErrorDeclarationAndCorrectiveEvent.jsonld",
]


@pytest.mark.parametrize("name", NAMES)
async def test_an_example_is_captured_once_and_given_back_as_captured(store: GraphStore, name: str) -> None:
    document = load(next(p for p in example_paths() if p.name == name))
    epcis = Epcis(Ledger(store))
    result = await epcis.capture_document(document)
    assert result.job.success and (await store.capture(result.job.id)) == result.job
    await epcis.capture_document(document)  # again: stored once
    params, _, _, errors = Q.parse({})
    got, _, token = await epcis.query(params, 1000, None)
    assert errors == [] and token is None
    sent = events_of_document(document)
    assert len(got) == len({(event_id(e, document["@context"]), "errorDeclaration" in e) for e in sent})
    by_key = {(e["eventID"], "errorDeclaration" in e): e for e in got}
    for e in sent:
        back = by_key[(event_id(e, document["@context"]), "errorDeclaration" in e)]
        assert {k: v for k, v in back.items() if k != "recordTime"} == {**e, "eventID": back["eventID"]}


async def test_packing_links_child_to_parent_on_every_store(store: GraphStore) -> None:
    document = load(next(p for p in example_paths() if p.name == "Example_9.6.3-AggregationEvent.jsonld"))
    epcis = Epcis(Ledger(store))
    await epcis.capture_document(document)
    trace = await Ledger(store).trace("urn:epc:id:sgtin:0614141.107346.2017", Direction.FORWARD)
    assert trace.items == ["urn:epc:id:sscc:0614141.1234567890"]
