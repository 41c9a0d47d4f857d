// name: create_event
CREATE (:Event {id: $id, seq: $seq, type: $type, source: $source, event_time: $event_time,
  recorded_at: $recorded_at, location_id: $location_id, order_id: $order_id, shipment_id: $shipment_id,
  partner_id: $partner_id, biz_step: $biz_step, disposition: $disposition,
  organization_id: $organization_id, reverses: $reverses, body: $body})
// name: create_item
CREATE (:Item {id: $id, kind: $kind, material_id: $material_id, unit: $unit, lot_code: $lot_code,
  parent_id: $parent_id, status: $status, manufactured_at: $manufactured_at, expires_at: $expires_at,
  characteristics: $characteristics, conversions: $conversions, container_type: $container_type,
  origin_known: $origin_known, organization_id: $organization_id, created_by_event: $created_by_event,
  first_event_time: $first_event_time})
// name: update_item
MATCH (i:Item {id: $id})
SET i.status = $status, i.characteristics = $characteristics, i.first_event_time = $first_event_time
// name: create_serial_key
CREATE (:SerialKey {id: $id, item_id: $item_id})
// name: create_organization
CREATE (:Organization {id: $id, name: $name})
// name: create_material
CREATE (:Material {id: $id, name: $name, tracking: $tracking, base_unit: $base_unit, kind: $kind,
  shelf_life_days: $shelf_life_days, conversions: $conversions, organization_id: $organization_id})
// name: create_location
CREATE (:Location {id: $id, name: $name, kind: $kind, parent_id: $parent_id, virtual: $virtual,
  partner_id: $partner_id, organization_id: $organization_id})
// name: merge_location
MERGE (l:Location {id: $id})
ON CREATE SET l.name = $name, l.kind = $kind, l.parent_id = $parent_id, l.virtual = $virtual,
  l.partner_id = $partner_id, l.organization_id = $organization_id
// name: create_order
CREATE (:`Order` {id: $id, type: $type, partner_id: $partner_id, reference: $reference,
  organization_id: $organization_id})
// name: merge_shipment
MERGE (s:Shipment {id: $id})
ON CREATE SET s.order_id = $order_id, s.partner_id = $partner_id, s.destination_id = $destination_id,
  s.shipped_at = $shipped_at, s.organization_id = $organization_id
ON MATCH SET s.shipped_at = $shipped_at
// name: add_balance
MATCH (i:Item {id: $item_id}), (l:Location {id: $location_id})
MERGE (i)-[a:AT]->(l)
ON CREATE SET a.quantity = $delta, a.material_id = $material_id, a.unit = $unit, a.virtual = $virtual
ON MATCH SET a.quantity = a.quantity + $delta
// name: create_link
MATCH (a:Item {id: $source_id}), (b:Item {id: $target_id})
CREATE (a)-[:FLOWS_TO {kind: $kind, quantity: $quantity, event_id: $event_id, event_time: $event_time,
  voided: false}]->(b)
// name: touch
MATCH (e:Event {id: $event_id}), (i:Item {id: $item_id})
CREATE (e)-[:TOUCHED]->(i)
// name: reverse
MATCH (c:Event {id: $event_id}), (e:Event {id: $reversed_id})
CREATE (c)-[:REVERSES]->(e)
// name: void_links
MATCH (e:Event {id: $reversed_id})-[:TOUCHED]->(:Item)-[r:FLOWS_TO]->(:Item)
WHERE r.event_id = $reversed_id
SET r.voided = true
// name: create_finding
CREATE (:Finding {id: $id, kind: $kind, message: $message, event_id: $event_id, item_id: $item_id,
  location_id: $location_id, quantity: $quantity, recorded_at: $recorded_at})
