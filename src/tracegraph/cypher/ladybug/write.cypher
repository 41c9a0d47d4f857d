// name: create_events
UNWIND $rows AS r
CREATE (:Event {id: r.id, seq: r.seq, type: r.type, source: r.source, event_time: r.event_time,
  recorded_at: r.recorded_at, location_id: r.location_id, order_id: r.order_id, shipment_id: r.shipment_id,
  partner_id: r.partner_id, biz_step: r.biz_step, disposition: r.disposition,
  organization_id: r.organization_id, reverses: r.reverses, body: r.body})
// name: create_items
UNWIND $rows AS r
CREATE (:Item {id: r.id, kind: r.kind, material_id: r.material_id, unit: r.unit, lot_code: r.lot_code,
  parent_id: r.parent_id, status: r.status, manufactured_at: r.manufactured_at, expires_at: r.expires_at,
  characteristics: r.characteristics, conversions: r.conversions, container_type: r.container_type,
  allowed_material_ids: r.allowed_material_ids, components: r.components, origin_known: r.origin_known, organization_id: r.organization_id, created_by_event: r.created_by_event,
  first_event_time: r.first_event_time})
// name: update_items
UNWIND $rows AS r
MATCH (i:Item {id: r.id})
SET i.status = r.status, i.characteristics = r.characteristics, i.first_event_time = r.first_event_time,
  i.components = r.components
// name: create_serial_keys
UNWIND $rows AS r
CREATE (:SerialKey {id: r.id, item_id: r.item_id})
// name: merge_locations
UNWIND $rows AS r
MERGE (l:Location {id: r.id})
ON CREATE SET l.name = r.name, l.kind = r.kind, l.parent_id = r.parent_id, l.virtual = r.virtual,
  l.partner_id = r.partner_id, l.organization_id = r.organization_id
// name: merge_shipments
UNWIND $rows AS r
MERGE (s:Shipment {id: r.id})
ON CREATE SET s.order_id = r.order_id, s.partner_id = r.partner_id, s.destination_id = r.destination_id,
  s.shipped_at = r.shipped_at, s.organization_id = r.organization_id
ON MATCH SET s.shipped_at = r.shipped_at
// name: create_balances
UNWIND $rows AS r
MATCH (i:Item {id: r.item_id})
WITH i, r
MATCH (l:Location {id: r.location_id})
CREATE (i)-[:AT {quantity: r.delta, material_id: r.material_id, unit: r.unit, virtual: r.virtual,
  quantity2: r.delta2}]->(l)
// name: update_balance
// One row per statement: Ladybug plans the UNWIND form as a scan of every balance at the
// location, and virtual locations hold a balance of almost every item.
MATCH (i:Item {id: $item_id})-[a:AT]->(l:Location {id: $location_id})
SET a.quantity = a.quantity + $delta
// name: update_balance_two_units
MATCH (i:Item {id: $item_id})-[a:AT]->(l:Location {id: $location_id})
SET a.quantity = a.quantity + $delta, a.quantity2 = coalesce(a.quantity2, 0.0) + $delta2
// name: create_links
UNWIND $rows AS r
MATCH (a:Item {id: r.source_id})
WITH a, r
MATCH (b:Item {id: r.target_id})
CREATE (a)-[:FLOWS_TO {kind: r.kind, quantity: r.quantity, event_id: r.event_id, event_time: r.event_time,
  recorded_at: r.recorded_at, voided: false}]->(b)
// name: touch
UNWIND $rows AS r
MATCH (e:Event {id: r.event_id})
WITH e, r
MATCH (i:Item {id: r.item_id})
CREATE (e)-[:TOUCHED]->(i)
// name: reverse
UNWIND $rows AS r
MATCH (c:Event {id: r.event_id})
WITH c, r
MATCH (e:Event {id: r.reversed_id})
CREATE (c)-[:REVERSES]->(e)
// name: void_links
UNWIND $rows AS r
MATCH (e:Event {id: r.reversed_id})-[:TOUCHED]->(:Item)-[l:FLOWS_TO]->(:Item)
WHERE l.event_id = r.reversed_id
SET l.voided = true, l.voided_at = r.voided_at
// name: create_findings
UNWIND $rows AS r
CREATE (:Finding {id: r.id, kind: r.kind, message: r.message, event_id: r.event_id, item_id: r.item_id,
  location_id: r.location_id, quantity: r.quantity, recorded_at: r.recorded_at})
