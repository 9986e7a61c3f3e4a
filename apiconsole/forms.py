"""The console's form: method, path, query and header rows, a JSON body; each checked before anything is sent."""

from __future__ import annotations

import json

from django import forms

from qualtrics import UnsafeRequestError
from qualtrics.paths import check_header, relative_path
from web.forms import PortalForm

from .models import Method
from .services import ConsoleRequest

MAX_BODY = 1024 * 1024
MAX_ROWS = 50
BLANK_ROWS = 2


def _rows(data, prefix: str) -> list[tuple[str, str]]:
    names = data.getlist(f"{prefix}_name")
    values = data.getlist(f"{prefix}_value")
    rows = [(str(n), str(v)) for n, v in zip(names, values + [""] * (len(names) - len(values)), strict=False)]
    return [(n, v) for n, v in rows if n.strip() or v.strip()]


class ConsoleForm(PortalForm):
    method = forms.ChoiceField(choices=Method.choices, initial=Method.GET)
    path = forms.CharField(
        max_length=1000,
        help_text="Relative to the connection's /API/v3, for example /surveys or /directories.",
        widget=forms.TextInput(attrs={"class": "mono", "placeholder": "/surveys", "spellcheck": "false",
                                      "autocomplete": "off"}),
    )
    body = forms.CharField(
        required=False,
        strip=False,
        label="Body (JSON)",
        help_text="Checked before it is sent. A GET sends none.",
        widget=forms.Textarea(attrs={"rows": 7, "class": "mono", "spellcheck": "false"}),
    )
    # Carry the errors of the rows drawn by hand (query parameters, headers); never rendered as inputs.
    query = forms.CharField(required=False, widget=forms.HiddenInput, label="Query parameters")
    headers = forms.CharField(required=False, widget=forms.HiddenInput, label="Headers")

    def __init__(self, data=None, *, rows: dict | None = None, **kwargs):
        super().__init__(data, **kwargs)
        if data is not None:
            self.query_rows = _rows(data, "query")
            self.header_rows = _rows(data, "header")
        else:
            rows = rows or {}
            self.query_rows = [tuple(r) for r in rows.get("query", [])]
            self.header_rows = [tuple(r) for r in rows.get("headers", [])]

    def clean_path(self) -> str:
        try:
            return relative_path(self.cleaned_data["path"].strip(), allow_api_prefix=True)
        except UnsafeRequestError as exc:
            raise forms.ValidationError(f"This path is refused: {exc.message}.") from None

    def clean(self):
        cleaned = super().clean()
        if len(self.query_rows) > MAX_ROWS or len(self.header_rows) > MAX_ROWS:
            raise forms.ValidationError(f"At most {MAX_ROWS} query parameters and {MAX_ROWS} headers.")
        query = []
        for name, value in self.query_rows:
            if not name.strip():
                self.add_error("query", f"The parameter with value “{value[:40]}” has no name.")
            else:
                query.append((name.strip(), value))
        headers = []
        for name, value in self.header_rows:
            try:
                headers.append(check_header(name, value))
            except UnsafeRequestError as exc:
                self.add_error("headers", f"{exc.message[:1].upper()}{exc.message[1:]}.")
        cleaned["query_pairs"] = tuple(query)
        cleaned["header_pairs"] = tuple(headers)
        body = cleaned.get("body") or ""
        if body.strip():
            if cleaned.get("method") == Method.GET:
                self.add_error("body", "A GET sends no body: empty it, or choose another method.")
            elif len(body.encode("utf-8")) > MAX_BODY:
                self.add_error("body", f"The body is larger than {MAX_BODY // 1024} KB.")
            else:
                try:
                    json.loads(body)
                except ValueError as exc:
                    self.add_error("body", f"The body is not valid JSON: {exc}.")
        cleaned["body"] = body if body.strip() else ""
        return cleaned

    def console_request(self) -> ConsoleRequest:
        data = self.cleaned_data
        return ConsoleRequest(method=data["method"], path=data["path"], query=data["query_pairs"],
                              headers=data["header_pairs"], body=data["body"])

    @staticmethod
    def _drawn(rows) -> list[tuple[str, str]]:
        """The rows to draw: those given, then blank ones to type into."""
        return list(rows) + [("", "")] * max(BLANK_ROWS - len(rows), 1)

    @property
    def query_drawn(self) -> list[tuple[str, str]]:
        return self._drawn(self.query_rows)

    @property
    def header_drawn(self) -> list[tuple[str, str]]:
        return self._drawn(self.header_rows)


class SaveForm(PortalForm):
    # Not marked required: the form it sits in also sends requests, which need no name.
    name = forms.CharField(max_length=100, label="Save as", required=False,
                           widget=forms.TextInput(attrs={"placeholder": "Name"}))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Name the request to save it.")
        return name


class AccessForm(PortalForm):
    operators_allowed = forms.BooleanField(required=False, label="Operators of this connection may use the console")
