// Composition lists (bills of materials): master data per product material (domain/composition.py).
// name: table_composition_list
CREATE NODE TABLE IF NOT EXISTS CompositionList(id STRING, material_id STRING, name STRING, description STRING, basis DOUBLE, components STRING, on_mismatch STRING, tolerance_percent DOUBLE, partner_id STRING, organization_id STRING, PRIMARY KEY(id))
// name: get_composition_lists
UNWIND $ids AS id MATCH (n:CompositionList {id: id}) RETURN n
// name: page_composition_lists
MATCH (n:CompositionList) WHERE n.id > $after RETURN n ORDER BY n.id LIMIT $first
// name: composition_lists_of_materials
UNWIND $ids AS id MATCH (n:CompositionList) WHERE n.material_id = id RETURN n ORDER BY n.id
// name: create_compositionlist
CREATE (:CompositionList {id: $id, material_id: $material_id, name: $name, description: $description,
  basis: $basis, components: $components, on_mismatch: $on_mismatch, tolerance_percent: $tolerance_percent,
  partner_id: $partner_id, organization_id: $organization_id})
// name: update_compositionlist
MATCH (n:CompositionList) WHERE n.id = $id
SET n.material_id = $material_id, n.name = $name, n.description = $description, n.basis = $basis,
  n.components = $components, n.on_mismatch = $on_mismatch, n.tolerance_percent = $tolerance_percent,
  n.partner_id = $partner_id, n.organization_id = $organization_id
RETURN n.id AS id
