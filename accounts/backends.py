"""Authentication: Django's model backend, loading the user's profile with the user."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class ProfileModelBackend(ModelBackend):
    """Every request loads the signed-in user; the profile (time zone) comes in the same query, so the
    time-zone middleware costs nothing."""

    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model()._default_manager.select_related("profile").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
