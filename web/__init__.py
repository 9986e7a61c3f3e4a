"""The shared web layer: generic CRUD views, htmx helpers, the background read, error rendering, form
helpers and template tags. It knows no feature app; the apps build their screens from it."""
