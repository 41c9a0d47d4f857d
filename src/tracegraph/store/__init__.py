"""The graph behind one port, with an adapter per store."""
