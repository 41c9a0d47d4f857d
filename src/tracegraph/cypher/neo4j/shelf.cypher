// Shelf life (services/shelf.py). Dated items come in (expires_at, id) order after a cursor:
// $from is already the larger of the range's start and the cursor's expiry, so the range seeks
// the index item_expires_at (or item_material_expires_at); $until is '~' (after every time key)
// for an open range. Items without an expiry come after them, by id.
// name: expiry_all
MATCH (n:Item)
WHERE n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
WITH n ORDER BY n.expires_at, n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: expiry_of_material
MATCH (n:Item)
WHERE n.material_id = $material_id AND n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
WITH n ORDER BY n.expires_at, n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: expiry_at
// On hand at one location: from the location's balances, not from every item.
MATCH (:Location {id: $location_id})<-[a:AT]-(n:Item)
WHERE a.quantity > $tolerance AND n.expires_at >= $from AND n.expires_at < $until
  AND (n.expires_at > $after_exp OR (n.expires_at = $after_exp AND n.id > $after_id))
  AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
WITH n ORDER BY n.expires_at, n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: undated_all
MATCH (n:Item)
WHERE n.id > $after_id AND n.expires_at IS NULL
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
WITH n ORDER BY n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: undated_of_material
MATCH (n:Item)
WHERE n.material_id = $material_id AND n.id > $after_id AND n.expires_at IS NULL
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
  AND (NOT $on_hand OR EXISTS { MATCH (n)-[a:AT]->(:Location) WHERE a.quantity > $tolerance AND NOT a.virtual })
WITH n ORDER BY n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: undated_at
MATCH (:Location {id: $location_id})<-[a:AT]-(n:Item)
WHERE a.quantity > $tolerance AND n.id > $after_id AND n.expires_at IS NULL
  AND ($material_id = '' OR n.material_id = $material_id)
  AND ($kind = '' OR n.kind = $kind) AND ($status = '' OR n.status = $status)
WITH n ORDER BY n.id LIMIT $first
RETURN collect({n: n {.*}}) AS rows
// name: claim_expiry_notices
// Once ever per id, whichever instance comes first: MERGE on the unique id takes its lock, so
// a concurrent claim of the same id waits and then finds it made (by another token).
UNWIND $ids AS id
MERGE (n:ExpiryNotice {id: id})
ON CREATE SET n.at = $at, n.token = $token
WITH n WHERE n.token = $token
RETURN collect(n.id) AS rows
