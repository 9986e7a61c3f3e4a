def portal(request):
    """Shared context for the base layout; connection facts are added by the connections app."""
    return {}
