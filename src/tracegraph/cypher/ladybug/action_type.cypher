// Action types (batch actions: print job, sieve, blend...): master data with the parameters an
// action of each carries (a JSON list) and whether it uses the material up (reuse counting).
// name: table_action_type
CREATE NODE TABLE IF NOT EXISTS ActionType(id STRING, name STRING, description STRING, parameters STRING, uses_material BOOLEAN, partner_id STRING, organization_id STRING, PRIMARY KEY(id))
// name: get_action_types
UNWIND $ids AS id MATCH (n:ActionType {id: id}) RETURN n
// name: page_action_types
MATCH (n:ActionType) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: create_actiontype
CREATE (:ActionType {id: $id, name: $name, description: $description, parameters: $parameters,
  uses_material: $uses_material, partner_id: $partner_id, organization_id: $organization_id})
// name: update_actiontype
MATCH (n:ActionType) WHERE n.id = $id
SET n.name = $name, n.description = $description, n.parameters = $parameters, n.uses_material = $uses_material,
  n.partner_id = $partner_id, n.organization_id = $organization_id
RETURN n.id AS id
// The built-in action types, created with the store; one changed since is left as it is.
// name: merge_action_types
UNWIND $rows AS r
MERGE (n:ActionType {id: r.id})
ON CREATE SET n.name = r.name, n.description = r.description, n.parameters = r.parameters,
  n.uses_material = r.uses_material, n.partner_id = r.partner_id, n.organization_id = r.organization_id
