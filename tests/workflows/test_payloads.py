"""Payload templates: JSON with {{placeholders}} filled in per contact, never changing the document's shape."""

from __future__ import annotations

import json

import pytest

from workflows import payloads


class TestCheck:
    def test_a_valid_template_parses(self):
        assert payloads.check_template('{"a": "{{email}}", "b": ["{{embeddedData.Tier}}"]}') == {
            "a": "{{email}}", "b": ["{{embeddedData.Tier}}"]
        }

    @pytest.mark.parametrize(("text", "words"), [
        ('{"a": {{email}}}', 'Placeholders go inside strings'),
        ('{"a": 1,}', "not valid JSON"),
        ('{"a": "{{mail}}"}', "Unknown field: {{mail}}"),
        ('{"a": "{{embeddedData.}}"}', "Unknown field"),
        ('{"a": "{{email}} {{phoen}} {{x.y}}"}', "Unknown fields: {{phoen}}, {{x.y}}"),
        ('{"a": "' + "x" * (100 * 1024) + '"}', "larger than 100 KB"),
    ])
    def test_what_is_wrong_is_said(self, text, words):
        with pytest.raises(payloads.TemplateError) as caught:
            payloads.check_template(text)
        assert words in str(caught.value)


class TestRender:
    contact = {"contactId": "CID_1", "firstName": "Ann", "lastName": "Lee", "email": "ann@example.org",
               "unsubscribed": False, "embeddedData": {"Tier": "gold", "Visits": 3}}

    def test_placeholders_take_the_contacts_values(self):
        text = ('{"id": "{{contactId}}", "name": "{{firstName}} {{lastName}}", "out": "{{unsubscribed}}", '
                '"tier": "{{embeddedData.Tier}}", "visits": "{{embeddedData.Visits}}", "note": "was {{unsubscribed}}",'
                ' "list": "{{mailingListId}}", "phone": "{{phone}}", "{{email}}": true}')
        values = payloads.contact_fields(self.contact, payloads.placeholders(text), mailingListId="CG_1")
        assert json.loads(payloads.render(text, values)) == {
            "id": "CID_1", "name": "Ann Lee", "out": False, "tier": "gold", "visits": 3, "note": "was false",
            "list": "CG_1", "phone": None, "ann@example.org": True,
        }

    def test_a_value_cannot_change_the_documents_shape(self):
        hostile = {"email": '", "admin": true, "x": "', "firstName": "{{lastName}}", "lastName": "Lee"}
        text = '{"email": "{{email}}", "greeting": "Hi {{firstName}}"}'
        rendered = json.loads(payloads.render(text, payloads.contact_fields(hostile, payloads.placeholders(text))))
        assert rendered == {"email": '", "admin": true, "x": "', "greeting": "Hi {{lastName}}"}

    def test_a_search_result_names_its_id_id(self):
        assert payloads.contact_fields({"id": "CID_9"}, ["contactId"]) == {"contactId": "CID_9"}

    def test_labels_and_sizes(self):
        assert payloads.contact_label(self.contact) == "Ann Lee <ann@example.org>"
        assert payloads.contact_label({"id": "CID_2"}) == "CID_2"
        assert payloads.size_problem("x" * 10) == ""
        assert "101 KB" in payloads.size_problem("x" * (101 * 1024))
