"""Screens for a brand's Qualtrics users and groups: thin subclasses of the generic views in web/crud.py
over brandadmin.selectors and brandadmin.services, one module per screen family."""
