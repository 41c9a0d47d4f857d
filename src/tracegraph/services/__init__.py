"""Use cases: record events, read the ledger, trace. No framework, no driver."""
