"""Module repositories: signed channel indexes (testing, stable, archive) that any web server
can serve, the publisher's tools, and the server's client (update, search, install, upgrade)."""
