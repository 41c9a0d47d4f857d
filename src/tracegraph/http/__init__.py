"""The ASGI application's own HTTP concerns: authentication of every request, rate and size
limits, and the export routes (a trace, a recall or the audit log as a file)."""
