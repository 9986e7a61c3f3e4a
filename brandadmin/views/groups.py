"""A brand's groups: list and search, create or edit, delete."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property

from web.crud import Column, CrudDeleteView, CrudFormView, CrudListView
from web.errors import explained

from .. import selectors, services
from ..forms import GroupForm, GroupSearchForm
from .base import BrandAdminFormMixin, BrandAdminListMixin, BrandAdminMixin, changed_only


class GroupMixin(BrandAdminMixin):
    resource = "brandadmin:group"
    verbose_name = "group"
    object_kwarg = "group_id"
    tab = "groups"
    back_label = "Back to groups"

    def back_url(self):
        return reverse("brandadmin:group_list", kwargs={"connection_id": self.connection.pk})

    def get_object(self):
        return selectors.group_get(**self.connection_and_actor(), group_id=self.kwargs["group_id"])


class GroupListView(BrandAdminListMixin, GroupMixin, CrudListView):
    template_name = "brandadmin/group_list.html"
    partial_template_name = "crud/list.html"
    search_form_class = GroupSearchForm
    @property
    def columns(self):
        names = selectors.names_for(connection=self.connection, actor=self.request.user)
        return [
            Column("Name", lambda g: g.get("name") or g.get("id"), link=True),
            Column("Group type", lambda g: names.group_type(g.get("type")), kind="badge"),
            Column("Division", lambda g: names.division(g.get("divisionId"))),
            Column("Group ID", "id", kind="mono"),
        ]

    @property
    def empty_message(self):
        if self.request.GET.get("q"):
            return "No group matches this search."
        return "This brand has no groups yet."

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.group_list(**self.connection_and_actor(), cursor=cursor, page_size=page_size,
                                    query=search.get("q", ""))


class GroupFormView(BrandAdminFormMixin, GroupMixin, CrudFormView):
    form_class = GroupForm

    def initial_from(self, group):
        return {"name": group.get("name", ""), "group_type": group.get("type", ""),
                "division_id": group.get("divisionId", "") or ""}

    @cached_property
    def choices(self):
        return self.load_choices(lambda: selectors.group_form_choices(**self.connection_and_actor()), None)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["is_create"] = self.is_create
        kwargs["names"] = selectors.names_for(connection=self.connection, actor=self.request.user)
        kwargs["seen_group_types"] = self.choices.group_types if self.choices else None
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        names = selectors.names_for(connection=self.connection, actor=self.request.user)
        context["divisions"] = [(d, names.division(d)) for d in (self.choices.divisions.ids() if self.choices else [])]
        if not self.is_create and self.object:
            context["form_title"] = f"Edit group {self.object.get('name') or self.kwargs['group_id']}"
        return context

    def save(self, form):
        data = form.cleaned_data
        if self.is_create:
            return services.group_create(**self.connection_and_actor(), group_type=data["group_type"],
                                         name=data["name"], division_id=data.get("division_id") or "")
        fields = {"group_type": data["group_type"], "name": data["name"], "division_id": data.get("division_id")}
        services.group_update(**self.connection_and_actor(), group_id=self.kwargs["group_id"],
                              **changed_only(fields, form.initial))
        return self.kwargs["group_id"]


class GroupDeleteView(GroupMixin, CrudDeleteView):

    def consequences(self, group):
        members, _error = explained(selectors.group_members_all, **self.connection_and_actor(),
                                    group_id=self.kwargs["group_id"])
        count = None if members is None else len(members)
        if count == 0:
            first = "Nobody is in the group, so no user loses access."
        elif count == 1:
            first = "Its 1 member loses whatever access the group gave (shared surveys, libraries…)."
        elif count is None:
            first = "Its members lose whatever access the group gave them (shared surveys, libraries…)."
        else:
            first = f"Its {count} members lose whatever access the group gave them (shared surveys, libraries…)."
        return [first, "The users themselves are not deleted."]

    def delete(self, group):
        services.group_delete(**self.connection_and_actor(), group_id=self.kwargs["group_id"])
