"""The API's flows, each written once as a generator of steps (see `steps`)."""
