from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import Group
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe

from web.crud import Column, CrudFormView, CrudListView, queryset_page

from .forms import ProfileForm, TeamForm
from .services import profile_get_or_create, profile_update, team_create, team_update


def profile(request):
    current = profile_get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, initial={"timezone": current.timezone})
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, timezone=form.cleaned_data["timezone"])
        messages.success(request, f"Time zone set to {form.cleaned_data['timezone']}.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "profile": current})


class TeamAdminMixin:
    """Teams are the Django groups a connection can be shared with; only staff manage them."""

    resource = "accounts:team"
    verbose_name = "team"
    id_field = "pk"
    object_kwarg = "team_id"
    can_write = True  # every staff member may

    @method_decorator(staff_member_required)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


def _members(team: Group) -> str:
    names = [user.get_username() for user in team.user_set.all()]
    if not names:
        return mark_safe('<span class="text-body-secondary">nobody yet</span>')
    return ", ".join(names)


class TeamListView(TeamAdminMixin, CrudListView):
    columns = [Column("Team", "name", link=True), Column("Members", _members)]
    row_url_name = "accounts:team_edit"  # a team has no page of its own: its row opens its form
    empty_message = "No teams yet. A team lets you share a connection with several people at once."

    def fetch_page(self, *, cursor, page_size, search):
        teams = Group.objects.order_by("name").prefetch_related("user_set")
        return queryset_page(teams, cursor=cursor, page_size=page_size)


class TeamFormView(TeamAdminMixin, CrudFormView):
    form_class = TeamForm
    submit_label = "Save team"
    cancel_to_detail = False

    def get_object(self):
        return get_object_or_404(Group, pk=self.kwargs["team_id"])

    def initial_from(self, team) -> dict:
        return {"name": team.name, "members": team.user_set.all()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "team": self.object}

    def form_title(self) -> str:
        return "New team" if self.is_create else f"Team “{self.object.name}”"

    def save(self, form):
        member_ids = [user.pk for user in form.cleaned_data["members"]]
        if self.is_create:
            return team_create(name=form.cleaned_data["name"], member_ids=member_ids)
        return team_update(team=self.object, name=form.cleaned_data["name"], member_ids=member_ids)

    def success_text(self, form, team) -> str:
        return f"Team “{team.name}” {'created' if self.is_create else 'saved'}."

    def success_url_for(self, team) -> str:
        return self.list_url()
