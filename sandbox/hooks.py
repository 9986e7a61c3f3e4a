"""In-process hooks: other parts of the sandbox (webhook delivery, for one) react to what happens here.

    state.hooks.response_recorded.append(on_response)      # on_response(brand, survey, response, source)
    state.hooks.survey_status_changed.append(on_status)    # on_status(brand, survey, active, source)

`source` tells how it happened: "api" (POST /surveys/{id}/responses, PUT /surveys/{id}, PUT …/metadata) or
"import" (a finished response import). Listeners run in the thread that made the change, with the state's
lock held: they may read and change the state, but must not wait on the network (hand slow work to a
thread). They stay attached across `State.reset()`. An exception in a listener is printed and swallowed,
so one faulty listener cannot fail the API call that triggered it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Brand, Response, Survey

ResponseListener = Callable[["Brand", "Survey", "Response", str], Any]
StatusListener = Callable[["Brand", "Survey", bool, str], Any]


class Hooks:
    def __init__(self) -> None:
        self.response_recorded: list[ResponseListener] = []
        self.survey_status_changed: list[StatusListener] = []

    def recorded(self, brand: Brand, survey: Survey, response: Response, source: str) -> None:
        for listener in list(self.response_recorded):
            _call(listener, brand, survey, response, source)

    def status_changed(self, brand: Brand, survey: Survey, active: bool, source: str) -> None:
        for listener in list(self.survey_status_changed):
            _call(listener, brand, survey, active, source)


def _call(listener: Callable[..., Any], *args: Any) -> None:
    try:
        listener(*args)
    except Exception:  # a listener's fault is reported, never turned into the API call's failure
        traceback.print_exc(file=sys.stderr)
