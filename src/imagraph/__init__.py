"""imagraph: an open linked-data publisher."""
