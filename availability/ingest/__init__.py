"""Inbound monitoring formats beyond Alertmanager and probes: one module per
format with pure parsing functions (bytes in, typed intervals or events out,
``core.errors.InvalidInput`` naming the field for a bad payload), and
``availability.ingest.services`` turning them into outages."""
