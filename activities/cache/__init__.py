"""The semantic cache of generated content: lookup/store, the request text it keys on, and the
guard that keeps incompatible requests apart."""
