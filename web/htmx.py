"""htmx helpers shared by every view."""

from django.contrib import messages
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseStopPolling

STOP_POLLING = HttpResponseStopPolling.status_code


def is_partial(request) -> bool:
    """An htmx request that swaps part of a page (boosted requests get the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def template_for(request, template_name: str, partial: str) -> str:
    return f"{template_name}#{partial}" if is_partial(request) else template_name


def append_toasts(request, response):
    """Deliver pending Django messages with an htmx response, as out-of-band toasts."""
    if not is_partial(request) or response.streaming:
        return response
    if any(h in response for h in ("HX-Redirect", "HX-Refresh", "HX-Location")):
        return response  # the messages are shown by the page the browser goes to
    if not response.get("Content-Type", "").startswith("text/html"):
        return response
    storage = messages.get_messages(request)
    if not len(storage):
        return response
    html = render_to_string("web/toasts_oob.html", {"messages": storage}, request=request)
    response.content = response.content + html.encode()
    return response


class HtmxMessagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return append_toasts(request, self.get_response(request))


def stop_polling(response):
    """`response` (a polled partial) with htmx's "stop polling" status (286): the element that polls it shows
    this last answer and asks no more."""
    response.status_code = STOP_POLLING
    return response
