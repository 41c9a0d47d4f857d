// Classifications (an item's status): master data with what stock in each may do.
// name: constraint_classification_id
CREATE CONSTRAINT classification_id IF NOT EXISTS FOR (n:Classification) REQUIRE n.id IS UNIQUE
// name: get_classifications
UNWIND $ids AS id MATCH (n:Classification {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: page_classifications
MATCH (n:Classification) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: create_classification
CREATE (n:Classification {id: $id})
SET n.name = $name, n.description = $description, n.may_issue = $may_issue, n.may_ship = $may_ship,
  n.may_pack = $may_pack, n.may_move = $may_move, n.may_split = $may_split, n.partner_id = $partner_id,
  n.organization_id = $organization_id
// name: update_classification
MATCH (n:Classification {id: $id})
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
