"""The README's five-minute tour, run as written on a fresh embedded store with the demo data:
each GraphQL block of the tour and the EPCIS document its curl sends, in the README's order,
and what the text says they answer. (Every GraphQL block of the README and docs/ is also
validated against the schema and costed by tests/unit/test_query_cost.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import ADMIN_KEY, AUTH
from starlette.testclient import TestClient

from tracegraph.app import create_app
from tracegraph.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## A five-minute tour"


def tour() -> str:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"the README has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1]
    return section.split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", tour(), re.S)


def graphql_block(containing: str) -> str:
    found = [b for b in blocks("graphql") if containing in b]
    assert len(found) == 1, (containing, found)
    return found[0]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("tour"), demo=True))
    with TestClient(app, headers=AUTH) as c:  # runs the lifespan: the store opened, the demo loaded
        yield c


def run(client: TestClient, query: str, key: str = ADMIN_KEY) -> dict:
    r = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


def test_the_tour_has_its_snippets() -> None:
    assert len(blocks("graphql")) == 6 and len(blocks("sh")) == 2


def test_the_tour_runs_as_written(client: TestClient) -> None:
    # 1. A trace.
    trace = run(client, graphql_block('trace(id: "LOT-FLOUR-0001"'))["trace"]
    assert trace["count"] == 45
    names = {c["partner"]["name"]: 0.0 for c in trace["customers"]}
    for c in trace["customers"]:
        names[c["partner"]["name"]] += c["quantity"]
    assert names == {"FreshWay Markets": 252.0, "Corner Deli": 36.0}
    assert (
        len({s for c in trace["customers"] if c["partner"]["name"] == "FreshWay Markets" for s in c["shipmentIds"]})
        == 4
    )
    assert trace["massBalance"][0]["rootQuantity"] == 1000.0 and trace["massBalance"][0]["accounted"] == 1.0

    # 2. A mock recall.
    opened = run(client, graphql_block("openRecall"))["openRecall"]
    assert opened["errors"] == []
    stock = opened["recall"]["report"]["stock"]
    assert {"itemId": "LOT-FLOUR-0001", "locationId": "BKY/DRY/R-01", "quantity": 900.0, "unit": "KG"}.items() <= next(
        s for s in stock if s["itemId"] == "LOT-FLOUR-0001"
    ).items()
    assert opened["recall"]["report"]["deliveries"]
    fsma = client.get("/exports/fsma", params={"recallId": opened["recall"]["id"]})
    assert fsma.status_code == 200 and fsma.headers["content-type"].endswith("spreadsheetml.sheet")

    # 3. Recording an event: refused whole with a wrong value, then recorded.
    receive = graphql_block("receive(input:")
    wet = run(client, receive.replace("moisture_pct: 13.9", 'moisture_pct: "wet"'))["receive"]
    assert wet["event"] is None
    assert [(e["field"], e["code"]) for e in wet["errors"]] == [
        ("newItems[0].characteristics.moisture_pct", "INVALID_CHARACTERISTIC")
    ]
    received = run(client, receive)["receive"]
    assert received["errors"] == []
    assert received["event"]["moves"] == [
        {
            "itemId": "LOT-FLOUR-0100",
            "fromLocationId": "virtual:supplier",
            "toLocationId": "BKY/RECV",
            "quantity": 1000.0,
        }
    ]

    # 4. The EPCIS document of the curl, captured, queried back, and the lot it brought.
    curl = next(b for b in blocks("sh") if "/epcis/capture" in b)
    document = json.loads(re.search(r"-d '(.*?)'", curl, re.S).group(1))
    r = client.post("/epcis/capture", json=document)
    assert r.status_code == 202, r.text
    job = client.get(r.headers["location"]).json()
    assert job["success"] is True and job["errors"] == [] and job["eventCount"] == 1
    query = re.search(r'"http://127\.0\.0\.1:8000(/epcis/events\?[^"]+)"', curl).group(1)
    events = client.get(query).json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["bizStep"] for e in events] == ["receiving"]
    item = run(client, graphql_block("urn:epc:class:lgtin"))["item"]
    assert item["kind"] == "LOT" and item["events"] == [{"type": "RECEIVE", "source": "FACT"}]
    assert [(b["quantity"], b["unit"]) for b in item["onHand"]] == [(500.0, "KG")]

    # 5. A partner's key, and what it sees.
    created = run(client, graphql_block("createApiKey"))["createApiKey"]
    assert created["errors"] == [] and created["apiKey"]["organizationId"] == "ORG-FRESHWAY"
    partner = created["key"]
    upstream = run(client, graphql_block("LOT-BRIOCHE-240305-T01"), key=partner)["trace"]
    assert upstream == {"items": [], "hidden": [{"organizationId": "ORG-MERIDIAN", "count": 7}]}
    r = client.post(
        "/graphql",
        json={"query": graphql_block('trace(id: "LOT-FLOUR-0001"')},
        headers={"Authorization": f"Bearer {partner}"},
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_the_first_curl_of_the_tour_is_a_query_that_answers(client: TestClient) -> None:
    curl = next(b for b in blocks("sh") if "/graphql" in b)
    body = json.loads(re.search(r"-d '(.*?)'", curl, re.S).group(1))
    assert run(client, body["query"]) == {"viewer": {"role": "ADMIN", "admin": True}}
