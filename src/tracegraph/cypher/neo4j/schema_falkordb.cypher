// The FalkorDB stand-in takes neither constraints nor IF NOT EXISTS: plain indexes, and
// the adapter creates only those `falkordb_indexes` does not list. No index on
// Event.event_time: FalkorDB 4.16.3 answers `s < $x` wrongly on an indexed string property
// (it returns strings that are greater), and events_page filters on `event_time < $until`.
// name: falkordb_index_organization_id
CREATE INDEX FOR (n:Organization) ON (n.id)
// name: falkordb_index_material_id
CREATE INDEX FOR (n:Material) ON (n.id)
// name: falkordb_index_location_id
CREATE INDEX FOR (n:Location) ON (n.id)
// name: falkordb_index_order_id
CREATE INDEX FOR (n:`Order`) ON (n.id)
// name: falkordb_index_item_id
CREATE INDEX FOR (n:Item) ON (n.id)
// name: falkordb_index_serial_key_id
CREATE INDEX FOR (n:SerialKey) ON (n.id)
// name: falkordb_index_shipment_id
CREATE INDEX FOR (n:Shipment) ON (n.id)
// name: falkordb_index_event_id
CREATE INDEX FOR (n:Event) ON (n.id)
// name: falkordb_index_finding_id
CREATE INDEX FOR (n:Finding) ON (n.id)
// name: falkordb_index_counter_id
CREATE INDEX FOR (n:Counter) ON (n.id)
// name: falkordb_index_event_seq
CREATE INDEX FOR (n:Event) ON (n.seq)
// name: falkordb_indexes
// The indexes that exist (FalkorDB's procedure), so a restart creates only missing ones.
CALL db.indexes() YIELD label, properties
RETURN label, properties
