"""The suite-wide guard that fails any test whose pages or logs show a connection token."""

import logging

from tests.fixtures.secrets import _LeakHandler, leaks_in, register_token


def test_it_finds_a_registered_token_in_text_and_names_only_its_last_four():
    token = register_token("Zq" * 19 + "wxyz")
    assert leaks_in(f"<p>{token}</p>") == ["…wxyz"]
    assert leaks_in("<p>••••wxyz</p>") == []


def test_it_finds_a_token_in_a_log_record_and_its_traceback():
    token = register_token("Lk" * 19 + "9876")
    handler = _LeakHandler()
    logger = logging.getLogger("tests.guard")
    logger.addHandler(handler)
    logger.propagate = False  # these leaks are on purpose: keep them from the suite-wide guard
    try:
        logger.warning("calling Qualtrics with %s", token)
        try:
            raise RuntimeError(token)
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert len(handler.leaks) == 2
    assert all("…9876" in leak for leak in handler.leaks)
