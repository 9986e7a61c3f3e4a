"""Fixtures for the Qualtrics client tests: a fake transport for unit tests, the sandbox for the rest."""

import pytest
import requests

from qualtrics import QualtricsClient, RetryPolicy
from tests.sandbox.conftest import Api

from .fakes import FakeQualtricsTransport, Sleeps, make_client


@pytest.fixture
def transport():
    return FakeQualtricsTransport()


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(transport, sleeps):
    """A Qualtrics client on the fake transport (in this folder it replaces pytest-django's `client`)."""
    with make_client(transport, sleeps=sleeps) as client:
        yield client


class SandboxSleeps(list):
    """A retry sleep that moves the sandbox clock instead of waiting (its rate buckets refill)."""

    def __init__(self, sandbox):
        super().__init__()
        self.sandbox = sandbox

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.sandbox.advance_clock(seconds)


@pytest.fixture
def acme(sandbox):
    """The sandbox's primary brand: IDs of its directory, lists, surveys, libraries, types."""
    return sandbox.brand("acme")


@pytest.fixture
def sandbox_sleeps(sandbox):
    return SandboxSleeps(sandbox)


@pytest.fixture
def api(sandbox, sandbox_sleeps):
    """A brand-admin client on the sandbox over real HTTP; retry waits move the sandbox clock."""
    with QualtricsClient(sandbox.base_url, sandbox.admin_token, retry=RetryPolicy(sleep=sandbox_sleeps)) as api:
        yield api


@pytest.fixture
def control(sandbox):
    """POST/GET helpers for the sandbox's /_sandbox/ control routes."""

    class Control:
        def post(self, route, **body):
            response = requests.post(f"{sandbox.root_url}/_sandbox/{route}", json=body, timeout=30)
            response.raise_for_status()
            return response.json()

        def get(self, route, **params):
            response = requests.get(f"{sandbox.root_url}/_sandbox/{route}", params=params, timeout=30)
            response.raise_for_status()
            return response.json()

    return Control()


@pytest.fixture
def http(sandbox):
    """Plain HTTP to the sandbox as the brand administrator, for routes the client has no method for."""
    return Api(sandbox.base_url, sandbox.admin_token)
