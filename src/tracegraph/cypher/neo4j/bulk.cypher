// Reads of a bulk load (Neo4jStore.bulk_load): which of the events and items it would create
// exist already, so it refuses before its first write.
// name: bulk_existing_events
UNWIND $ids AS id
MATCH (e:Event {id: id})
RETURN e.id AS id
// name: bulk_existing_items
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN i.id AS id
