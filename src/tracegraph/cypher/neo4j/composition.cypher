// Composition lists (bills of materials): master data per product material (domain/composition.py).
// name: constraint_composition_list_id
CREATE CONSTRAINT composition_list_id IF NOT EXISTS FOR (n:CompositionList) REQUIRE n.id IS UNIQUE
// name: index_composition_list_material
CREATE INDEX composition_list_material IF NOT EXISTS FOR (n:CompositionList) ON (n.material_id)
// name: get_composition_lists
UNWIND $ids AS id MATCH (n:CompositionList {id: id}) RETURN collect({n: n {.*}}) AS rows
// name: page_composition_lists
MATCH (n:CompositionList) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $first RETURN collect({n: n {.*}}) AS rows
// name: composition_lists_of_materials
UNWIND $ids AS id MATCH (n:CompositionList {material_id: id}) WITH n ORDER BY n.id RETURN collect({n: n {.*}}) AS rows
// name: create_compositionlist
CREATE (n:CompositionList {id: $id})
SET n.material_id = $material_id, n.name = $name, n.description = $description, n.basis = $basis,
  n.components = $components, n.on_mismatch = $on_mismatch, n.tolerance_percent = $tolerance_percent,
  n.partner_id = $partner_id, n.organization_id = $organization_id
// name: update_compositionlist
MATCH (n:CompositionList {id: $id})
SET n.material_id = $material_id, n.name = $name, n.description = $description, n.basis = $basis,
  n.components = $components, n.on_mismatch = $on_mismatch, n.tolerance_percent = $tolerance_percent,
  n.partner_id = $partner_id, n.organization_id = $organization_id
RETURN n.id AS id
