// Action types (batch actions: print job, sieve, blend...): master data with the parameters an
// action of each carries (a JSON list) and whether it uses the material up (reuse counting).
// name: constraint_action_type_id
CREATE CONSTRAINT action_type_id IF NOT EXISTS FOR (n:ActionType) REQUIRE n.id IS UNIQUE
// name: get_action_types
UNWIND $ids AS id MATCH (n:ActionType {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: page_action_types
MATCH (n:ActionType) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: create_actiontype
CREATE (n:ActionType {id: $id})
SET n.name = $name, n.description = $description, n.parameters = $parameters, n.uses_material = $uses_material,
  n.partner_id = $partner_id, n.organization_id = $organization_id
// name: update_actiontype
MATCH (n:ActionType {id: $id})
SET n.name = $name, n.description = $description, n.parameters = $parameters, n.uses_material = $uses_material,
  n.partner_id = $partner_id, n.organization_id = $organization_id
RETURN n.id AS id
// The built-in action types, created with the store; one changed since is left as it is.
// name: merge_action_types
UNWIND $rows AS r
MERGE (n:ActionType {id: r.id})
ON CREATE SET n.name = r.name, n.description = r.description, n.parameters = r.parameters,
  n.uses_material = r.uses_material, n.partner_id = r.partner_id, n.organization_id = r.organization_id
