from django.urls import path

from .views import adding, batches, contacts, directories, exports, imports, mailing_lists, members, transactions

app_name = "contacts"

directory = "<str:directory_id>/"
contact = directory + "contacts/<str:contact_id>/"
mailing_list = directory + "lists/<str:mailing_list_id>/"
member = mailing_list + "members/<str:contact_id>/"
an_import = mailing_list + "imports/<int:import_id>/"
batch = directory + "batches/<str:batch_id>/"

urlpatterns = [
    path("", directories.DirectoryListView.as_view(), name="home"),
    # Directory contacts
    path(directory + "contacts/", contacts.ContactListView.as_view(), name="contact_list"),
    path(directory + "contacts/new/", contacts.ContactFormView.as_view(), name="contact_create"),
    path(directory + "contacts/embedded-row/", contacts.embedded_row, name="embedded_row"),
    path(directory + "contacts/export.csv", exports.contact_export, name="contact_export"),
    path(directory + "contacts/add-to-list/", adding.SearchResultsToListView.as_view(), name="contact_results_to_list"),
    path(contact, contacts.ContactDetailView.as_view(), name="contact_detail"),
    path(contact + "edit/", contacts.ContactFormView.as_view(), name="contact_edit"),
    path(contact + "delete/", contacts.ContactDeleteView.as_view(), name="contact_delete"),
    path(contact + "add-to-list/", adding.ContactAddToListView.as_view(), name="contact_add_to_list"),
    # Contact transactions
    path(contact + "transactions/", transactions.ContactTransactionListView.as_view(),
         name="contact_transaction_list"),
    path(contact + "transactions/new/", transactions.TransactionFormView.as_view(),
         name="contact_transaction_create"),
    path(directory + "transactions/record/", transactions.TransactionUpsertView.as_view(), name="transaction_upsert"),
    # Transaction batches
    path(directory + "batches/", batches.BatchListView.as_view(), name="batch_list"),
    path(directory + "batches/new/", batches.BatchCreateView.as_view(), name="batch_create"),
    path(directory + "batches/add-selected/", batches.batch_add_selected, name="batch_add_selected"),
    path(batch, batches.BatchDetailView.as_view(), name="batch_detail"),
    path(batch + "add/", batches.BatchAddView.as_view(), name="batch_add"),
    path(batch + "delete/", batches.BatchDeleteView.as_view(), name="batch_delete"),
    # Mailing lists
    path(directory + "lists/", mailing_lists.MailingListListView.as_view(), name="mailinglist_list"),
    path(directory + "lists/new/", mailing_lists.MailingListFormView.as_view(), name="mailinglist_create"),
    path(mailing_list, mailing_lists.mailinglist_detail, name="mailinglist_detail"),
    path(mailing_list + "edit/", mailing_lists.MailingListFormView.as_view(), name="mailinglist_edit"),
    path(mailing_list + "delete/", mailing_lists.MailingListDeleteView.as_view(), name="mailinglist_delete"),
    # Members of a list
    path(mailing_list + "members/", members.MemberListView.as_view(), name="member_list"),
    path(mailing_list + "members/opted-out/", members.OptedOutMemberListView.as_view(), name="member_opted_out"),
    path(mailing_list + "members/bounced/", members.BouncedMemberListView.as_view(), name="member_bounced"),
    path(mailing_list + "members/new/", members.MemberFormView.as_view(), name="member_create"),
    path(mailing_list + "members/add-existing/", adding.member_add_existing, name="member_add_existing"),
    path(mailing_list + "members/add-existing/search/", adding.contact_picker, name="member_picker"),
    path(mailing_list + "members/add-existing/chosen/", adding.contact_chip, name="member_picker_chip"),
    path(mailing_list + "members/export.csv", exports.member_export, name="member_export"),
    path(member, members.MemberDetailView.as_view(), name="member_detail"),
    path(member + "edit/", members.MemberFormView.as_view(), name="member_edit"),
    path(member + "remove/", members.MemberDeleteView.as_view(), name="member_delete"),
    # Bulk CSV import into a list
    path(mailing_list + "imports/", imports.import_list, name="import_list"),
    path(mailing_list + "imports/new/", imports.import_create, name="import_create"),
    path(an_import, imports.import_detail, name="import_detail"),
    path(an_import + "map/", imports.import_map, name="import_map"),
    path(an_import + "start/", imports.import_start, name="import_start"),
    path(an_import + "cancel/", imports.import_cancel, name="import_cancel"),
    path(an_import + "progress/", imports.import_progress, name="import_progress"),
    path(an_import + "rejected.csv", imports.import_rejected, name="import_rejected"),
]
