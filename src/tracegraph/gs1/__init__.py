"""GS1 standards without I/O: identifiers and Digital Link, the CBV vocabulary, the CBV 2.0 event
hash, and EPCIS 2.0 JSON events: their validation, their query parameters and their mapping to
and from the ledger's events."""
