// Reads of the Neo4j adapter: anti-joins are OPTIONAL MATCH ... IS NULL, times are
// fixed-width UTC ISO strings (no temporal values), nodes are returned as maps.
// name: ping
RETURN 1 AS ok
// name: log_head
// The event log: its identity (set at start-up, init_counter) and its last sequence number.
OPTIONAL MATCH (c:Counter {id: 'event'})
RETURN coalesce(c.log, '') AS log, coalesce(c.value, 0) AS seq
// name: get_organizations
UNWIND $ids AS id MATCH (n:Organization {id: id}) RETURN n {.*} AS n
// name: get_materials
UNWIND $ids AS id MATCH (n:Material {id: id}) RETURN n {.*} AS n
// name: get_locations
UNWIND $ids AS id MATCH (n:Location {id: id}) RETURN n {.*} AS n
// name: get_orders
UNWIND $ids AS id MATCH (n:`Order` {id: id}) RETURN n {.*} AS n
// name: get_items
UNWIND $ids AS id MATCH (n:Item {id: id}) RETURN n {.*} AS n
// name: get_shipments
UNWIND $ids AS id MATCH (n:Shipment {id: id}) RETURN n {.*} AS n
// name: get_serial_keys
UNWIND $ids AS id MATCH (n:SerialKey {id: id}) RETURN n.id AS id, n.item_id AS item_id
// name: get_events
UNWIND $ids AS id MATCH (e:Event {id: id}) RETURN e.body AS body, e.id AS event_id
// name: reversed_events
UNWIND $ids AS id MATCH (:Event)-[:REVERSES]->(e:Event {id: id}) RETURN DISTINCT e.id AS id
// name: page_organizations
MATCH (n:Organization) WHERE n.id > $after RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: page_materials
MATCH (n:Material) WHERE n.id > $after RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: page_locations
MATCH (n:Location) WHERE n.id > $after RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: page_orders
MATCH (n:`Order`) WHERE n.id > $after RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: page_shipments
MATCH (n:Shipment) WHERE n.id > $after RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: page_items
MATCH (n:Item)
WHERE n.id > $after AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
RETURN n {.*} AS n ORDER BY n.id LIMIT $first
// name: balances_of_items
UNWIND $ids AS id
MATCH (i:Item {id: id})-[a:AT]->(l:Location)
RETURN i.id AS item_id, l.id AS location_id, a.quantity AS quantity, a.material_id AS material_id,
  a.unit AS unit, a.virtual AS virtual
// name: balances_page
// One page of balances in (item, location) order, every filter applied in the store.
MATCH (i:Item)-[a:AT]->(l:Location)
WHERE (size($location_ids) = 0 OR l.id IN $location_ids)
  AND (size($material_ids) = 0 OR a.material_id IN $material_ids)
  AND ($include_virtual OR NOT a.virtual) AND ($include_zero OR abs(a.quantity) > $tolerance)
  AND (i.id > $after_item OR (i.id = $after_item AND l.id > $after_location))
RETURN i.id AS item_id, l.id AS location_id, a.quantity AS quantity, a.material_id AS material_id,
  a.unit AS unit, a.virtual AS virtual
ORDER BY item_id, location_id LIMIT $first
// name: events_page
MATCH (e:Event)
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
RETURN e.seq AS seq, e.body AS body, e.id AS event_id ORDER BY e.seq LIMIT $first
// name: events_page_of_item
MATCH (e:Event)-[:TOUCHED]->(:Item {id: $item_id})
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
RETURN e.seq AS seq, e.body AS body, e.id AS event_id ORDER BY e.seq LIMIT $first
// name: events_of_items
UNWIND $ids AS id
MATCH (e:Event)-[:TOUCHED]->(:Item {id: id})
RETURN id AS item_id, e.seq AS seq, e.body AS body, e.id AS event_id ORDER BY e.seq
// name: neighbours_forward
UNWIND $ids AS id
MATCH (a:Item {id: id})-[r:FLOWS_TO]->(b:Item)
WHERE NOT r.voided
RETURN DISTINCT a.id AS source, b.id AS target
// name: neighbours_backward
UNWIND $ids AS id
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item {id: id})
WHERE NOT r.voided
RETURN DISTINCT a.id AS source, b.id AS target
// name: findings_page
MATCH (f:Finding) WHERE f.id > $after RETURN f {.*} AS f ORDER BY f.id LIMIT $first
// name: event_seqs
UNWIND $ids AS id
MATCH (e:Event {id: id})
RETURN e.id AS id, e.seq AS seq
// name: max_seq
MATCH (e:Event) RETURN max(e.seq) AS value
// name: count_items
MATCH (i:Item) RETURN count(i) AS n
// name: count_events
MATCH (e:Event) RETURN count(e) AS n
// name: check_conservation
MATCH (i:Item)-[a:AT]->(:Location)
WITH i.id AS item_id, sum(a.quantity) AS total
WHERE abs(total) > $tolerance
RETURN item_id, total ORDER BY item_id
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
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.quantity AS quantity, r.event_id AS event_id,
  r.event_time AS event_time, r.recorded_at AS recorded_at, r.voided AS voided, r.voided_at AS voided_at
// name: links_backward
UNWIND $ids AS id
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item {id: id})
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.quantity AS quantity, r.event_id AS event_id,
  r.event_time AS event_time, r.recorded_at AS recorded_at, r.voided AS voided, r.voided_at AS voided_at
// name: get_recalls
UNWIND $ids AS id MATCH (r:Recall {id: id})
RETURN r.body AS body
// name: page_recalls
MATCH (r:Recall)
WHERE ($status = '' OR r.status = $status)
  AND ($after_time = '' OR r.opened_at < $after_time OR (r.opened_at = $after_time AND r.id < $after_id))
RETURN r.body AS body
ORDER BY r.opened_at DESC, r.id DESC LIMIT $first
// name: get_schema_version
MATCH (m:Meta {id: 'schema'}) RETURN m.version AS version
// Everything reachable from the roots along lineage (or against it), each item once: a
// variable-length pattern with its relationship predicate inline and DISTINCT end nodes, which
// Neo4j runs as a pruning breadth-first expand (no path enumeration; cycles end it).
// name: reach_forward
UNWIND $ids AS id
MATCH (:Item {id: id})-[:FLOWS_TO*1.. {voided: false}]->(b:Item)
RETURN DISTINCT b.id AS id
// name: reach_backward
UNWIND $ids AS id
MATCH (:Item {id: id})<-[:FLOWS_TO*1.. {voided: false}]-(b:Item)
RETURN DISTINCT b.id AS id
