"""Contact transactions: a contact's Transactions tab, "Add a transaction" to it, and "Record a
transaction" for a contact found (or created) by ID, external reference, e-mail or phone."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from web.crud import Column, CrudFormView, CrudListView
from web.htmx import is_partial

from .. import selectors, services
from ..transaction_forms import TransactionForm, TransactionUpsertForm
from .base import DirectoryMixin, ObjectListErrors, full_name
from .contacts import ContactMixin


def data_text(transaction: dict) -> str:
    """"OrderId: ORD-1 · Amount: 19.90"."""
    return " · ".join(f"{key}: {value}" for key, value in (transaction.get("data") or {}).items())


def transaction_id(transaction: dict) -> str:
    return str(transaction.get("id") or transaction.get("transactionId") or "")


class ListAndBatchChoices:
    """The directory's mailing lists and transaction batches, for the transaction forms."""

    @cached_property
    def mailing_lists(self) -> list[tuple[str, str]]:
        return selectors.mailing_list_choices(**self.connection_and_actor(), directory_id=self.directory_id)

    @cached_property
    def batches(self) -> list[tuple[str, str]]:
        return selectors.batch_choices(**self.connection_and_actor(), directory_id=self.directory_id)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "mailing_lists": self.mailing_lists, "batches": self.batches}


class ContactTransactionListView(ObjectListErrors, ContactMixin, CrudListView):
    """A contact's transactions, newest first, each with its list and data."""

    resource = "contacts:contact_transaction"
    verbose_name = "transaction"
    id_field = "id"
    parent_kwargs_names = ("directory_id", "contact_id")
    fetch_in_background = True
    template_name = "contacts/contact_transactions.html"
    page_sizes = (25, 50, 100)
    default_page_size = 25
    empty_message = "No transactions for this contact yet."
    create_label = "Add a transaction"

    @property
    def columns(self):
        columns = [
            Column("Date", "transactionDate", kind="datetime"),
            Column("Mailing list", "listName"),
            Column("Data", data_text),
            Column("Transaction ID", transaction_id, kind="mono"),
        ]
        if self.can_write:
            columns.insert(0, Column("", self.checkbox, css="text-center"))
        return columns

    @staticmethod
    def checkbox(transaction: dict):
        return format_html('<input class="form-check-input" type="checkbox" name="transaction_ids" value="{}" '
                           'form="to-batch" aria-label="Choose {}">', transaction_id(transaction),
                           transaction_id(transaction))

    def fetch_page(self, *, cursor, page_size, search):
        reads = {**self.connection_and_actor(), "directory_id": self.directory_id}
        page = selectors.contact_transaction_page(**reads, contact_id=self.kwargs["contact_id"], page_size=page_size,
                                                  cursor=cursor)
        names = dict(selectors.mailing_list_choices(**reads))
        for item in page.items:
            item["listName"] = names.get(item.get("mailingListId"), item.get("mailingListId"))
        return page

    def row_url(self, item):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contact_tab"] = "transactions"
        if not is_partial(self.request):
            contact = self.get_object()
            context.update(object=contact, name=full_name(contact))
            if self.can_write:
                context["batches"] = selectors.batch_choices(**self.connection_and_actor(),
                                                             directory_id=self.directory_id)
        return context


class TransactionFormView(ListAndBatchChoices, ContactMixin, CrudFormView):
    """Add a transaction to this contact."""

    resource = "contacts:contact_transaction"
    verbose_name = "transaction"
    object_kwarg = "transaction_id"  # never in the URL: a transaction is only ever added here
    parent_kwargs_names = ("directory_id", "contact_id")
    form_class = TransactionForm
    template_name = "contacts/form.html"
    submit_label = "Add the transaction"
    cancel_to_detail = False

    @cached_property
    def contact(self) -> dict:
        return self.get_object()

    def get_initial(self):
        initial = super().get_initial()
        memberships = selectors.contact_memberships(self.contact)
        if memberships:
            initial["mailing_list_id"] = memberships[0]["mailingListId"]
        return initial

    def form_title(self) -> str:
        return f"Add a transaction to {full_name(self.contact)}"

    def save(self, form):
        data = form.cleaned_data
        return services.transaction_create(
            **self.connection_and_actor(), directory_id=self.directory_id, contact_id=self.kwargs["contact_id"],
            mailing_list_id=data["mailing_list_id"], date=data["date"], data=data["data"],
            batch_id=data.get("batch_id") or "")

    def success_text(self, form, result) -> str:
        return f"Added transaction {result} to {full_name(self.contact)}."

    def success_url_for(self, result) -> str:
        return self.list_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = ["The transaction joins the contact's history with its date and data; a distribution "
                            "to a transaction batch can use the data."]
        return context


class TransactionUpsertView(ListAndBatchChoices, DirectoryMixin, CrudFormView):
    """Record a transaction for a contact found by ID, external reference, e-mail or phone, or created."""

    resource = "contacts:transaction"
    verbose_name = "transaction"
    object_kwarg = "transaction_id"
    form_class = TransactionUpsertForm
    template_name = "contacts/transaction_upsert.html"
    submit_label = "Record the transaction"

    def form_title(self) -> str:
        return "Record a transaction"

    def list_url(self) -> str:
        return reverse("contacts:contact_list", kwargs=self.url_kwargs())

    def save(self, form):
        data = form.cleaned_data
        return services.transaction_upsert(
            **self.connection_and_actor(), directory_id=self.directory_id, mailing_list_id=data["mailing_list_id"],
            date=data["date"], data=data["data"], contact_id=data.get("contact_id") or "", lookup=form.lookup(),
            new_contact=form.new_contact(), batch_id=data.get("batch_id") or "")

    def success_text(self, form, result) -> str:
        if result["created"]:
            return f"Created contact {result['contact_id']} and added transaction {result['transaction_id']}."
        how = {"contactId": "by its ID", "extRef": "by external reference", "email": "by e-mail",
               "phone": "by phone"}[result["matched_on"]]
        return f"Found the contact {how} and added transaction {result['transaction_id']}."

    def success_url_for(self, result) -> str:
        return reverse("contacts:contact_transaction_list", kwargs=self.url_kwargs(contact_id=result["contact_id"]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = [
            "The transaction goes to the contact with the contact ID given. Without one, the contact is looked up "
            "by external reference, then e-mail, then phone number, in that order.",
            "When none is found, a contact is created with those fields and the first name, last name, language, "
            "unsubscribed flag and embedded data given here (they are used for a new contact only, and never "
            "become transaction data).",
        ]
        return context
