// Classifications (an item's status): master data with what stock in each may do.
// name: table_classification
CREATE NODE TABLE IF NOT EXISTS Classification(id STRING, name STRING, description STRING, may_issue BOOLEAN, may_ship BOOLEAN, may_pack BOOLEAN, may_move BOOLEAN, may_split BOOLEAN, partner_id STRING, organization_id STRING, PRIMARY KEY(id))
// name: get_classifications
UNWIND $ids AS id MATCH (n:Classification {id: id}) RETURN n
// name: page_classifications
MATCH (n:Classification) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: create_classification
CREATE (:Classification {id: $id, name: $name, description: $description, may_issue: $may_issue,
  may_ship: $may_ship, may_pack: $may_pack, may_move: $may_move, may_split: $may_split,
  partner_id: $partner_id, organization_id: $organization_id})
// name: update_classification
MATCH (n:Classification) WHERE n.id = $id
SET n.name = $name, n.description = $description, n.may_issue = $may_issue, n.may_ship = $may_ship,
  n.may_pack = $may_pack, n.may_move = $may_move, n.may_split = $may_split, n.partner_id = $partner_id,
  n.organization_id = $organization_id
RETURN n.id AS id
// The built-in classifications, created with the store; one changed since is left as it is.
// name: merge_classifications
UNWIND $rows AS r
MERGE (n:Classification {id: r.id})
ON CREATE SET n.name = r.name, n.description = r.description, n.may_issue = r.may_issue,
  n.may_ship = r.may_ship, n.may_pack = r.may_pack, n.may_move = r.may_move, n.may_split = r.may_split,
  n.partner_id = r.partner_id, n.organization_id = r.organization_id
