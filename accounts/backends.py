"""Authentication: Django's model backend, loading the user's profile with the user, kept between requests
(see accounts.signed_in)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .signed_in import signed_in_user


class ProfileModelBackend(ModelBackend):
    """Every request loads the signed-in user; the profile (time zone) comes in the same query, so the
    time-zone middleware costs nothing."""

    def get_user(self, user_id):
        user = signed_in_user(user_id, lambda: self._read_user(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _read_user(user_id):
        from django.contrib.auth import get_user_model

        try:
            return get_user_model()._default_manager.select_related("profile").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
