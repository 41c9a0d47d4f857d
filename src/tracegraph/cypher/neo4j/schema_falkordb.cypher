// The FalkorDB stand-in takes neither constraints nor IF NOT EXISTS: plain indexes, and
// the adapter ignores the error a second start gets for an index that exists.
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
// name: falkordb_index_event_time
CREATE INDEX FOR (n:Event) ON (n.event_time)
// name: falkordb_indexes
// The indexes that exist (FalkorDB's procedure), so a restart creates only missing ones.
CALL db.indexes() YIELD label, properties
RETURN label, properties
