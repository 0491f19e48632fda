"""The HTTP API's routes, one module per area; each handler parses, makes one call, renders."""