// name: create_organization
CREATE (:Organization {id: $id, name: $name})
// name: create_material
CREATE (:Material {id: $id, name: $name, tracking: $tracking, base_unit: $base_unit, kind: $kind,
  shelf_life_days: $shelf_life_days, min_remaining_shelf_life_days: $min_remaining_shelf_life_days,
  expiry_warning_days: $expiry_warning_days, conversions: $conversions, second_unit: $second_unit,
  catch_weight: $catch_weight, characteristic_definitions: $characteristic_definitions,
  organization_id: $organization_id})
// name: update_material
MATCH (n:Material) WHERE n.id = $id
SET n.name = $name, n.tracking = $tracking, n.base_unit = $base_unit, n.kind = $kind,
  n.shelf_life_days = $shelf_life_days, n.min_remaining_shelf_life_days = $min_remaining_shelf_life_days,
  n.expiry_warning_days = $expiry_warning_days, n.conversions = $conversions, n.second_unit = $second_unit,
  n.catch_weight = $catch_weight, n.characteristic_definitions = $characteristic_definitions,
  n.organization_id = $organization_id
RETURN n.id AS id
// name: create_location
CREATE (:Location {id: $id, name: $name, kind: $kind, parent_id: $parent_id, virtual: $virtual,
  partner_id: $partner_id, organization_id: $organization_id})
// name: create_order
CREATE (:`Order` {id: $id, type: $type, partner_id: $partner_id, reference: $reference,
  organization_id: $organization_id})
// Single-row forms of the batch statements above. Ladybug spends a few milliseconds per UNWIND
// statement that matches nodes, growing with the tables; a handful of rows goes faster one
// parameterised statement at a time (measured: 0.1-0.2 ms each).
// name: create_events_row
CREATE (:Event {id: $id, seq: $seq, type: $type, source: $source, event_time: $event_time,
  recorded_at: $recorded_at, location_id: $location_id, order_id: $order_id, shipment_id: $shipment_id,
  partner_id: $partner_id, biz_step: $biz_step, disposition: $disposition,
  organization_id: $organization_id, reverses: $reverses, body: $body})
// name: create_items_row
CREATE (:Item {id: $id, kind: $kind, material_id: $material_id, unit: $unit, lot_code: $lot_code,
  parent_id: $parent_id, status: $status, manufactured_at: $manufactured_at, expires_at: $expires_at,
  characteristics: $characteristics, conversions: $conversions, container_type: $container_type,
  allowed_material_ids: $allowed_material_ids, components: $components, origin_known: $origin_known, organization_id: $organization_id, created_by_event: $created_by_event,
  first_event_time: $first_event_time})
// name: update_items_row
MATCH (i:Item {id: $id})
SET i.status = $status, i.characteristics = $characteristics, i.first_event_time = $first_event_time,
  i.components = $components
// name: create_balances_row
MATCH (i:Item {id: $item_id}), (l:Location {id: $location_id})
CREATE (i)-[:AT {quantity: $delta, material_id: $material_id, unit: $unit, virtual: $virtual,
  quantity2: $delta2}]->(l)
// name: create_links_row
MATCH (a:Item {id: $source_id}), (b:Item {id: $target_id})
CREATE (a)-[:FLOWS_TO {kind: $kind, quantity: $quantity, event_id: $event_id, event_time: $event_time,
  recorded_at: $recorded_at, voided: false}]->(b)
// name: touch_row
MATCH (e:Event {id: $event_id}), (i:Item {id: $item_id})
CREATE (e)-[:TOUCHED]->(i)
// name: merge_shipments_row
MERGE (s:Shipment {id: $id})
ON CREATE SET s.order_id = $order_id, s.partner_id = $partner_id, s.destination_id = $destination_id,
  s.shipped_at = $shipped_at, s.organization_id = $organization_id
ON MATCH SET s.shipped_at = $shipped_at
// name: save_recall
MERGE (r:Recall {id: $id})
SET r.status = $status, r.opened_at = $opened_at, r.mock = $mock, r.body = $body
// name: set_schema_version
MERGE (m:Meta {id: 'schema'}) SET m.version = $version
// The materials a container allows (a JSON list, or null: any), changed by its owner.
// name: set_allowed_materials
MATCH (i:Item) WHERE i.id = $id SET i.allowed_material_ids = $allowed_material_ids RETURN i.id AS id
