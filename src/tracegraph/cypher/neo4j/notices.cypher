// Recall notices: one per recall and organization notified (its own items the recall reached).
// `body` holds the whole notice as JSON; the other properties are for lookups and order.
// name: constraint_recall_notice_id
CREATE CONSTRAINT recall_notice_id IF NOT EXISTS FOR (n:RecallNotice) REQUIRE n.id IS UNIQUE
// name: index_recall_notice_organization_id
CREATE INDEX recall_notice_organization_id IF NOT EXISTS FOR (n:RecallNotice) ON (n.organization_id)
// name: save_recall_notice
MERGE (n:RecallNotice {id: $id})
SET n.recall_id = $recall_id, n.organization_id = $organization_id, n.created_at = $created_at, n.body = $body
// name: get_recall_notices
UNWIND $ids AS id MATCH (n:RecallNotice {id: id})
RETURN n.body AS body
// name: page_recall_notices
// Newest first: by creation time, then id; of one organization, or of all ('').
MATCH (n:RecallNotice)
WHERE ($organization_id = '' OR n.organization_id = $organization_id)
  AND ($after_time = '' OR n.created_at < $after_time OR (n.created_at = $after_time AND n.id < $after_id))
WITH n ORDER BY n.created_at DESC, n.id DESC LIMIT $first
RETURN n.body AS body
