"""One small generic mechanism for the portal's many list/detail/form/delete screens.

Each screen is a short subclass that names its resource, its columns and the selector/service it
calls. The same views serve objects that live only in Qualtrics (contacts, lists, users, groups) and
the portal's own records. Templates: one set in templates/crud/ whose headers list their context.

These views know nothing of where a resource lives (which connection, which user may write). A screen
composes them with a mixin that tells them, through a small protocol:

- `can_write` (bool): the user may create, change and delete here; lists offer "New …" only then;
- `write_screen` (bool, declared here): a form or a confirmation, which even opening needs the right to
  write (a form its user could never submit is not shown to them); the scoping mixin enforces it;
- `url_kwargs(**extra)`: the keyword arguments of this screen's routes. The generic version gives the
  `parent_kwargs_names` taken from the URL plus `extra`; a scoping mixin adds its own (for example
  the connection's id) around `super().url_kwargs(**extra)`;
- `get_context_data()`: a scoping mixin adds what its templates need (for example the connection).

The mixin comes first in the bases, so that its `dispatch` has resolved the scope before the
generic `dispatch` runs the view.

Errors take the one path of web.errors: a screen explains an error through its `explain_error` hook
(in its table, on its form, in its confirmation) and answers one that escapes it through its
`error_response` hook (by default a page of its own; for htmx, a toast).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template, render_to_string, select_template
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView
from django_htmx.http import HttpResponseClientRedirect

from qualtrics import Page

from . import background
from .errors import EXPLAINABLE_ERRORS, error_response, explain, page_status
from .forms import add_service_error
from .htmx import is_partial
from .list_table import RenderedLast, TableData, answers_within
from .page_keys import recall_page
from .params import whole_number
from .sorting import Sort, heading, sort_from, unsorted_query


def value_of(item: Any, attr: str | Callable) -> Any:
    """`attr` as a callable, or a dotted path through dicts and objects."""
    if callable(attr):
        return attr(item)
    if isinstance(item, dict) and "." not in attr:  # the common case: a field of a Qualtrics object
        value = item.get(attr)
        return value() if callable(value) else value
    value = item
    for part in attr.split("."):
        if value is None:
            return None
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value() if callable(value) else value


@dataclass
class Column:
    label: str
    attr: str | Callable
    link: bool = False
    kind: str = "text"  # text | mono | bool | date | datetime | badge | number
    css: str = ""
    # What the list sorts by when a user clicks this column's heading (a field or annotation of the
    # portal's own records); "" for a column that cannot be sorted, like those Qualtrics pages for us.
    sort: str = ""


def queryset_page(queryset, *, cursor: str | None, page_size: int) -> Page:
    """One page of the portal's own records for a list screen: the cursor is the offset of its first row."""
    try:
        offset = max(int(cursor or 0), 0)
    except ValueError:
        offset = 0
    items = list(queryset[offset: offset + page_size + 1])
    more = len(items) > page_size
    return Page(items[:page_size], str(offset + page_size) if more else None, total=queryset.count())


class ResourceMixin:
    """Names the resource: `resource = "contacts:contact"` gives URL names contacts:contact_list, …"""

    resource: str = ""
    verbose_name: str = "item"
    verbose_name_plural: str = ""
    id_field: str = "id"
    object_kwarg: str = "object_id"
    parent_kwargs_names: tuple[str, ...] = ()
    partial: str = "content"
    # The template that defines `partial` (a screen template extending crud/*.html inherits the
    # partial but cannot render it by its own name).
    partial_template_name: str = ""
    can_write: bool  # given by the scoping mixin the screen is composed with (see above)
    write_screen: bool = False  # forms and confirmations say True (see above)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except EXPLAINABLE_ERRORS as exc:
            return self.error_response(exc)

    def explain_error(self, exc: Exception) -> dict:
        """How this screen explains an error (see web.errors.explain): a screen may adjust the words, or
        set `replaces_page` when the error means the screen cannot work at all."""
        return explain(exc)

    def error_response(self, exc: Exception) -> HttpResponse:
        """The answer when an explainable error escapes the screen: a page that explains it (for htmx, a
        toast)."""
        return error_response(self.request, self.explain_error(exc))

    def url_kwargs(self, **extra) -> dict:
        kwargs = {name: self.kwargs[name] for name in self.parent_kwargs_names}
        kwargs.update(extra)
        return kwargs

    def resource_url(self, action: str, obj: Any = None) -> str:
        extra = {self.object_kwarg: self.object_id_of(obj)} if obj is not None else {}
        return reverse(f"{self.resource}_{action}", kwargs=self.url_kwargs(**extra))

    def object_id_of(self, obj: Any) -> str:
        return obj if isinstance(obj, str) else str(value_of(obj, self.id_field))

    def list_url(self) -> str:
        return self.resource_url("list")

    def detail_url(self, obj: Any) -> str | None:
        return self.resource_url("detail", obj)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            view=self,
            can_write=self.can_write,
            verbose_name=self.verbose_name,
            verbose_name_plural=self.verbose_name_plural or f"{self.verbose_name}s",
        )
        return context

    def partial_template(self):
        # The screen's own template first; a partial it only inherits is found in the generic one.
        names = [f"{self.template_name}#{self.partial}"]
        if self.partial_template_name:
            names.append(f"{self.partial_template_name}#{self.partial}")
        return select_template(names)

    def render_page(self, context, status: int = 200, last: RenderedLast | None = None):
        """The screen (its partial for htmx); `last` is HTML put where the page shows it once the rest is rendered."""
        if is_partial(self.request):
            html = self.partial_template().render(context, self.request)
        else:
            html = get_template(self.template_name).render(context, self.request)
        return HttpResponse(last.put_into(html) if last is not None else html, status=status)


