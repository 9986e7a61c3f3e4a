"""A directory's transaction batches: list, create, see their members (the transactions and their
contacts), add transactions, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from connections.access import connection_view
from connections.models import Role
from web.crud import Column, CrudDeleteView, CrudFormView, CrudListView
from web.errors import EXPLAINABLE_ERRORS, error_text
from web.htmx import is_partial

from .. import selectors, services
from ..transaction_forms import BatchAddForm
from .base import DirectoryMixin, ObjectListErrors, full_name
from .transactions import data_text


def transaction_count(batch: dict) -> int:
    return len(batch.get("transactionIds") or [])


class BatchMixin(DirectoryMixin):
    resource = "contacts:batch"
    verbose_name = "transaction batch"
    id_field = "id"
    object_kwarg = "batch_id"
    tab = "batches"

    def get_object(self):
        return selectors.batch_get(**self.connection_and_actor(), directory_id=self.directory_id,
                                   batch_id=self.kwargs["batch_id"])


class BatchListView(BatchMixin, CrudListView):
    fetch_in_background = True
    template_name = "contacts/batch_list.html"
    page_sizes = (25, 50, 100)
    default_page_size = 50
    empty_message = "No transaction batches in this directory yet."
    columns = [
        Column("Batch", "id", link=True, kind="mono"),
        Column("Transactions", transaction_count, kind="number", css="text-end"),
        Column("Created", "creationDate", kind="datetime"),
    ]

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.batch_page(**self.connection_and_actor(), directory_id=self.directory_id,
                                    page_size=page_size, cursor=cursor)


class BatchCreateView(BatchMixin, CrudFormView):
    """A new batch, empty or with transactions given by ID."""

    form_class = BatchAddForm
    template_name = "contacts/form.html"
    submit_label = "Create the batch"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["transaction_ids"].required = False
        form.fields["transaction_ids"].help_text = "Optional: transactions to put in it now, by ID."
        return form

    def save(self, form):
        ids = form.cleaned_data.get("transaction_ids") or []
        return services.batch_create(**self.connection_and_actor(), directory_id=self.directory_id,
                                     transaction_ids=ids)

    def success_text(self, form, result) -> str:
        return f"Created transaction batch {result}."

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["intro"] = ["A batch groups transactions; a distribution can go to everyone in it. Transactions "
                            "come from contacts' Transactions tabs, from “Record a transaction” and from CSV "
                            "imports, which can put every row's transaction in a batch."]
        return context


class BatchDetailView(ObjectListErrors, BatchMixin, CrudListView):
    """The batch's members: each transaction with its contact, list, date and data."""

    fetch_in_background = True
    back_url_name = "contacts:batch_list"
    back_label = "Back to the transaction batches"
    template_name = "contacts/batch_detail.html"
    page_sizes = (25,)
    default_page_size = 25
    parent_kwargs_names = ("directory_id", "batch_id")
    empty_message = "This batch holds no transactions yet."
    summary_noun = "transactions"
    columns = [
        Column("Contact", lambda t: full_name(t["contact"]) if t.get("contact") else f"{t.get('contactId')} "
               "(no longer in the directory)", link=True),
        Column("E-mail", "contact.email"),
        Column("Mailing list", "listName"),
        Column("Date", "transactionDate", kind="datetime"),
        Column("Data", data_text),
    ]

    def fetch_page(self, *, cursor, page_size, search):
        return selectors.batch_transaction_page(**self.connection_and_actor(), directory_id=self.directory_id,
                                                batch_id=self.kwargs["batch_id"], page_size=page_size, cursor=cursor)

    def row_url(self, item):
        if not item.get("contact"):
            return None
        return reverse("contacts:contact_detail", kwargs={"connection_id": self.connection.pk,
                                                          "directory_id": self.directory_id,
                                                          "contact_id": item["contactId"]})

    def create_url(self):
        return None

    def list_url(self):
        return reverse("contacts:batch_list", kwargs={"connection_id": self.connection.pk,
                                                      "directory_id": self.directory_id})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not is_partial(self.request):
            context["batch"] = self.get_object()
            context["add_form"] = BatchAddForm() if self.can_write else None
        return context


class BatchAddView(BatchMixin, CrudFormView):
    """Add transactions to the batch, by ID."""

    form_class = BatchAddForm
    template_name = "contacts/form.html"
    submit_label = "Add to the batch"

    def get_object(self):
        return None  # a batch deleted meanwhile is explained when adding, on the form

    def form_title(self) -> str:
        return f"Add transactions to {self.kwargs['batch_id']}"

    def save(self, form):
        return services.batch_add_transactions(**self.connection_and_actor(), directory_id=self.directory_id,
                                               batch_id=self.kwargs["batch_id"],
                                               transaction_ids=form.cleaned_data["transaction_ids"])

    def success_url_for(self, result) -> str:
        return self.detail_url(self.kwargs["batch_id"])

    def success_text(self, form, result) -> str:
        given = len(form.cleaned_data["transaction_ids"])
        already = given - result
        return f"Added {result} transaction{'' if result == 1 else 's'} to the batch" + (
            f" ({already} already in it)." if already else ".")


class BatchDeleteView(BatchMixin, CrudDeleteView):
    success_message = "Deleted transaction batch {name}."

    def object_label(self, obj) -> str:
        return obj.get("id") or self.kwargs["batch_id"]

    def delete(self, obj):
        services.batch_delete(**self.connection_and_actor(), directory_id=self.directory_id,
                              batch_id=self.kwargs["batch_id"])

    def consequences(self, obj):
        count = transaction_count(obj)
        yield f"Its {count} transaction{'' if count == 1 else 's'} stay in the contacts' histories."
        yield "Distributions scheduled to this batch will fail to send."


@connection_view(Role.OPERATOR)
@require_POST
def batch_add_selected(request, connection_id, directory_id):
    """The transactions ticked on a contact's Transactions tab, into the batch chosen beside them."""
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("contacts:contact_list", kwargs={"connection_id": connection_id, "directory_id": directory_id})
    batch_id = (request.POST.get("batch_id") or "").strip()
    ids = request.POST.getlist("transaction_ids")
    if not batch_id or not ids:
        messages.warning(request, "Tick the transactions and choose a batch to add them to.")
    else:
        try:
            added = services.batch_add_transactions(connection=request.connection, actor=request.user,
                                                    directory_id=directory_id, batch_id=batch_id,
                                                    transaction_ids=ids)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except EXPLAINABLE_ERRORS as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"Added {added} transaction{'' if added == 1 else 's'} to {batch_id}.")
    return HttpResponseClientRedirect(back) if is_partial(request) else HttpResponseRedirect(back)
