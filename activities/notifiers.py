"""Delivery beyond the in-app inbox, behind one small interface. Email is off by default."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Protocol

from studyflow.settings import Settings


class Notifier(Protocol):
    async def deliver(self, email: str | None, subject: str, body: str) -> None: ...


class InAppOnly:
    """The notification row is the delivery; nothing else to send."""

    async def deliver(self, email: str | None, subject: str, body: str) -> None:
        return None


class EmailNotifier:
    def __init__(self, settings: Settings):
        self._settings = settings

    def _send(self, email: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self._settings.smtp_sender, email, subject
        message.set_content(body)
        with smtplib.SMTP(self._settings.smtp_host, self._settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)

    async def deliver(self, email: str | None, subject: str, body: str) -> None:
        if email:
            await asyncio.to_thread(self._send, email, subject, body)  # smtplib blocks


def build_notifier(settings: Settings) -> Notifier:
    return EmailNotifier(settings) if settings.email_enabled else InAppOnly()
