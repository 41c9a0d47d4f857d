// Authentication: API keys (only their SHA-256 hash), and organizations renamed.
// name: constraint_api_key_id
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE
// name: create_api_key
CREATE (:ApiKey {id: $id, hash: $hash, organization_id: $organization_id, role: $role, name: $name,
  created_at: $created_at, expires_at: $expires_at, revoked: $revoked})
// name: api_key_by_hash
MATCH (n:ApiKey) WHERE n.hash = $hash
RETURN n.id AS id, n.hash AS hash, n.organization_id AS organization_id, n.role AS role, n.name AS name,
  n.created_at AS created_at, n.expires_at AS expires_at, n.revoked AS revoked
// name: api_key_by_id
MATCH (n:ApiKey) WHERE n.id = $id
RETURN n.id AS id, n.hash AS hash, n.organization_id AS organization_id, n.role AS role, n.name AS name,
  n.created_at AS created_at, n.expires_at AS expires_at, n.revoked AS revoked
// name: api_keys_of_organization
MATCH (n:ApiKey) WHERE n.organization_id = $organization_id
RETURN n.id AS id, n.hash AS hash, n.organization_id AS organization_id, n.role AS role, n.name AS name,
  n.created_at AS created_at, n.expires_at AS expires_at, n.revoked AS revoked
ORDER BY n.created_at, n.id
// name: admin_api_keys
MATCH (n:ApiKey) WHERE n.organization_id IS NULL
RETURN n.id AS id, n.hash AS hash, n.organization_id AS organization_id, n.role AS role, n.name AS name,
  n.created_at AS created_at, n.expires_at AS expires_at, n.revoked AS revoked
ORDER BY n.created_at, n.id
// name: revoke_api_key
MATCH (n:ApiKey) WHERE n.id = $id SET n.revoked = true RETURN n.id AS id
// name: rename_organization
MATCH (n:Organization) WHERE n.id = $id SET n.name = $name RETURN n.id AS id
// name: index_api_key_hash
CREATE INDEX api_key_hash IF NOT EXISTS FOR (n:ApiKey) ON (n.hash)
// Explicit shares: an item (and optionally what is upstream or downstream of it) shared with an organization.
// name: constraint_share_id
CREATE CONSTRAINT share_id IF NOT EXISTS FOR (n:Share) REQUIRE n.id IS UNIQUE
// name: index_share_organization_id
CREATE INDEX share_organization_id IF NOT EXISTS FOR (n:Share) ON (n.organization_id)
// name: save_share
MERGE (n:Share {id: $id})
SET n.item_id = $item_id, n.organization_id = $organization_id, n.scope = $scope, n.shared_by = $shared_by,
  n.created_at = $created_at
// name: shares_with
MATCH (n:Share) WHERE n.organization_id = $organization_id
RETURN n.id AS id, n.item_id AS item_id, n.organization_id AS organization_id, n.scope AS scope,
  n.shared_by AS shared_by, n.created_at AS created_at
ORDER BY n.id
// The audit log: append-only.
// name: constraint_audit_entry_id
CREATE CONSTRAINT audit_entry_id IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.id IS UNIQUE
// name: append_audit
CREATE (:AuditEntry {id: $id, at: $at, key_id: $key_id, organization_id: $organization_id, action: $action,
  detail: $detail})
// name: audit_page
MATCH (n:AuditEntry) WHERE n.id > $after
WITH n ORDER BY n.id LIMIT $first
RETURN n.id AS id, n.at AS at, n.key_id AS key_id, n.organization_id AS organization_id, n.action AS action,
  n.detail AS detail
// name: audit_page_of_organization
MATCH (n:AuditEntry) WHERE n.organization_id = $organization_id AND n.id > $after
WITH n ORDER BY n.id LIMIT $first
RETURN n.id AS id, n.at AS at, n.key_id AS key_id, n.organization_id AS organization_id, n.action AS action,
  n.detail AS detail
