// Reads of the Neo4j adapter: anti-joins are OPTIONAL MATCH ... IS NULL, times are
// fixed-width UTC ISO strings (no temporal values), nodes are returned as maps.
// A read of many rows returns them collected in one record, one column named `rows` (the
// adapter unpacks it): the driver's cost is per record, and a 1,000-row answer read as 1,000
// records took 2-4x as long as the same rows in one list.
// name: ping
RETURN 1 AS ok
// name: log_head
// The event log: its identity (set at start-up, init_counter) and its last sequence number.
OPTIONAL MATCH (c:Counter {id: 'event'})
RETURN coalesce(c.log, '') AS log, coalesce(c.value, 0) AS seq
// name: get_organizations
UNWIND $ids AS id MATCH (n:Organization {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_materials
UNWIND $ids AS id MATCH (n:Material {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_locations
UNWIND $ids AS id MATCH (n:Location {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_orders
UNWIND $ids AS id MATCH (n:`Order` {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_items
UNWIND $ids AS id MATCH (n:Item {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_shipments
UNWIND $ids AS id MATCH (n:Shipment {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: get_serial_keys
UNWIND $ids AS id MATCH (n:SerialKey {id: id}) RETURN collect({id: n.id, item_id: n.item_id}) AS rows
// name: get_events
UNWIND $ids AS id MATCH (e:Event {id: id}) RETURN collect({body: e.body, event_id: e.id}) AS rows
// name: reversed_events
UNWIND $ids AS id MATCH (:Event)-[:REVERSES]->(e:Event {id: id}) RETURN DISTINCT e.id AS id
// name: page_organizations
MATCH (n:Organization) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: page_materials
MATCH (n:Material) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: page_locations
MATCH (n:Location) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: page_orders
MATCH (n:`Order`) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: page_shipments
MATCH (n:Shipment) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: page_items
MATCH (n:Item)
WHERE n.id > $after AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND ($expires_from = '' OR n.expires_at >= $expires_from) AND ($expires_until = '' OR n.expires_at < $expires_until)
  AND ($lot_code = '' OR n.lot_code = $lot_code)
WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// Items of one material whose characteristics (compact JSON text) hold a search's needles: the
// candidates domain/characteristics.py `matches` judges (services: GraphStore.items_by_characteristic).
// name: page_items_by_characteristic
MATCH (n:Item)
WHERE n.material_id = $material_id AND n.id > $after
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND ($expires_from = '' OR n.expires_at >= $expires_from) AND ($expires_until = '' OR n.expires_at < $expires_until)
  AND ($lot_code = '' OR n.lot_code = $lot_code)
  AND n.characteristics CONTAINS $char_key
  AND ($char_eq = '' OR n.characteristics CONTAINS ($char_eq + ',') OR n.characteristics CONTAINS ($char_eq + '}'))
WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: balances_of_items
UNWIND $ids AS id
MATCH (i:Item {id: id})-[a:AT]->(l:Location)
RETURN collect({item_id: i.id, location_id: l.id, quantity: a.quantity, material_id: a.material_id,
  unit: a.unit, virtual: a.virtual, quantity2: coalesce(a.quantity2, 0.0)}) AS rows
// name: balances_page
// One page of balances in (item, location) order, every filter applied in the store.
MATCH (i:Item)-[a:AT]->(l:Location)
WHERE (size($location_ids) = 0 OR l.id IN $location_ids)
  AND (size($material_ids) = 0 OR a.material_id IN $material_ids)
  AND ($include_virtual OR NOT a.virtual) AND ($include_zero OR abs(a.quantity) > $tolerance)
  AND ($expires_from = '' OR i.expires_at >= $expires_from) AND ($expires_until = '' OR i.expires_at < $expires_until)
  AND (i.id > $after_item OR (i.id = $after_item AND l.id > $after_location))
WITH i, a, l ORDER BY i.id, l.id LIMIT $first
RETURN collect({item_id: i.id, location_id: l.id, quantity: a.quantity, material_id: a.material_id,
  unit: a.unit, virtual: a.virtual, quantity2: coalesce(a.quantity2, 0.0)}) AS rows
// name: stock_sums
// Non-zero balances of items of a known material at the locations of (location, root) pairs,
// summed per (root, material, item kind, unit), with how many distinct items hold them.
UNWIND $pairs AS p
MATCH (l:Location {id: p.location_id})<-[a:AT]-(i:Item)
WHERE a.material_id IS NOT NULL AND (size($material_ids) = 0 OR a.material_id IN $material_ids)
  AND ($include_virtual OR NOT a.virtual) AND abs(a.quantity) > $tolerance
WITH p.root AS root, a.material_id AS material_id, i.kind AS kind, a.unit AS unit,
  sum(a.quantity) AS quantity, sum(coalesce(a.quantity2, 0.0)) AS quantity2, count(DISTINCT i) AS items
RETURN collect({root: root, material_id: material_id, kind: kind, unit: unit, quantity: quantity,
  quantity2: quantity2, items: items}) AS rows
// name: stock_sums_of_materials
// The same sums for given materials, their balances found through the AT.material_id index
// (one material at a site of a thousand locations: 80 ms -> 6 ms at 100k lots).
MATCH (i:Item)-[a:AT]->(l:Location)
WHERE a.material_id IN $material_ids AND abs(a.quantity) > $tolerance AND ($include_virtual OR NOT a.virtual)
  AND l.id IN $location_ids
UNWIND $roots_of[l.id] AS root
WITH root, a.material_id AS material_id, i.kind AS kind, a.unit AS unit,
  sum(a.quantity) AS quantity, sum(coalesce(a.quantity2, 0.0)) AS quantity2, count(DISTINCT i) AS items
RETURN collect({root: root, material_id: material_id, kind: kind, unit: unit, quantity: quantity,
  quantity2: quantity2, items: items}) AS rows
// name: events_page
MATCH (e:Event)
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
WITH e ORDER BY e.seq LIMIT $first RETURN collect({seq: e.seq, body: e.body, event_id: e.id}) AS rows
// name: events_page_of_item
MATCH (e:Event)-[:TOUCHED]->(:Item {id: $item_id})
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
WITH e ORDER BY e.seq LIMIT $first RETURN collect({seq: e.seq, body: e.body, event_id: e.id}) AS rows
// name: events_of_items
// Which events touched each item, in commit order, without their bodies: the adapter reads
// the bodies of those it has not parsed yet (get_events), each once however many items it touched.
UNWIND $ids AS id
MATCH (e:Event)-[:TOUCHED]->(:Item {id: id})
WITH e, collect(id) AS items ORDER BY e.seq
RETURN collect({event_id: e.id, items: items}) AS rows
// name: neighbours_forward
UNWIND $ids AS id
MATCH (a:Item {id: id})-[r:FLOWS_TO]->(b:Item)
WHERE NOT r.voided
WITH DISTINCT a.id AS source, b.id AS target
RETURN collect({source: source, target: target}) AS rows
// name: neighbours_backward
UNWIND $ids AS id
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item {id: id})
WHERE NOT r.voided
WITH DISTINCT a.id AS source, b.id AS target
RETURN collect({source: source, target: target}) AS rows
// name: findings_page
MATCH (f:Finding) WHERE f.id > $after WITH f ORDER BY f.id LIMIT $first RETURN collect({f: f {.*}}) AS rows
// name: event_seqs
UNWIND $ids AS id
MATCH (e:Event {id: id})
RETURN collect({id: e.id, seq: e.seq}) AS rows
// name: max_seq
MATCH (e:Event) RETURN max(e.seq) AS value
// name: count_items
MATCH (i:Item) RETURN count(i) AS n
// name: count_locations
MATCH (l:Location) RETURN count(l) AS n
// name: count_events
MATCH (e:Event) RETURN count(e) AS n
// name: check_conservation
MATCH (i:Item)-[a:AT]->(:Location)
WITH i.id AS item_id, sum(a.quantity) AS total, sum(coalesce(a.quantity2, 0.0)) AS total2
WHERE abs(total) > $tolerance OR abs(total2) > $tolerance
RETURN item_id, total, total2 ORDER BY item_id
// name: check_item_material
MATCH (i:Item)
WHERE i.material_id IS NOT NULL
OPTIONAL MATCH (m:Material {id: i.material_id})
WITH i, m WHERE m IS NULL
RETURN 'item ' + i.id + ' names material ' + i.material_id + ', which does not exist' AS problem
// name: check_item_parent
MATCH (i:Item)
WHERE i.parent_id IS NOT NULL
OPTIONAL MATCH (p:Item {id: i.parent_id})
WITH i, p WHERE p IS NULL
RETURN 'item ' + i.id + ' names parent ' + i.parent_id + ', which does not exist' AS problem
// name: check_location_parent
MATCH (l:Location)
WHERE l.parent_id IS NOT NULL
OPTIONAL MATCH (p:Location {id: l.parent_id})
WITH l, p WHERE p IS NULL
RETURN 'location ' + l.id + ' names parent ' + l.parent_id + ', which does not exist' AS problem
// name: check_event_location
MATCH (e:Event)
WHERE e.location_id IS NOT NULL
OPTIONAL MATCH (l:Location {id: e.location_id})
WITH e, l WHERE l IS NULL
RETURN 'event ' + e.id + ' names location ' + e.location_id + ', which does not exist' AS problem
// name: check_link_event
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item)
OPTIONAL MATCH (e:Event {id: r.event_id})
WITH a, r, b, e WHERE e IS NULL
RETURN 'link ' + a.id + ' -> ' + b.id + ' names event ' + r.event_id + ', which does not exist' AS problem
// name: check_item_events
MATCH (i:Item)
OPTIONAL MATCH (e:Event)-[:TOUCHED]->(i)
WITH i, count(e) AS events WHERE events = 0
RETURN 'item ' + i.id + ' has no event' AS problem
// name: links_forward
// Every link out of each item, voided ones too (a trace as of a past time may need them).
UNWIND $ids AS id
MATCH (a:Item {id: id})-[r:FLOWS_TO]->(b:Item)
RETURN collect({source: a.id, target: b.id, kind: r.kind, quantity: r.quantity, event_id: r.event_id,
  event_time: r.event_time, recorded_at: r.recorded_at, voided: r.voided, voided_at: r.voided_at}) AS rows
// name: links_backward
UNWIND $ids AS id
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item {id: id})
RETURN collect({source: a.id, target: b.id, kind: r.kind, quantity: r.quantity, event_id: r.event_id,
  event_time: r.event_time, recorded_at: r.recorded_at, voided: r.voided, voided_at: r.voided_at}) AS rows
// name: get_recalls
UNWIND $ids AS id MATCH (r:Recall {id: id})
RETURN collect({body: r.body}) AS rows
// name: page_recalls
MATCH (r:Recall)
WHERE ($status = '' OR r.status = $status)
  AND ($after_time = '' OR r.opened_at < $after_time OR (r.opened_at = $after_time AND r.id < $after_id))
WITH r ORDER BY r.opened_at DESC, r.id DESC LIMIT $first
RETURN collect({body: r.body}) AS rows
// name: get_schema_version
MATCH (m:Meta {id: 'schema'}) RETURN m.version AS version
// The whole walk in one round trip: every item the roots reach (the roots too), each once, by
// the pruning breadth-first expand, then one hop out of each: the links the walk follows, as
// [source, target] pairs in one list (the depths and the walk's order are computed from them).
// name: walk_forward
UNWIND $ids AS id
MATCH (r:Item {id: id})
CALL (r) { MATCH (r)-[:FLOWS_TO*0.. {voided: false}]->(b:Item) RETURN DISTINCT b }
WITH DISTINCT b AS a
MATCH (a)-[x:FLOWS_TO]->(c:Item) WHERE NOT x.voided
WITH DISTINCT a.id AS source, c.id AS target
RETURN collect([source, target]) AS pairs
// name: walk_backward
UNWIND $ids AS id
MATCH (r:Item {id: id})
CALL (r) { MATCH (r)<-[:FLOWS_TO*0.. {voided: false}]-(b:Item) RETURN DISTINCT b }
WITH DISTINCT b AS a
MATCH (a)<-[x:FLOWS_TO]-(c:Item) WHERE NOT x.voided
WITH DISTINCT c.id AS source, a.id AS target
RETURN collect([source, target]) AS pairs
