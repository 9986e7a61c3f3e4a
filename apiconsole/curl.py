"""A request as a curl command a person can run in a shell, with the token left to an environment variable."""

from __future__ import annotations

import shlex
from urllib.parse import urlencode

TOKEN_VARIABLE = "QUALTRICS_API_TOKEN"
BEARER_VARIABLE = "QUALTRICS_ACCESS_TOKEN"


def curl_command(*, base_url: str, method: str, path: str, query=(), headers=(), body: str = "",
                 bearer: bool = False) -> str:
    """``curl`` for the request. The token header is written in double quotes around
    ``$QUALTRICS_API_TOKEN`` so the shell fills it in (an OAuth connection's: ``Authorization: Bearer
    $QUALTRICS_ACCESS_TOKEN``); everything else is single-quoted as typed."""
    url = base_url.rstrip("/") + path + (f"?{urlencode(list(query))}" if query else "")
    auth = f'-H "Authorization: Bearer ${BEARER_VARIABLE}"' if bearer else f'-H "X-API-TOKEN: ${TOKEN_VARIABLE}"'
    lines = [f"curl -X {method} {shlex.quote(url)}", auth]
    lines += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers]
    if body:
        if not any(name.lower() == "content-type" for name, _value in headers):
            lines.append("-H 'Content-Type: application/json'")
        lines.append(f"--data-raw {shlex.quote(body)}")
    return " \\\n  ".join(lines)
