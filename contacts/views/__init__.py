"""XM Directory screens: thin subclasses of the generic views in web/crud.py that declare columns and
call selectors and services, one module per screen family; the import flow and the CSV exports are
plain function views."""
