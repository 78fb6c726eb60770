"""End-to-end tests of the HTTP API through the embedded app, on a real SQLite store."""
