"""Response headers the portal adds to its pages."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """Every response to a signed-in user says Cache-Control: no-store (and private, no-cache): the pages,
    fragments and downloads carry one person's view of connections, contacts and tokens' metadata, which
    no browser cache, shared proxy or back button on a shared computer should keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
