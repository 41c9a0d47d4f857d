// Neo4j 5: one uniqueness constraint per node label keyed by id (each also an index),
// applied idempotently (IF NOT EXISTS) at start-up.
// name: constraint_organization_id
CREATE CONSTRAINT organization_id IF NOT EXISTS FOR (n:Organization) REQUIRE n.id IS UNIQUE
// name: constraint_material_id
CREATE CONSTRAINT material_id IF NOT EXISTS FOR (n:Material) REQUIRE n.id IS UNIQUE
// name: constraint_location_id
CREATE CONSTRAINT location_id IF NOT EXISTS FOR (n:Location) REQUIRE n.id IS UNIQUE
// name: constraint_order_id
CREATE CONSTRAINT order_id IF NOT EXISTS FOR (n:`Order`) REQUIRE n.id IS UNIQUE
// name: constraint_item_id
CREATE CONSTRAINT item_id IF NOT EXISTS FOR (n:Item) REQUIRE n.id IS UNIQUE
// name: constraint_serial_key_id
CREATE CONSTRAINT serial_key_id IF NOT EXISTS FOR (n:SerialKey) REQUIRE n.id IS UNIQUE
// name: constraint_shipment_id
CREATE CONSTRAINT shipment_id IF NOT EXISTS FOR (n:Shipment) REQUIRE n.id IS UNIQUE
// name: constraint_event_id
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE
// name: constraint_finding_id
CREATE CONSTRAINT finding_id IF NOT EXISTS FOR (n:Finding) REQUIRE n.id IS UNIQUE
// name: constraint_counter_id
CREATE CONSTRAINT counter_id IF NOT EXISTS FOR (n:Counter) REQUIRE n.id IS UNIQUE
// name: index_event_seq
CREATE INDEX event_seq IF NOT EXISTS FOR (n:Event) ON (n.seq)
// name: index_event_time
CREATE INDEX event_time IF NOT EXISTS FOR (n:Event) ON (n.event_time)
// name: constraint_recall_id
CREATE CONSTRAINT recall_id IF NOT EXISTS FOR (n:Recall) REQUIRE n.id IS UNIQUE
// name: constraint_meta_id
CREATE CONSTRAINT meta_id IF NOT EXISTS FOR (n:Meta) REQUIRE n.id IS UNIQUE
// Shelf life: items in expiry order (of one material, or of all), and the expiry notices
// announced once each to dashboards (services/shelf.py).
// name: index_item_expires_at
CREATE INDEX item_expires_at IF NOT EXISTS FOR (n:Item) ON (n.expires_at)
// name: index_item_material_expires_at
CREATE INDEX item_material_expires_at IF NOT EXISTS FOR (n:Item) ON (n.material_id, n.expires_at)
// Characteristic search: the items of one material (read.cypher page_items_by_characteristic).
// name: index_item_material_id
CREATE INDEX item_material_id IF NOT EXISTS FOR (n:Item) ON (n.material_id)
// name: constraint_expiry_notice_id
CREATE CONSTRAINT expiry_notice_id IF NOT EXISTS FOR (n:ExpiryNotice) REQUIRE n.id IS UNIQUE
// Stock totals of given materials: their balances found by material (read.cypher
// stock_sums_of_materials), not by reading every balance of every location a root covers.
// name: index_at_material_id
CREATE INDEX at_material_id IF NOT EXISTS FOR ()-[a:AT]-() ON (a.material_id)
