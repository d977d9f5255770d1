"""Package data: the JSON Schemas of the documents the library emits (prefill)."""
