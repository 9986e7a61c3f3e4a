from django.urls import path, register_converter

from .views import groups, labels, members, tokens, user_groups, users


class QualtricsIdConverter:
    """A Qualtrics ID of one kind (its prefix, then letters and digits): anything else is a 404."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class UserIdConverter(QualtricsIdConverter):
    regex = r"URH?_[A-Za-z0-9]+"


class GroupIdConverter(QualtricsIdConverter):
    regex = r"GR_[A-Za-z0-9]+"


register_converter(UserIdConverter, "qualtrics_user")
register_converter(GroupIdConverter, "qualtrics_group")

app_name = "brandadmin"

urlpatterns = [
    path("users/", users.UserListView.as_view(), name="user_list"),
    path("users/new/", users.UserFormView.as_view(), name="user_create"),
    path("users/search/", members.user_search, name="user_search"),
    path("users/<qualtrics_user:user_id>/", users.UserDetailView.as_view(), name="user_detail"),
    path("users/<qualtrics_user:user_id>/edit/", users.UserFormView.as_view(), name="user_edit"),
    path("users/<qualtrics_user:user_id>/status/", users.user_toggle, name="user_toggle"),
    path("users/<qualtrics_user:user_id>/delete/", users.UserDeleteView.as_view(), name="user_delete"),
    path("users/<qualtrics_user:user_id>/disable/", users.UserDisableView.as_view(), name="user_disable"),
    path("users/<qualtrics_user:user_id>/api-token/", tokens.UserTokenView.as_view(), name="user_token"),
    path("users/<qualtrics_user:user_id>/groups/", user_groups.user_groups_card, name="user_groups"),
    path("users/<qualtrics_user:user_id>/groups/add/", user_groups.user_group_add, name="user_group_add"),
    path(
        "users/<qualtrics_user:user_id>/groups/<qualtrics_group:group_id>/remove/",
        user_groups.user_group_remove,
        name="user_group_remove",
    ),
    path("groups/", groups.GroupListView.as_view(), name="group_list"),
    path("labels/", labels.label_list, name="label_list"),
    path("labels/save/", labels.label_save, name="label_save"),
    path("groups/new/", groups.GroupFormView.as_view(), name="group_create"),
    path("groups/<qualtrics_group:group_id>/", members.GroupMemberListView.as_view(), name="group_detail"),
    path("groups/<qualtrics_group:group_id>/edit/", groups.GroupFormView.as_view(), name="group_edit"),
    path("groups/<qualtrics_group:group_id>/delete/", groups.GroupDeleteView.as_view(), name="group_delete"),
    path("groups/<qualtrics_group:group_id>/members/add/", members.group_member_add, name="group_member_add"),
    path(
        "groups/<qualtrics_group:group_id>/members/<qualtrics_user:user_id>/remove/",
        members.group_member_remove,
        name="group_member_remove",
    ),
]