class CrudListView(ResourceMixin, TemplateView):
    """A paged table. Subclasses set `columns` and implement `fetch_page`, which returns a `qualtrics.Page`:
    the client's page as a selector hands it over, or one the screen builds (of the portal's own records,
    or of a list read and filtered), whose `next_page` is the cursor the screen gets back for the next
    page, kept under a short key that the URL carries (see `remember_page`). The page's `notice` and `total`
    are shown with the table; `page_number` is the number of the page being shown (1 for the first)."""

    template_name = "crud/list.html"
    partial_template_name = "crud/list.html"
    partial = "table"
    columns: list[Column] = []
    page_sizes: tuple[int, ...] = (25, 50, 100)
    default_page_size = 50
    search_form_class = None
    empty_message = "Nothing here yet."
    summary_noun = ""  # what the footer counts ("312 transactions"); default: the plural of verbose_name
    create_label = ""
    row_url_name = ""  # where a row links to; default: the resource's detail page
    # True when fetch_page only reads Qualtrics (no database): it then runs in a background thread
    # while the page around the table renders (see web.background).
    fetch_in_background = False
    page_number = 1
    # Templates drawn above and under the table, inside what htmx swaps (context: the table's): e.g. an
    # action on the rows found, or an element that loads more about the rows shown once the page is there.
    table_header_template = ""
    table_footer_template = ""

    def fetch_page(self, *, cursor: str | None, page_size: int, search: dict) -> Page:
        raise NotImplementedError

    @cached_property
    def sort(self) -> Sort | None:
        """The order the user chose by a column's heading (see web.sorting), or None for the list's own."""
        return sort_from(self.request.GET.get("sort"), (c.sort for c in self.page_columns if c.sort))

    def sorted(self, queryset):
        """`queryset` in the order the user chose, or as it came: for `fetch_page` of the portal's own records."""
        return self.sort.apply(queryset) if self.sort else queryset

    def headings(self) -> list[dict]:
        return [heading(c.label, c.sort, self.sort, self.query, c.css) for c in self.page_columns]

    def row_url(self, item) -> str | None:
        """The link of a row: the resource's detail page (or `row_url_name`). Reversed once per page
        with a placeholder id where the route accepts one, else once per row."""
        value = value_of(item, self.id_field)
        if not value:
            return None
        if self.row_url_pattern:
            return quote(str(value), safe="").join(self.row_url_pattern)
        try:
            return reverse(self.row_url_route, kwargs=self.url_kwargs(**{self.object_kwarg: str(value)}))
        except NoReverseMatch:  # a resource without a detail page
            return None

    @property
    def row_url_route(self) -> str:
        return self.row_url_name or f"{self.resource}_detail"

    @cached_property
    def row_url_pattern(self) -> tuple[str, ...]:
        """The row link split around the object id, or () when the route refuses a placeholder."""
        marker = "ROWIDMARKER"
        try:
            url = reverse(self.row_url_route, kwargs=self.url_kwargs(**{self.object_kwarg: marker}))
        except NoReverseMatch:
            return ()
        return tuple(url.split(marker))

    def page_size(self) -> int:
        size = whole_number(self.request.GET.get("page_size"), self.default_page_size)
        return size if size in self.page_sizes else self.default_page_size

    def search_form(self):
        """The search form (of `search_form_class`) as the request fills it, None for a screen without one. A
        screen whose form takes more than the data overrides this."""
        return self.search_form_class(self.request.GET or None) if self.search_form_class else None

    def search(self, search_form) -> dict:
        """What the user searches for: the form's values that are set."""
        return _values_set(search_form) if search_form is not None else {}

    def get(self, request, *args, **kwargs):
        # The Qualtrics read starts before anything it does not need: without a search in the URL, the search
        # is the form's empty one (worked out once per process), and the form is made while Qualtrics answers.
        search_form = None
        if self.search_form_class is None or not request.GET:
            search = {}  # as an unbound form gives
        elif not request.GET.keys() & self.search_form_class.base_fields.keys():
            search = _empty_search(self.search_form_class)
        else:
            search_form = self.search_form()
            search = self.search(search_form)
        key = request.GET.get("page") or ""
        place = recall_page(request.path, key)
        self.page_number = place["number"] if place else 1
        fetch_kwargs = {"cursor": place["cursor"] if place else None, "page_size": self.page_size(),
                        "search": search}
        future = None
        if self.fetch_in_background and not is_partial(request):
            future = background.start_request(self.fetch_page, **fetch_kwargs)
            answer = future.result
            grace_ends = time.monotonic() + settings.LIST_TABLE_GRACE_SECONDS
            if type(self).row_url is CrudListView.row_url:
                self.row_url_pattern  # noqa: B018 - worked out while Qualtrics answers
        else:
            answer = functools.partial(self.fetch_page, **fetch_kwargs)
        if search_form is None:
            search_form = self.search_form()
        table_data = TableData(self, answer, key if place else "", expired=bool(key) and place is None)
        context = self.get_context_data(
            page=table_data.lazy("page"),
            rows=table_data.lazy("rows"),
            columns=self.page_columns,
            headings=self.headings(),
            current_sort=self.sort.param if self.sort else "",
            unsorted_query=unsorted_query(self.request) if self.sort else "",
            search_form=search_form,
            error=table_data.lazy("error"),
            next_query=table_data.lazy("next_query"),
            prev_query=self.query(page=place["previous"]) if place else None,
            page_number=self.page_number,
            page_sizes=self.page_sizes,
            current_page_size=self.page_size(),
            empty_message=self.empty_message,
            create_url=self.create_url(),
            create_label=self.create_label or f"New {self.verbose_name}",
        )
        loading = False

        def table() -> str:
            # The rest of the page has rendered while Qualtrics answered; a slow Qualtrics gets the rest of the
            # grace, then the page goes out with a loading table that htmx fetches on load.
            nonlocal loading
            if future is not None and not answers_within(future, grace_ends - time.monotonic()):
                loading = True
                return render_to_string("web/table_loading.html", {"url": request.get_full_path(),
                                                                   "what": context.get("verbose_name_plural")})
            return self.render_table(context)

        context["table"] = last = RenderedLast(table)
        try:
            response = self.render_page(context, last=last)
            if not loading:
                table_data.parts  # noqa: B018 - a template that never showed the table still waits for (and checks) the answer
        finally:
            table_data.settle()
        return response

    def render_table(self, context) -> str:
        """The table partial, rendered where the page outputs `{{ table }}`. The page's context processors
        have already run for the layout around it: the table needs only the view's context."""
        table_context = Context({**context, "request": self.request, "csrf_token": get_token(self.request)})
        return self.partial_template().template.render(table_context)

    def create_url(self) -> str | None:
        if not self.can_write:
            return None
        try:
            return self.resource_url("create")
        except Exception:
            return None

    @cached_property
    def page_columns(self) -> list[Column]:
        """The columns, worked out once per page (`columns` may be a property that builds them)."""
        return list(self.columns)

    def query(self, **params) -> str:
        q = self.request.GET.copy()
        for key in ("page", "cursor", "trail"):
            q.pop(key, None)
        for key, value in params.items():
            if isinstance(value, list):
                q.setlist(key, value)
            elif value:
                q[key] = value
        return q.urlencode()


