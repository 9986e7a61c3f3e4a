"""The address Qualtrics posts events to: `/hooks/qualtrics/<receiver id>/`.

No session, no CSRF, no log-in: the unguessable receiver ID finds the subscription and the HMAC proves the
post came from Qualtrics with its key. Every refusal is a 4xx with one log line (never the key, never the
body); the answer goes out as soon as the event is stored, before any other work.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from web.params import raw_body

from .services import MAX_BODY_BYTES, Refusal, event_receive

logger = logging.getLogger("subscriptions.receiver")


def _read_body(request) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise Refusal(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KB")
    return request.read(MAX_BODY_BYTES + 1)


@csrf_exempt
@login_not_required
@raw_body
def qualtrics_receiver(request, receiver_id: str):
    if request.method != "POST":
        response = HttpResponse("POST only\n", status=405, content_type="text/plain")
        response["Allow"] = "POST"
        return response
    try:
        _event, new = event_receive(receiver_id=receiver_id[:64], body=_read_body(request),
                                   content_type=request.META.get("CONTENT_TYPE", ""))
    except Refusal as refusal:
        logger.warning("qualtrics receiver refused a post (%s): %s; receiver %s…", refusal.status, refusal.reason,
                       receiver_id[:6])
        return HttpResponse(f"{refusal.reason}\n", status=refusal.status, content_type="text/plain")
    return HttpResponse("stored\n" if new else "already stored\n", status=200, content_type="text/plain")
