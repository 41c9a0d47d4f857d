// name: table_organization
CREATE NODE TABLE IF NOT EXISTS Organization(id STRING, name STRING, PRIMARY KEY(id))
// name: table_material
CREATE NODE TABLE IF NOT EXISTS Material(id STRING, name STRING, tracking STRING, base_unit STRING, kind STRING, shelf_life_days INT64, conversions STRING, organization_id STRING, PRIMARY KEY(id))
// name: table_location
CREATE NODE TABLE IF NOT EXISTS Location(id STRING, name STRING, kind STRING, parent_id STRING, virtual STRING, partner_id STRING, organization_id STRING, PRIMARY KEY(id))
// name: table_order
CREATE NODE TABLE IF NOT EXISTS `Order`(id STRING, type STRING, partner_id STRING, reference STRING, organization_id STRING, PRIMARY KEY(id))
// name: table_item
CREATE NODE TABLE IF NOT EXISTS Item(id STRING, kind STRING, material_id STRING, unit STRING, lot_code STRING, parent_id STRING, status STRING, manufactured_at STRING, expires_at STRING, characteristics STRING, conversions STRING, container_type STRING, origin_known BOOLEAN, organization_id STRING, created_by_event STRING, first_event_time STRING, PRIMARY KEY(id))
// name: table_serial
CREATE NODE TABLE IF NOT EXISTS SerialKey(id STRING, item_id STRING, PRIMARY KEY(id))
// name: table_shipment
CREATE NODE TABLE IF NOT EXISTS Shipment(id STRING, order_id STRING, partner_id STRING, destination_id STRING, shipped_at STRING, organization_id STRING, PRIMARY KEY(id))
// name: table_event
CREATE NODE TABLE IF NOT EXISTS Event(id STRING, seq INT64, type STRING, source STRING, event_time STRING, recorded_at STRING, location_id STRING, order_id STRING, shipment_id STRING, partner_id STRING, biz_step STRING, disposition STRING, organization_id STRING, reverses STRING, body STRING, PRIMARY KEY(id))
// name: table_finding
CREATE NODE TABLE IF NOT EXISTS Finding(id STRING, kind STRING, message STRING, event_id STRING, item_id STRING, location_id STRING, quantity DOUBLE, recorded_at STRING, PRIMARY KEY(id))
// name: rel_flows_to
CREATE REL TABLE IF NOT EXISTS FLOWS_TO(FROM Item TO Item, kind STRING, quantity DOUBLE, event_id STRING, event_time STRING, voided BOOLEAN, recorded_at STRING, voided_at STRING)
// name: rel_at
CREATE REL TABLE IF NOT EXISTS AT(FROM Item TO Location, quantity DOUBLE, material_id STRING, unit STRING, virtual BOOLEAN)
// name: rel_touched
CREATE REL TABLE IF NOT EXISTS TOUCHED(FROM Event TO Item)
// name: rel_reverses
CREATE REL TABLE IF NOT EXISTS REVERSES(FROM Event TO Event)
// name: table_recall
CREATE NODE TABLE IF NOT EXISTS Recall(id STRING, status STRING, opened_at STRING, mock BOOLEAN, body STRING, PRIMARY KEY(id))
// Columns added after the first release, for data directories made before them.
// name: alter_flows_to_recorded_at
ALTER TABLE FLOWS_TO ADD IF NOT EXISTS recorded_at STRING
// name: alter_flows_to_voided_at
ALTER TABLE FLOWS_TO ADD IF NOT EXISTS voided_at STRING
// name: alter_material_min_remaining_shelf_life_days
ALTER TABLE Material ADD IF NOT EXISTS min_remaining_shelf_life_days INT64
// name: alter_material_expiry_warning_days
ALTER TABLE Material ADD IF NOT EXISTS expiry_warning_days INT64
// name: alter_item_allowed_material_ids
ALTER TABLE Item ADD IF NOT EXISTS allowed_material_ids STRING
// name: alter_material_second_unit
ALTER TABLE Material ADD IF NOT EXISTS second_unit STRING
// name: alter_material_catch_weight
ALTER TABLE Material ADD IF NOT EXISTS catch_weight BOOLEAN
// A balance in a material's second unit (materials tracked in two units; else 0).
// name: alter_at_quantity2
ALTER TABLE AT ADD IF NOT EXISTS quantity2 DOUBLE DEFAULT 0.0
// A material's characteristic definitions (a JSON list; null: none), loaded with the material.
// name: alter_material_characteristic_definitions
ALTER TABLE Material ADD IF NOT EXISTS characteristic_definitions STRING
// name: alter_item_components
ALTER TABLE Item ADD IF NOT EXISTS components STRING
// The version of the schema this data directory was written with (store/port.py, SCHEMA_VERSION).
// name: table_meta
CREATE NODE TABLE IF NOT EXISTS Meta(id STRING, version INT64, PRIMARY KEY(id))
