// Recall notices: one per recall and organization notified (its own items the recall reached).
// `body` holds the whole notice as JSON; the other properties are for lookups and order.
// name: constraint_recall_notice_id
CREATE CONSTRAINT recall_notice_id IF NOT EXISTS FOR (n:RecallNotice) REQUIRE n.id IS UNIQUE
// name: index_recall_notice_organization_id
CREATE INDEX recall_notice_organization_id IF NOT EXISTS FOR (n:RecallNotice) ON (n.organization_id)
// name: falkordb_index_recall_notice_id
CREATE INDEX FOR (n:RecallNotice) ON (n.id)
// name: falkordb_index_recall_notice_organization_id
CREATE INDEX FOR (n:RecallNotice) ON (n.organization_id)
// name: save_recall_notice
MERGE (n:RecallNotice {id: $id})
SET n.recall_id = $recall_id, n.organization_id = $organization_id, n.created_at = $created_at, n.body = $body
// name: get_recall_notices
// `body` is cut at $text_max characters; the adapter reads the rest of a longer one in pieces.
UNWIND $ids AS id MATCH (n:RecallNotice {id: id})
RETURN substring(n.body, 0, $text_max) AS body, size(n.body) AS body_size, n.id AS event_id
// name: page_recall_notices
// Newest first: by creation time, then id; of one organization, or of all ('').
MATCH (n:RecallNotice)
WHERE ($organization_id = '' OR n.organization_id = $organization_id)
  AND ($after_time = '' OR n.created_at < $after_time OR (n.created_at = $after_time AND n.id < $after_id))
RETURN substring(n.body, 0, $text_max) AS body, size(n.body) AS body_size, n.id AS event_id
ORDER BY n.created_at DESC, n.id DESC LIMIT $first
// name: falkordb_append_recall_notice_body
MATCH (n:RecallNotice {id: $id}) SET n.body = n.body + $piece
// name: falkordb_recall_notice_body_piece
MATCH (n:RecallNotice {id: $id}) RETURN substring(n.body, $start, $length) AS piece
// name: falkordb_recall_notice_body_whole
MATCH (n:RecallNotice {id: $id}) RETURN n.body AS piece
