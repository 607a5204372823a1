"""Tags with rotating ids (Eddystone-EID): sealed keys, the resolver, and its place in
ingest. See docs/eid.md."""
