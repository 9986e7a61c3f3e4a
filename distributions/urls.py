from django.urls import path

from . import views
from .models import Channel, Kind

app_name = "distributions"

compose = views.DistributionComposeView.as_view

urlpatterns = [
    path("", views.DistributionListView.as_view(), name="distribution_list"),
    path("new/email/", compose(channel=Channel.EMAIL, kind=Kind.INVITE), name="distribution_create_email"),
    path("new/sms/", compose(channel=Channel.SMS, kind=Kind.INVITE), name="distribution_create_sms"),
    path("<int:parent_id>/reminder/", compose(channel=Channel.EMAIL, kind=Kind.REMINDER),
         name="distribution_reminder"),
    path("<int:parent_id>/thank-you/", compose(channel=Channel.EMAIL, kind=Kind.THANKYOU),
         name="distribution_thankyou"),
    path("<int:distribution_id>/", views.DistributionDetailView.as_view(), name="distribution_detail"),
    path("<int:distribution_id>/edit/", compose(), name="distribution_edit"),
    path("<int:distribution_id>/cancel/", views.DistributionCancelView.as_view(), name="distribution_cancel"),
    path("<int:distribution_id>/duplicate/", views.distribution_duplicate, name="distribution_duplicate"),
    path("<int:distribution_id>/refresh/", views.distribution_refresh, name="distribution_refresh"),
    path("<int:distribution_id>/history/", views.distribution_history, name="distribution_history"),
    path("pick/directories/", views.picker_directories, name="picker_directories"),
    path("pick/libraries/", views.picker_libraries, name="picker_libraries"),
    path("pick/messages/", views.picker_messages, name="picker_messages"),
    path("pick/message-preview/", views.picker_message_preview, name="picker_message_preview"),
    path("pick/mailing-lists/", views.picker_mailing_lists, name="picker_mailing_lists"),
    path("pick/contacts/", views.picker_contacts, name="picker_contacts"),
    path("pick/samples/", views.picker_samples, name="picker_samples"),
    path("pick/transaction-batches/", views.picker_transaction_batches, name="picker_transaction_batches"),
    path("pick/sms-length/", views.sms_length_view, name="sms_length"),
]
