// EPCIS: capture jobs, and aliases (a GS1 key's canonical Digital Link URI -> the item first
// captured under it, so a URN and its Digital Link name one item).
// name: create_capture_job
CREATE (:CaptureJob {id: $id, running: $running, success: $success, errors: $errors, created_at: $created_at,
  finished_at: $finished_at, event_count: $event_count, organization_id: $organization_id})
// name: get_capture_job
MATCH (n:CaptureJob {id: $id}) RETURN n
// name: page_capture_jobs
MATCH (n:CaptureJob) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: page_aliases
MATCH (n:Alias) WHERE n.id > $after RETURN n.id AS id, n.item_id AS item_id ORDER BY n.id LIMIT $first
// name: get_aliases
UNWIND $ids AS id MATCH (n:Alias {id: id}) RETURN n.id AS id, n.item_id AS item_id
// name: merge_aliases
UNWIND $rows AS r
MERGE (n:Alias {id: r.id})
ON CREATE SET n.item_id = r.item_id
RETURN n.id AS id, n.item_id AS item_id
// Schema, applied at start-up with the rest (schema.cypher).
// name: constraint_capture_job_id
CREATE CONSTRAINT capture_job_id IF NOT EXISTS FOR (n:CaptureJob) REQUIRE n.id IS UNIQUE
// name: constraint_alias_id
CREATE CONSTRAINT alias_id IF NOT EXISTS FOR (n:Alias) REQUIRE n.id IS UNIQUE
