// name: ping
RETURN 1 AS ok
// name: get_organizations
UNWIND $ids AS id MATCH (n:Organization {id: id}) RETURN n
// name: get_materials
UNWIND $ids AS id MATCH (n:Material {id: id}) RETURN n
// name: get_locations
UNWIND $ids AS id MATCH (n:Location {id: id}) RETURN n
// name: get_orders
UNWIND $ids AS id MATCH (n:`Order` {id: id}) RETURN n
// name: get_items
UNWIND $ids AS id MATCH (n:Item {id: id}) RETURN n
// name: get_shipments
UNWIND $ids AS id MATCH (n:Shipment {id: id}) RETURN n
// name: get_serial_keys
UNWIND $ids AS id MATCH (n:SerialKey {id: id}) RETURN n.id AS id, n.item_id AS item_id
// name: get_events
UNWIND $ids AS id MATCH (e:Event {id: id}) RETURN e.id AS event_id, e.body AS body
// name: reversed_events
// One id per statement, as every read below that follows a relationship from given nodes:
// Ladybug plans `UNWIND $ids ... MATCH (n {id: id})-[r]->()` as a join over a scan of the whole
// relationship table (44 ms for 200 ids on a 100k-lot store), one id at a time as an index
// lookup (0.03 ms each). The adapter runs them in a loop on its thread.
MATCH (:Event)-[:REVERSES]->(e:Event {id: $id}) RETURN e.id AS id
// name: page_organizations
MATCH (n:Organization) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_materials
MATCH (n:Material) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_locations
MATCH (n:Location) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_orders
MATCH (n:`Order`) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_shipments
MATCH (n:Shipment) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_items
MATCH (n:Item)
WHERE n.id > $after AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND ($expires_from = '' OR n.expires_at >= $expires_from) AND ($expires_until = '' OR n.expires_at < $expires_until)
  AND ($lot_code = '' OR n.lot_code = $lot_code)
RETURN n ORDER BY n.id LIMIT $first
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
RETURN n ORDER BY n.id LIMIT $first
// name: all_balances
// Every balance, for the store's in-memory index (store/linkindex.py).
MATCH (i:Item)-[a:AT]->(l:Location)
RETURN i.id AS item_id, l.id AS location_id, a.quantity AS quantity, a.material_id AS material_id,
  a.unit AS unit, a.virtual AS virtual, coalesce(a.quantity2, 0.0) AS quantity2, i.kind AS kind
// name: balances_page
// One page of balances in (item, location) order, every filter applied in the store.
MATCH (i:Item)-[a:AT]->(l:Location)
WHERE (size($location_ids) = 0 OR l.id IN $location_ids)
  AND (size($material_ids) = 0 OR a.material_id IN $material_ids)
  AND ($include_virtual OR NOT a.virtual) AND ($include_zero OR abs(a.quantity) > $tolerance)
  AND ($expires_from = '' OR i.expires_at >= $expires_from) AND ($expires_until = '' OR i.expires_at < $expires_until)
  AND (i.id > $after_item OR (i.id = $after_item AND l.id > $after_location))
RETURN i.id AS item_id, l.id AS location_id, a.quantity AS quantity, a.material_id AS material_id,
  a.unit AS unit, a.virtual AS virtual, coalesce(a.quantity2, 0.0) AS quantity2
ORDER BY item_id, location_id LIMIT $first
// name: stock_sums
// Non-zero balances of items of a known material at the locations of (location, root) pairs,
// summed per (root, material, item kind, unit), with how many distinct items hold them.
UNWIND $pairs AS p
MATCH (i:Item)-[a:AT]->(l:Location)
WHERE l.id = p.location_id AND a.material_id IS NOT NULL
  AND (size($material_ids) = 0 OR a.material_id IN $material_ids)
  AND ($include_virtual OR NOT a.virtual) AND abs(a.quantity) > $tolerance
RETURN p.root AS root, a.material_id AS material_id, i.kind AS kind, a.unit AS unit,
  sum(a.quantity) AS quantity, sum(coalesce(a.quantity2, 0.0)) AS quantity2, count(DISTINCT i.id) AS items
