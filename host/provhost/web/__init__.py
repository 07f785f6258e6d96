"""The web administration: server-rendered pages on the management listener, built on the
same service layer as the CLI and the REST API (docs/operations.md, "Web administration")."""
