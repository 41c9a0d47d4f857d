// Writes of the Neo4j adapter: one UNWIND statement per kind of change of a batch
// (rows from rows.write_rows, in rows.WRITE_ORDER), run in one write transaction.
// name: lock_ledger
// First statement of every event transaction: a write on the counter takes its lock, so
// writers queue here and plan on what the previous one committed.
MERGE (c:Counter {id: 'event'})
ON CREATE SET c.value = 0
SET c.lock = $token
RETURN c.value AS value
// name: allocate_seqs
MATCH (c:Counter {id: 'event'})
SET c.value = c.value + $count
RETURN c.value AS value
// name: init_counter
OPTIONAL MATCH (e:Event)
WITH max(e.seq) AS top
MERGE (c:Counter {id: 'event'})
ON CREATE SET c.value = coalesce(top, 0)
// The identity of the event log the counter numbers: instances on this database share it.
SET c.log = coalesce(c.log, randomUUID())
RETURN c.value AS value
// name: merge_locations
UNWIND $rows AS r
MERGE (l:Location {id: r.id})
ON CREATE SET l.name = r.name, l.kind = r.kind, l.parent_id = r.parent_id, l.virtual = r.virtual,
  l.partner_id = r.partner_id, l.organization_id = r.organization_id
// name: create_items
UNWIND $rows AS r
CREATE (i:Item {id: r.id})
SET i.kind = r.kind, i.material_id = r.material_id, i.unit = r.unit, i.lot_code = r.lot_code,
  i.parent_id = r.parent_id, i.status = r.status, i.manufactured_at = r.manufactured_at,
  i.expires_at = r.expires_at, i.characteristics = r.characteristics, i.conversions = r.conversions,
  i.container_type = r.container_type, i.allowed_material_ids = r.allowed_material_ids,
  i.components = r.components,
  i.origin_known = r.origin_known,
  i.organization_id = r.organization_id, i.created_by_event = r.created_by_event,
  i.first_event_time = r.first_event_time
// name: create_serial_keys
UNWIND $rows AS r
MERGE (s:SerialKey {id: r.id})
ON CREATE SET s.item_id = r.item_id
// name: update_items
UNWIND $rows AS r
MATCH (i:Item {id: r.id})
SET i.status = r.status, i.characteristics = r.characteristics, i.first_event_time = r.first_event_time,
  i.components = r.components
// name: create_events
UNWIND $rows AS r
CREATE (e:Event {id: r.id})
SET e.seq = r.seq, e.type = r.type, e.source = r.source, e.event_time = r.event_time,
  e.recorded_at = r.recorded_at, e.location_id = r.location_id, e.order_id = r.order_id,
  e.shipment_id = r.shipment_id, e.partner_id = r.partner_id, e.biz_step = r.biz_step,
  e.disposition = r.disposition, e.organization_id = r.organization_id, e.reverses = r.reverses,
  e.body = r.body
// name: create_balances
UNWIND $rows AS r
MATCH (i:Item {id: r.item_id})
MATCH (l:Location {id: r.location_id})
CREATE (i)-[:AT {quantity: r.delta, material_id: r.material_id, unit: r.unit, virtual: r.virtual,
  quantity2: r.delta2}]->(l)
// name: update_balances
UNWIND $rows AS r
MATCH (:Item {id: r.item_id})-[a:AT]->(:Location {id: r.location_id})
SET a.quantity = a.quantity + r.delta, a.quantity2 = coalesce(a.quantity2, 0.0) + r.delta2
// name: create_links
UNWIND $rows AS r
MATCH (a:Item {id: r.source_id})
MATCH (b:Item {id: r.target_id})
CREATE (a)-[:FLOWS_TO {kind: r.kind, quantity: r.quantity, event_id: r.event_id, event_time: r.event_time,
  recorded_at: r.recorded_at, voided: false}]->(b)
// name: touch
UNWIND $rows AS r
MATCH (e:Event {id: r.event_id})
MATCH (i:Item {id: r.item_id})
CREATE (e)-[:TOUCHED]->(i)
// name: reverse
UNWIND $rows AS r
MATCH (c:Event {id: r.event_id})
MATCH (e:Event {id: r.reversed_id})
CREATE (c)-[:REVERSES]->(e)
// name: void_links
UNWIND $rows AS r
MATCH (:Event {id: r.reversed_id})-[:TOUCHED]->(:Item)-[l:FLOWS_TO]->(:Item)
WHERE l.event_id = r.reversed_id
SET l.voided = true, l.voided_at = r.voided_at
// name: create_findings
UNWIND $rows AS r
CREATE (f:Finding {id: r.id})
SET f.kind = r.kind, f.message = r.message, f.event_id = r.event_id, f.item_id = r.item_id,
  f.location_id = r.location_id, f.quantity = r.quantity, f.recorded_at = r.recorded_at
// name: merge_shipments
UNWIND $rows AS r
MERGE (s:Shipment {id: r.id})
ON CREATE SET s.order_id = r.order_id, s.partner_id = r.partner_id, s.destination_id = r.destination_id,
  s.shipped_at = r.shipped_at, s.organization_id = r.organization_id
ON MATCH SET s.shipped_at = r.shipped_at
// name: create_organization
CREATE (n:Organization {id: $id})
SET n.name = $name
// name: create_material
CREATE (n:Material {id: $id})
SET n.name = $name, n.tracking = $tracking, n.base_unit = $base_unit, n.kind = $kind,
  n.shelf_life_days = $shelf_life_days, n.min_remaining_shelf_life_days = $min_remaining_shelf_life_days,
  n.expiry_warning_days = $expiry_warning_days, n.conversions = $conversions, n.second_unit = $second_unit,
  n.catch_weight = $catch_weight, n.characteristic_definitions = $characteristic_definitions,
  n.organization_id = $organization_id
// name: update_material
MATCH (n:Material {id: $id})
SET n.name = $name, n.tracking = $tracking, n.base_unit = $base_unit, n.kind = $kind,
  n.shelf_life_days = $shelf_life_days, n.min_remaining_shelf_life_days = $min_remaining_shelf_life_days,
  n.expiry_warning_days = $expiry_warning_days, n.conversions = $conversions, n.second_unit = $second_unit,
  n.catch_weight = $catch_weight, n.characteristic_definitions = $characteristic_definitions,
  n.organization_id = $organization_id
RETURN n.id AS id
// name: create_location
CREATE (n:Location {id: $id})
SET n.name = $name, n.kind = $kind, n.parent_id = $parent_id, n.virtual = $virtual,
  n.partner_id = $partner_id, n.organization_id = $organization_id
// name: create_order
CREATE (n:`Order` {id: $id})
SET n.type = $type, n.partner_id = $partner_id, n.reference = $reference,
  n.organization_id = $organization_id
// name: save_recall
MERGE (r:Recall {id: $id})
SET r.status = $status, r.opened_at = $opened_at, r.mock = $mock, r.body = $body
// name: set_schema_version
MERGE (m:Meta {id: 'schema'}) SET m.version = $version
// The materials a container allows (a JSON list, or null: any), changed by its owner.
// name: set_allowed_materials
MATCH (i:Item) WHERE i.id = $id SET i.allowed_material_ids = $allowed_material_ids RETURN i.id AS id
