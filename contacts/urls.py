from django.urls import path

from . import views

app_name = "contacts"

directory = "<str:directory_id>/"
contact = directory + "contacts/<str:contact_id>/"
mailing_list = directory + "lists/<str:mailing_list_id>/"
member = mailing_list + "members/<str:contact_id>/"
an_import = mailing_list + "imports/<int:import_id>/"

urlpatterns = [
    path("", views.DirectoryListView.as_view(), name="home"),
    # Directory contacts
    path(directory + "contacts/", views.ContactListView.as_view(), name="contact_list"),
    path(directory + "contacts/new/", views.ContactFormView.as_view(), name="contact_create"),
    path(directory + "contacts/embedded-row/", views.embedded_row, name="embedded_row"),
    path(directory + "contacts/export.csv", views.contact_export, name="contact_export"),
    path(contact, views.ContactDetailView.as_view(), name="contact_detail"),
    path(contact + "edit/", views.ContactFormView.as_view(), name="contact_edit"),
    path(contact + "delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    # Mailing lists
    path(directory + "lists/", views.MailingListListView.as_view(), name="mailinglist_list"),
    path(directory + "lists/new/", views.MailingListFormView.as_view(), name="mailinglist_create"),
    path(mailing_list, views.mailinglist_detail, name="mailinglist_detail"),
    path(mailing_list + "edit/", views.MailingListFormView.as_view(), name="mailinglist_edit"),
    path(mailing_list + "delete/", views.MailingListDeleteView.as_view(), name="mailinglist_delete"),
    # Members of a list
    path(mailing_list + "members/", views.MemberListView.as_view(), name="member_list"),
    path(mailing_list + "members/opted-out/", views.OptedOutMemberListView.as_view(), name="member_opted_out"),
    path(mailing_list + "members/bounced/", views.BouncedMemberListView.as_view(), name="member_bounced"),
    path(mailing_list + "members/new/", views.MemberFormView.as_view(), name="member_create"),
    path(mailing_list + "members/export.csv", views.member_export, name="member_export"),
    path(member, views.MemberDetailView.as_view(), name="member_detail"),
    path(member + "edit/", views.MemberFormView.as_view(), name="member_edit"),
    path(member + "remove/", views.MemberDeleteView.as_view(), name="member_delete"),
    # Bulk CSV import into a list
    path(mailing_list + "imports/", views.import_list, name="import_list"),
    path(mailing_list + "imports/new/", views.import_create, name="import_create"),
    path(an_import, views.import_detail, name="import_detail"),
    path(an_import + "map/", views.import_map, name="import_map"),
    path(an_import + "start/", views.import_start, name="import_start"),
    path(an_import + "cancel/", views.import_cancel, name="import_cancel"),
    path(an_import + "progress/", views.import_progress, name="import_progress"),
    path(an_import + "rejected.csv", views.import_rejected, name="import_rejected"),
]
