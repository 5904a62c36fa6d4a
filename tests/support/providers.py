"""Test providers for the outside channels: what a phone, a mailbox or a chat group would have got."""
import redis
from django.conf import settings

from notifications.channels import Message, PermanentFailure, Provider, TemporaryFailure


class MemoryProvider(Provider):
    """Keeps messages in a list (in-process tests)."""

    sent: list[Message] = []
    fail_with: Exception | None = None

    def send(self, message: Message) -> None:
        if MemoryProvider.fail_with is not None:
            raise MemoryProvider.fail_with
        MemoryProvider.sent.append(message)


class RedisCountingProvider(Provider):
    """Counts each delivery key in Redis (tests with real workers, in other processes)."""

    def send(self, message: Message) -> None:
        redis.Redis.from_url(settings.TEST_REDIS_URL).incr(f"jiannuo-test:sent:{message.key}")


__all__ = ["MemoryProvider", "RedisCountingProvider", "PermanentFailure", "TemporaryFailure"]
