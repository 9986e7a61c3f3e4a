"""The gateway's one view: `/api/qualtrics/<connection>/API/v3/<path>`, for programs, not people.

No session, no CSRF (a key authenticates every call), no log-in page: everything is answered in
Qualtrics' manner. The view only reads the request and writes the answer; the service decides.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accounts.throttling import client_address
from qualtrics import SizedBody
from web.params import raw_body

from .services import gateway_call

logger = logging.getLogger(__name__)


class _Finishing:
    """Runs the answer's `finish` (its audit row) when the server closes the response, that is once the answer
    has been sent: the caller does not wait for the write."""

    finish = None

    def close(self):
        try:
            super().close()
        finally:
            if self.finish is not None:
                finish, self.finish = self.finish, None
                try:
                    finish()
                except Exception:
                    logger.exception("The gateway could not record a call")


class GatewayResponse(_Finishing, HttpResponse):
    pass


class GatewayStreamingResponse(_Finishing, StreamingHttpResponse):
    pass


def _presented_key(request) -> str:
    token = request.headers.get("X-API-TOKEN", "")
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _body(request) -> bytes | SizedBody | None:
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return SizedBody(request, int(length)) if int(length) else None
    return request.body or None  # chunked by the client: read whole


@csrf_exempt
@login_not_required
@raw_body
def gateway(request, connection_id: int, path: str):
    # The gateway's own /API/v3 of this connection, as the caller reached it: where nextPage links must lead.
    # (The route needs a path; one segment is reversed and cut off again.)
    base = request.build_absolute_uri(reverse("gateway_api", kwargs={"connection_id": connection_id, "path": "x"}))
    answer = gateway_call(
        connection_id=connection_id,
        presented_key=_presented_key(request),
        method=request.method,
        path="/" + path,
        query=request.META.get("QUERY_STRING", ""),
        headers=list(request.headers.items()),
        body=_body(request),
        client_address=client_address(request),
        gateway_base_url=base[: -len("/x")],
    )
    response = (GatewayStreamingResponse(answer.body, status=answer.status) if answer.streamed
                else GatewayResponse(answer.body, status=answer.status))
    response.finish = answer.finish
    if not any(name.lower() == "content-type" for name, _value in answer.headers):
        del response["Content-Type"]
    for name, value in answer.headers:
        response[name] = value
    return response
