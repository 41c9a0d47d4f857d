"""Shared by every test folder. Being here puts `tests/` on `sys.path`, so tests import the
helpers next to it (`from servers import falkordb_bolt`). Store-agnostic: fixtures that
need a store live in the folder that needs them (tests/contract/conftest.py)."""