// name: events_page
MATCH (e:Event)
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
RETURN e.seq AS seq, e.id AS event_id, e.body AS body ORDER BY e.seq LIMIT $first
// name: events_page_of_item
MATCH (e:Event)-[:TOUCHED]->(:Item {id: $item_id})
WHERE e.seq > $after AND (size($types) = 0 OR e.type IN $types)
  AND ($location_id = '' OR e.location_id = $location_id) AND ($order_id = '' OR e.order_id = $order_id)
  AND ($shipment_id = '' OR e.shipment_id = $shipment_id) AND ($source = '' OR e.source = $source)
  AND ($since = '' OR e.event_time >= $since) AND ($until = '' OR e.event_time < $until)
RETURN e.seq AS seq, e.id AS event_id, e.body AS body ORDER BY e.seq LIMIT $first
// name: all_touched
// Which events touched which items, in commit order, for the store's in-memory index.
MATCH (e:Event)-[:TOUCHED]->(i:Item) RETURN e.id AS event_id, i.id AS item_id ORDER BY e.seq
// name: findings_page
MATCH (f:Finding) WHERE f.id > $after RETURN f ORDER BY f.id LIMIT $first
// name: event_seqs
UNWIND $ids AS id
MATCH (e:Event {id: id})
RETURN e.id AS id, e.seq AS seq
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
WHERE i.material_id IS NOT NULL AND NOT EXISTS { MATCH (m:Material) WHERE m.id = i.material_id }
RETURN 'item ' + i.id + ' names material ' + i.material_id + ', which does not exist' AS problem
// name: check_item_parent
MATCH (i:Item)
WHERE i.parent_id IS NOT NULL AND NOT EXISTS { MATCH (p:Item) WHERE p.id = i.parent_id }
RETURN 'item ' + i.id + ' names parent ' + i.parent_id + ', which does not exist' AS problem
// name: check_location_parent
MATCH (l:Location)
WHERE l.parent_id IS NOT NULL AND NOT EXISTS { MATCH (p:Location) WHERE p.id = l.parent_id }
RETURN 'location ' + l.id + ' names parent ' + l.parent_id + ', which does not exist' AS problem
// name: check_event_location
MATCH (e:Event)
WHERE e.location_id IS NOT NULL AND NOT EXISTS { MATCH (l:Location) WHERE l.id = e.location_id }
RETURN 'event ' + e.id + ' names location ' + e.location_id + ', which does not exist' AS problem
// name: check_link_event
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item)
WHERE NOT EXISTS { MATCH (e:Event) WHERE e.id = r.event_id }
RETURN 'link ' + a.id + ' -> ' + b.id + ' names event ' + r.event_id + ', which does not exist' AS problem
// name: check_item_events
MATCH (i:Item)
WHERE NOT EXISTS { MATCH (:Event)-[:TOUCHED]->(i) }
RETURN 'item ' + i.id + ' has no event' AS problem
// name: all_links
// Every link, voided ones too, for the store's in-memory index (store/linkindex.py).
MATCH (a:Item)-[r:FLOWS_TO]->(b:Item)
RETURN a.id AS source, b.id AS target, r.kind AS kind, r.quantity AS quantity, r.event_id AS event_id,
  r.event_time AS event_time, r.recorded_at AS recorded_at, r.voided AS voided, r.voided_at AS voided_at
// name: get_recalls
UNWIND $ids AS id MATCH (r:Recall {id: id}) RETURN r.body AS body
// name: page_recalls
// Newest first: ordered by opening time, then id; `after` is the last (opened_at, id) seen.
MATCH (r:Recall)
WHERE ($status = '' OR r.status = $status)
  AND ($after_time = '' OR r.opened_at < $after_time OR (r.opened_at = $after_time AND r.id < $after_id))
RETURN r.body AS body ORDER BY r.opened_at DESC, r.id DESC LIMIT $first
// name: get_schema_version
MATCH (m:Meta {id: 'schema'}) RETURN m.version AS version
