// Shelf life (services/shelf.py). Dated items come in (expires_at, id) order after a cursor:
// $from is already the larger of the range's start and the cursor's expiry; $until is '~'
// (after every time key) for an open range. Items without an expiry come after them, by id.
// Ladybug keeps no property index: the item table's columns are scanned in the engine; at one
// location, from the location's balances.
// name: expiry_all
MATCH (n:Item)
WHERE n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
RETURN n ORDER BY n.expires_at, n.id LIMIT $first
// name: expiry_of_material
MATCH (n:Item)
WHERE n.material_id = $material_id AND n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
RETURN n ORDER BY n.expires_at, n.id LIMIT $first
// name: expiry_at
// On hand at one location: from the location's balances, not from every item (the WITH keeps
// Ladybug from planning the filters first, a scan of every item: 65 ms against 4 at 100k lots).
MATCH (:Location {id: $location_id})<-[a:AT]-(n:Item)
WITH a, n
WHERE a.quantity > $tolerance AND ($material_id = '' OR a.material_id = $material_id)
WITH n
WHERE n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
RETURN n ORDER BY n.expires_at, n.id LIMIT $first
// name: undated_all
MATCH (n:Item)
WHERE n.id > $after_id AND n.expires_at IS NULL
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
RETURN n ORDER BY n.id LIMIT $first
// name: undated_of_material
MATCH (n:Item)
WHERE n.material_id = $material_id AND n.id > $after_id AND n.expires_at IS NULL
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
RETURN n ORDER BY n.id LIMIT $first
// name: undated_at
MATCH (:Location {id: $location_id})<-[a:AT]-(n:Item)
WITH a, n
WHERE a.quantity > $tolerance AND ($material_id = '' OR a.material_id = $material_id)
WITH n
WHERE n.id > $after_id AND n.expires_at IS NULL
  AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
RETURN n ORDER BY n.id LIMIT $first
// name: table_expiry_notice
CREATE NODE TABLE IF NOT EXISTS ExpiryNotice(id STRING, at STRING, PRIMARY KEY(id))
// name: get_expiry_notices
UNWIND $ids AS id MATCH (n:ExpiryNotice {id: id}) RETURN n.id AS id
// name: create_expiry_notice
CREATE (:ExpiryNotice {id: $id, at: $at})
