"""Text messages (verification codes). Backends mirror Django's e-mail backends.

``ConsoleSmsBackend`` prints (development), ``LocmemSmsBackend`` keeps an ``outbox`` for
tests. A production deployment names its gateway's backend in ``SMS_BACKEND``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


class ConsoleSmsBackend:
    def send(self, message: TextMessage) -> None:
        sys.stdout.write(f"[SMS to {message.to}] {message.body}\n")
        sys.stdout.flush()


outbox: list[TextMessage] = []


class LocmemSmsBackend:
    def send(self, message: TextMessage) -> None:
        outbox.append(message)


def send_sms(to: str, body: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(TextMessage(to=to, body=body))
