from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and teams"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from . import signed_in
        from .models import Profile

        for signal in (post_save, post_delete):
            signal.connect(signed_in.on_user_saved, sender=get_user_model(), dispatch_uid=f"signed-in-user-{signal}")
            signal.connect(signed_in.on_profile_saved, sender=Profile, dispatch_uid=f"signed-in-profile-{signal}")
