"""The core: canonical model, pipeline, hookspecs, registry and ledger, reference data, rules."""
