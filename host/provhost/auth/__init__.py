"""Phone credentials: HTTP digest for phones whose provisioning is protected (pure), and
the key that signs its nonces."""
