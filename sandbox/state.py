"""Everything the sandbox knows, behind one lock: brands, tokens, the sandbox clock, settings and logs."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from . import config as settings
from . import jobs, oauth, response_imports, seed, sending, webhooks, workflows
from .envelope import ApiError, bad_request
from .hooks import Hooks
from .ids import ALPHANUMERIC, IdFactory
from .ratelimit import RateLimiter
from .records import Brand, User

CALL_LOG_SIZE = 50_000


class State:
    """The sandbox's in-memory world. Callers hold `lock` while reading or changing anything."""

    def __init__(
        self,
        seed_name: str = "demo",
        tokens: tuple[str, ...] | list[str] = (),
        overrides: dict[str, Any] | None = None,
    ) -> None:
        if seed_name not in seed.SEEDS:
            raise ValueError(f"Unknown seed {seed_name!r}; choose one of {', '.join(seed.SEEDS)}")
        self.lock = threading.RLock()
        self.ids = IdFactory()
        self.limiter = RateLimiter()
        try:
            self.base_config = settings.merge(settings.defaults(), overrides or {})
        except ApiError as error:
            raise ValueError(error.message) from None
        self.extra_tokens = [_split_token(token) for token in tokens]
        self.seed_name = seed_name
        self.generation = 0
        self.deliveries = webhooks.Dispatcher(self)
        # Listeners to recorded responses and survey (de)activation; kept across resets (see sandbox.hooks).
        self.hooks = Hooks()
        # Event subscriptions hear of what the API and response imports record (the control API's own
        # recording of responses publishes directly).
        self.hooks.response_recorded.append(
            lambda _brand, survey, response, _source: webhooks.response_recorded(self, survey.id, response,
                                                                                 response.finished)
        )
        self.hooks.survey_status_changed.append(
            lambda brand, survey, _active, _source: webhooks.survey_activation_changed(self, brand, survey)
        )
        self.reset(seed_name)

    # --- lifecycle -------------------------------------------------------------------------------
    def reset(self, seed_name: str | None = None) -> None:
        """Rebuild the world from a seed and go back to the starting settings, clock and logs."""
        name = seed_name or self.seed_name
        if name not in seed.SEEDS:
            raise bad_request(f"Unknown seed: {name}. Choose one of {', '.join(seed.SEEDS)}")
        with self.lock:
            self.generation += 1
            self.seed_name = name
            self.brands: dict[str, Brand] = seed.build(name)
            self.tokens: dict[str, tuple[str, str]] = {}
            for brand in self.brands.values():
                for user in brand.users.values():
                    if user.api_token:
                        self.tokens[user.api_token] = (brand.id, user.id)
            for brand_id, token in self.extra_tokens:
                self.add_token(brand_id, token, admin=True)
            self.oauth = oauth.Registry.seeded(self.brands)
            self.workflows = workflows.Registry.seeded(name, self.brands)
            self.deliveries.clear()
            self.config: dict[str, Any] = settings.merge(self.base_config, {})
            self.clock_offset = 0.0
            self.calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_SIZE)
            self.stalls: list[dict[str, Any]] = []
            self.limiter.clear()
            self.fault_rng = random.Random(20240229)

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.config = settings.merge(self.config, changes)
            return dict(self.config)

    # --- clock -----------------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.clock_offset

    def advance_clock(self, seconds: float) -> datetime:
        with self.lock:
            self.clock_offset += seconds
            for brand in self.brands.values():
                self.catch_up(brand)
            return self.now()

    def catch_up(self, brand: Brand) -> None:
        """Let time-driven work happen: scheduled sends go out and finished imports land."""
        sending.send_due(self, brand)
        jobs.apply_due_imports(self, brand)
        response_imports.apply_due(self, brand)

    # --- tokens ----------------------------------------------------------------------------------
    def authenticate(self, token: str) -> tuple[Brand, User] | None:
        entry = self.tokens.get(token)
        if entry is None:
            return None
        brand = self.brands.get(entry[0])
        user = brand.users.get(entry[1]) if brand else None
        if brand is None or user is None:
            return None
        return brand, user

    def add_token(self, brand_id: str, token: str | None = None, admin: bool = True) -> dict[str, Any]:
        with self.lock:
            brand = self.brands.get(brand_id)
            if brand is None:
                raise bad_request(f"Unknown brand: {brand_id}")
            token = token or self.ids.token()
            if not isinstance(token, str) or not token or any(c not in ALPHANUMERIC for c in token):
                raise bad_request("token must be a non-empty string of letters and digits")
            owner = self.tokens.get(token)
            if owner is not None and owner[0] != brand_id:
                raise bad_request("That token already belongs to another brand")
            user = _token_user(brand, admin)
            if user is None:
                kind = "brand administrator" if admin else "non-administrator"
                raise bad_request(f"Brand {brand_id} has no active {kind} user to own the token")
            self.tokens[token] = (brand.id, user.id)
            return {"token": token, "brandId": brand.id, "userId": user.id, "admin": user.is_admin}

    def revoke_token(self, token: str) -> bool:
        with self.lock:
            entry = self.tokens.pop(token, None)
            if entry is None:
                return False
            brand = self.brands.get(entry[0])
            user = brand.users.get(entry[1]) if brand else None
            if user is not None and user.api_token == token:
                user.api_token = None
            return True

    def rotate_user_token(self, brand: Brand, user: User) -> str:
        if user.api_token:
            self.tokens.pop(user.api_token, None)
        user.api_token = self.ids.token()
        self.tokens[user.api_token] = (brand.id, user.id)
        return user.api_token

    def forget_user_tokens(self, user_id: str) -> None:
        for token, (_, owner) in list(self.tokens.items()):
            if owner == user_id:
                del self.tokens[token]

    def token_rows(self, brand: Brand) -> list[dict[str, Any]]:
        rows = []
        for token, (brand_id, user_id) in self.tokens.items():
            user = brand.users.get(user_id)
            if brand_id == brand.id and user is not None:
                rows.append(
                    {"token": token, "userId": user.id, "userName": user.username, "admin": user.is_admin}
                )
        rows.sort(key=lambda row: (not row["admin"], row["userName"]))
        return rows

    # --- stalls and the call log -----------------------------------------------------------------
    def add_stall(self, rule: dict[str, Any]) -> None:
        with self.lock:
            self.stalls.append(rule)

    def clear_stalls(self, path_contains: str | None = None) -> None:
        with self.lock:
            self.stalls = [
                rule for rule in self.stalls
                if path_contains is not None and rule["path_contains"] != path_contains
            ]

    def take_stall(self, method: str, path: str) -> dict[str, Any] | None:
        with self.lock:
            for rule in self.stalls:
                if rule["path_contains"] in path and rule["method"] in (None, method):
                    if rule["remaining"] is not None:
                        rule["remaining"] -= 1
                        if rule["remaining"] <= 0:
                            self.stalls.remove(rule)
                    return dict(rule)
        return None

    def log_call(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append(entry)


def _split_token(spec: str) -> tuple[str, str]:
    """`TOKEN` belongs to acme; `brand:TOKEN` names the brand."""
    if ":" in spec:
        brand_id, token = spec.split(":", 1)
        return brand_id, token
    return seed.PRIMARY_BRAND, spec


def _token_user(brand: Brand, admin: bool) -> User | None:
    for user in brand.users.values():
        if user.is_admin == admin and user.account_status == "active":
            return user
    return None