def _values_set(search_form) -> dict:
    """A search form's valid values that are set (none when it is not valid)."""
    search = search_form.cleaned_data if search_form.is_valid() else {}
    return {k: v for k, v in search.items() if v not in (None, "")}


@functools.cache
def _empty_search(form_class) -> dict:
    """The search of a list whose URL gives none of its search form's fields (the same for every request)."""
    return _values_set(form_class({}))


class ObjectScreenMixin(ResourceMixin):
    """A screen of one object (detail, form, delete)."""

    def error_response(self, exc: Exception) -> HttpResponse:
        """An object Qualtrics cannot give (deleted, token refused…): the page explains it, with the way
        back to the list."""
        plural = self.verbose_name_plural or f"{self.verbose_name}s"
        context = {"back_url": self.list_url(), "back_label": f"Back to the {plural}"}
        return error_response(self.request, self.explain_error(exc), context=context, status=page_status(exc))


class CrudDetailView(ObjectScreenMixin, TemplateView):
    """One object. Subclasses implement `get_object` and give a template of their own."""

    partial = "content"

    def get_object(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_page(self.get_context_data(object=self.object))


class CrudFormView(ObjectScreenMixin, FormView):
    """Create (no object id in the URL) or edit. Subclasses implement `save` (and `get_object`)."""

    template_name = "crud/form.html"
    partial_template_name = "crud/form.html"
    partial = "form"
    write_screen = True
    success_message = "Saved “{name}”."
    submit_label = ""  # the button's words; default "Create" or "Save changes"
    cancel_to_detail = True

    @property
    def is_create(self) -> bool:
        return self.object_kwarg not in self.kwargs

    def get_object(self):
        return None

    @cached_property
    def object(self):
        return None if self.is_create else self.get_object()

    def initial_from(self, obj) -> dict:
        return dict(obj) if isinstance(obj, dict) else {}

    def get_initial(self):
        initial = super().get_initial()
        if self.object is not None:
            initial.update(self.initial_from(self.object))
        return initial

    def save(self, form) -> Any:
        """Call the service; return the created/updated object or its id. What the service refuses (a
        ValidationError, an explainable error) is shown on the form."""
        raise NotImplementedError

    def success_url_for(self, result) -> str:
        try:
            return self.detail_url(result if result is not None else self.kwargs[self.object_kwarg])
        except Exception:
            return self.list_url()

    def object_name(self, form, result) -> str:
        data = form.cleaned_data
        for key in ("name", "username", "email", "lastName", "firstName"):
            if data.get(key):
                return str(data[key])
        return self.verbose_name

    def get(self, request, *args, **kwargs):
        return self.render_page(self.get_context_data())

    def form_valid(self, form):
        try:
            result = self.save(form)
        except (ValidationError, *EXPLAINABLE_ERRORS) as exc:
            self.show_refusal(form, exc)
            return self.form_invalid(form)
        if form.errors:  # the service may add field errors (e.g. a duplicate found first)
            return self.form_invalid(form)
        return self.saved_response(form, result)

    def show_refusal(self, form, exc: Exception) -> None:
        """What the service refused, on the form (its fields' errors on them, the rest above the form)."""
        add_service_error(form, exc, explain=self.explain_error)

    def success_text(self, form, result) -> str:
        return self.success_message.format(name=self.object_name(form, result))

    def saved_response(self, form, result):
        """The answer once saved: a message, then the object's page."""
        messages.success(self.request, self.success_text(form, result))
        url = self.success_url_for(result)
        if is_partial(self.request):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

    def form_invalid(self, form):
        return self.render_page(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cancel = None
        if not self.is_create and self.cancel_to_detail:
            try:
                cancel = self.detail_url(self.kwargs[self.object_kwarg])
            except Exception:
                cancel = None
        context.update(
            object=self.object,
            is_create=self.is_create,
            cancel_url=cancel or self.list_url(),
            form_title=self.form_title(),
            submit_label=self.submit_label or ("Create" if self.is_create else "Save changes"),
        )
        return context

    def form_title(self) -> str:
        if self.is_create:
            return f"New {self.verbose_name}"
        return f"Edit {self.verbose_name}"


class CrudDeleteView(ObjectScreenMixin, TemplateView):
    """A confirmation page (a modal when opened with htmx) that names the consequences, then delete."""

    template_name = "crud/confirm_delete.html"
    partial_template_name = "crud/confirm_delete.html"
    partial = "confirm"
    write_screen = True
    success_message = "Deleted “{name}”."
    # The same confirmation serves other one-way actions (disabling an account): the verb on the title
    # and the button, and what the page says about undoing it.
    verb = "Delete"
    undo_note = "This cannot be undone."

    def get_object(self):
        raise NotImplementedError

    def delete(self, obj) -> Any:
        """Call the service; what it returns reaches `success_text` (what else the deletion did)."""
        raise NotImplementedError

    def success_text(self, obj, result) -> str:
        return self.success_message.format(name=self.object_label(obj))

    def object_label(self, obj) -> str:
        for key in ("name", "username", "email"):
            value = value_of(obj, key)
            if value:
                return str(value)
        return self.object_id_of(obj)

    def consequences(self, obj) -> Iterable[str]:
        return ()

    def after_delete_url(self, obj) -> str:
        return self.list_url()

    def context_for(self, obj, error=None):
        return self.get_context_data(
            object=obj,
            object_label=self.object_label(obj),
            consequences=list(self.consequences(obj)),
            verb=self.verb,
            undo_note=self.undo_note,
            error=error,
            cancel_url=self.detail_url(obj) if self.has_detail else self.list_url(),
        )

    has_detail = True

    def get(self, request, *args, **kwargs):
        return self.render_page(self.context_for(self.get_object()))

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            result = self.delete(obj)
        except EXPLAINABLE_ERRORS as exc:
            return self.render_page(self.context_for(obj, error=self.explain_error(exc)))
        messages.success(request, self.success_text(obj, result))
        url = self.after_delete_url(obj)
        if is_partial(request):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

