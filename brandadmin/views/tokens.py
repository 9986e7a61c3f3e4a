"""A user's API token: created or rotated, saved into a new connection or shown once."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from connections.models import Role
from web.crud import CrudFormView
from web.htmx import is_partial

from .. import selectors, services
from ..forms import TokenForm
from .base import BrandAdminMixin, redirect_to


class UserTokenView(BrandAdminMixin, CrudFormView):
    """Create or rotate a user's API token: saved into a new connection, or shown once."""

    resource = "brandadmin:user"
    verbose_name = "user"
    object_kwarg = "user_id"
    form_class = TokenForm
    template_name = "brandadmin/user_token.html"
    partial = "token"
    write_role = Role.MANAGER
    tab = "users"

    def get_object(self):
        return selectors.user_get(**self.connection_and_actor(), user_id=self.kwargs["user_id"])

    def get_initial(self):
        user = self.object or {}
        label = user.get("username") or self.kwargs["user_id"]
        return {"connection_name": f"{self.connection.name} · {label}"[:100], "destination": TokenForm.SAVE}

    def form_title(self):
        return "Create or rotate the API token"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["display_name"] = selectors.user_display_name(self.object or {})
        context["is_self"] = self.kwargs["user_id"] == self.connection.qualtrics_user_id
        return context

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    @property
    def username(self) -> str:
        return (self.object or {}).get("username", "")

    def save(self, form):
        data = form.cleaned_data
        save_as = data["connection_name"] if data["destination"] == TokenForm.SAVE else ""
        return services.user_token_issue(
            **self.connection_and_actor(), user_id=self.kwargs["user_id"], username=self.username, save_as=save_as
        )

    def saved_response(self, form, issued):
        if issued.saved is not None:
            messages.success(
                self.request,
                f"A new API token was created for “{self.username}” and saved into your new connection "
                f"“{issued.saved.name}”. It was not displayed.",
            )
            return redirect_to(self.request, issued.saved.get_absolute_url())
        context = self.get_context_data(form=form, token=issued.token, problem=issued.problem)
        template = "brandadmin/user_token.html"
        response = render(self.request, f"{template}#token" if is_partial(self.request) else template, context)
        response["Cache-Control"] = "no-store"
        return response
