"""What goes on the wire: the body for each format and the signature.

No Django import: plain values in, bytes and headers out.

Signature scheme (the same for every format; Slack and Teams ignore it):
``Covenant-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``
where ``timestamp`` is the ``Covenant-Timestamp`` header (Unix seconds) and
``body`` the exact bytes of the request body. Receivers compare in constant
time and refuse a timestamp more than five minutes old (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

USER_AGENT = "Covenant-Webhooks/1"


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def headers(*, secret: str, timestamp: int, body: bytes, event: str, delivery_id: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Covenant-Event": event,
        "Covenant-Delivery": str(delivery_id),
        "Covenant-Timestamp": str(timestamp),
        "Covenant-Signature": sign(secret=secret, timestamp=timestamp, body=body),
    }


def body(fmt: str, document: dict[str, Any]) -> bytes:
    """The request body for an endpoint of format ``fmt`` ("covenant", "slack", "teams")."""
    if fmt == "slack":
        payload = slack(document)
    elif fmt == "teams":
        payload = teams(document)
    else:
        payload = document
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _context_line(document: dict[str, Any]) -> str:
    organization = (document.get("organization") or {}).get("name", "")
    return " · ".join(p for p in (document["event"], organization, document["occurred_at"]) if p)


def _slack_escape(text: str) -> str:
    # Slack mrkdwn: only these three are control characters (api.slack.com "Formatting text").
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(document: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` is the fallback shown in
    notifications, ``blocks`` the Block Kit layout (section + context)."""
    title = _slack_escape(document["title"])
    lines = [f"*<{document['url']}|{title}>*"]
    if document.get("body"):
        lines.append(_slack_escape(document["body"])[:2900])  # a section's text holds at most 3000 characters
    return {
        "text": document["title"],
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(_context_line(document))}]},
        ],
    }


def teams(document: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams message carrying an Adaptive Card (schema 1.4), the
    format both Teams Workflows ("Post to a channel when a webhook request is
    received") and the older incoming-webhook connectors accept."""
    card_body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": document["title"], "weight": "Bolder", "size": "Medium", "wrap": True},
    ]
    if document.get("body"):
        card_body.append({"type": "TextBlock", "text": document["body"], "wrap": True})
    card_body.append({"type": "TextBlock", "text": _context_line(document), "isSubtle": True, "size": "Small"})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": card_body,
                    "actions": [{"type": "Action.OpenUrl", "title": "Open in Covenant", "url": document["url"]}],
                },
            }
        ],
    }
