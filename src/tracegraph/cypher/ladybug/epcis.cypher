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
// name: create_aliases
UNWIND $rows AS r CREATE (:Alias {id: r.id, item_id: r.item_id})
// name: table_capture_job
CREATE NODE TABLE IF NOT EXISTS CaptureJob(id STRING, running BOOLEAN, success BOOLEAN, errors STRING, created_at STRING, finished_at STRING, event_count INT64, PRIMARY KEY(id))
// name: alter_capture_job_organization
ALTER TABLE CaptureJob ADD IF NOT EXISTS organization_id STRING
// name: table_alias
CREATE NODE TABLE IF NOT EXISTS Alias(id STRING, item_id STRING, PRIMARY KEY(id))
