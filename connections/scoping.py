"""Class-based views scoped to one connection: the counterpart of `access.connection_view` for the
generic screens of `web.crud`.

Compose it before a generic view (`class ContactList(ConnectionViewMixin, CrudListView)`, or through an
app's own mixin that derives from it): it resolves the connection in the URL and the user's role
through the one access function, and answers the generic views' protocol (`can_write`,
`url_kwargs()`, the context) for that connection.
"""

from __future__ import annotations

from django.utils.functional import cached_property

from .access import connection_for
from .models import Role
from .qualtrics_client import connection_client

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ConnectionViewMixin:
    """Resolves the connection in the URL through the one access function.

    Reading needs `read_role`; writing, and opening a write screen (a generic form or confirmation,
    which declares `write_screen`), needs `write_role`. A screen that needs more sets `write_role`
    (for example `Role.MANAGER`), nothing else.
    """

    read_role: Role = Role.VIEWER
    write_role: Role = Role.OPERATOR

    def required_role(self) -> Role:
        # Not a class attribute here: this mixin comes first in the bases and would hide the generic
        # view's own declaration.
        if self.request.method in SAFE_METHODS and not getattr(self, "write_screen", False):
            return self.read_role
        return self.write_role

    def dispatch(self, request, *args, **kwargs):
        self.connection, self.role = connection_for(
            request.user, kwargs["connection_id"], role=self.required_role()
        )
        request.connection = self.connection
        request.connection_role = self.role
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def client(self):
        return connection_client(self.connection, actor=self.request.user)

    def connection_and_actor(self) -> dict:
        """The arguments every selector and service takes: the connection, and who acts through it."""
        return {"connection": self.connection, "actor": self.request.user}

    @property
    def can_write(self) -> bool:
        return self.role >= self.write_role

    def url_kwargs(self, **extra) -> dict:
        return {"connection_id": self.connection.pk, **super().url_kwargs(**extra)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(connection=self.connection, role=self.role)
        return context
