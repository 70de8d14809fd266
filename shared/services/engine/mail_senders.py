"""The mailboxes the app sends e-mail as (an alert rule's e-mail channel, the reclaim rule's sender): checked when a
rule names one, and a send Exchange refuses for the mailbox told in the admin's words."""

from __future__ import annotations

from shared.errors import Conflict, ErrorDetail
from shared.ports.alerts import NoticeSender, SenderStanding, mailbox_refusal
from shared.ports.cloud_errors import CloudError


def why_not(standing: SenderStanding, mailbox: str) -> tuple[str, str] | None:
    """The code and the admin's words for a mailbox the app cannot send as; None when it can (or cannot tell)."""
    words = {
        "noUser": ("mailboxNotFound", f"No user '{mailbox}' in the tenant: e-mail is sent from a mailbox of its own."),
        "noMailbox": (
            "mailboxNotEnabled",
            f"{mailbox} has no Exchange Online mailbox: license it for Exchange Online, or name a user that has one.",
        ),
        "policyExcludes": (
            "sendAsDenied",
            f"The app may not send as {mailbox}: an application access policy "
            "excludes it. Add it to the policy's group in Exchange Online, or name a mailbox the policy "
            "allows.",
        ),
    }
    return words.get(standing)


def sender_problems(notices: NoticeSender, tenant_id: str, mailbox: str, target: str) -> list[ErrorDetail]:
    """The one problem of a sender the app cannot send as, at the field naming it."""
    found = why_not(notices.sender_standing(tenant_id, mailbox), mailbox)
    return [ErrorDetail(found[0], found[1], target)] if found else []


def refused_sender(exc: CloudError, mailbox: str) -> Conflict | None:
    """A send Exchange refused for its mailbox, in the admin's words: a state only the admin can change, so never
    retried; None for any other failure."""
    standing = mailbox_refusal(exc.code, str(exc))
    found = why_not(standing, mailbox) if standing else None
    return Conflict(found[1], code=found[0], target="mailbox") if found else None
