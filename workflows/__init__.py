"""Workflow triggers: start Qualtrics workflows with JSON events, one at a time or for every member of a
mailing list or a contact search, each member's event sent exactly once."""
