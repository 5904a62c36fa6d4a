"""Who is acting right now: set by the request middleware, tasks and commands."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class Actor:
    request: Any = None  # resolved lazily: DRF authenticates after middleware ran
    user: Any = None
    source: str = "system"

    def resolve(self) -> tuple[int | None, str]:
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk, str(user.get_username())
        return None, self.source


_current: ContextVar[Actor] = ContextVar("audit_actor", default=Actor())


@contextlib.contextmanager
def acting(*, request=None, user=None, source: str = "system") -> Iterator[None]:
    token = _current.set(Actor(request=request, user=user, source=source))
    try:
        yield
    finally:
        _current.reset(token)


def current_actor() -> Actor:
    return _current.get()
