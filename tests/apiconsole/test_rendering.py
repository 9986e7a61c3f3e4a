"""How an answer is drawn: JSON folded node by node with every value escaped, curl with the token left out."""

from __future__ import annotations

import json

from apiconsole.curl import curl_command
from apiconsole.rendering import MAX_NODES, json_tree, pretty


def test_every_key_and_value_is_escaped():
    tree = json_tree(json.dumps({"<b>key</b>": "<script>alert(1)</script>", "n": 1, "ok": True, "none": None}))
    assert "<script>" not in tree and "&lt;script&gt;" in tree and "&lt;b&gt;key&lt;/b&gt;" in tree
    assert '<span class="json-number">1</span>' in tree and '<span class="json-bool">true</span>' in tree
    assert '<span class="json-null">null</span>' in tree


def test_objects_and_arrays_fold_and_long_lists_start_folded():
    tree = json_tree(json.dumps({"result": {"elements": [{"id": n} for n in range(30)], "few": [1, 2]}}))
    assert tree.count("<details") == 1 + 1 + 1 + 30 + 1
    assert '<details class="json-node" open data-path="$.result">' in tree
    assert '<details class="json-node" data-path="$.result.elements">' in tree  # 30 items: folded
    assert '<details class="json-node" open data-path="$.result.few">' in tree
    assert "30 items" in tree and "{}" in json_tree('{"empty": {}}')


def test_what_is_not_json_or_too_big_is_left_to_plain_text():
    assert json_tree("<html>oops</html>") is None
    assert json_tree(json.dumps(list(range(MAX_NODES + 1)))) is None
    assert pretty('{"a":1}') == '{\n  "a": 1\n}' and pretty("plain") == "plain"


def test_curl_quotes_what_was_typed_and_leaves_the_token_to_the_shell():
    text = curl_command(base_url="https://iad1.qualtrics.com/API/v3", method="PUT", path="/users/UR_1",
                        query=[("a", "b c")], headers=[("X-Note", "it's")], body='{"x": "$(rm -rf /)"}')
    assert text.splitlines()[0] == "curl -X PUT 'https://iad1.qualtrics.com/API/v3/users/UR_1?a=b+c' \\"
    assert '-H "X-API-TOKEN: $QUALTRICS_API_TOKEN"' in text
    assert "-H 'X-Note: it'\"'\"'s'" in text
    assert "--data-raw '{\"x\": \"$(rm -rf /)\"}'" in text
    assert "-H 'Content-Type: application/json'" in text
