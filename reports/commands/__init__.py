"""One module per command area; each exposes ``register(app)``. Heavy imports stay inside the commands."""
