"""tracegraph: a traceability backend on a graph database."""

__version__ = "0.1.0"
