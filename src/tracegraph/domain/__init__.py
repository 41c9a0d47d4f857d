"""The domain: master data, traceable items, events and the ledger rules. Pure Python, no I/O."""
