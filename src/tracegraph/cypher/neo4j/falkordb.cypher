// Only for the FalkorDB stand-in, whose Bolt server crashes on a message over about 4 KB
// and never sends one over 64 KB: the adapter writes a long text property empty, then
// appends it piece by piece, and reads an event body longer than a message in pieces.
// name: falkordb_append_event_body
MATCH (n:Event {id: $id}) SET n.body = n.body + $piece
// name: falkordb_append_item_characteristics
MATCH (n:Item {id: $id}) SET n.characteristics = n.characteristics + $piece
// name: falkordb_append_item_conversions
MATCH (n:Item {id: $id}) SET n.conversions = n.conversions + $piece
// name: falkordb_append_finding_message
MATCH (n:Finding {id: $id}) SET n.message = n.message + $piece
// name: falkordb_append_material_conversions
MATCH (n:Material {id: $id}) SET n.conversions = n.conversions + $piece
// name: falkordb_append_order_reference
MATCH (n:`Order` {id: $id}) SET n.reference = n.reference + $piece
// name: falkordb_event_body_piece
MATCH (n:Event {id: $id}) RETURN substring(n.body, $start, $length) AS piece
