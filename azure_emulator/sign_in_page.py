"""The development issuer's HTML: the sign-in page, a refused request and the signed-out page, every value escaped;
the page frame admin consent's pages share."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from azure_emulator.launcher import BOOTSTRAP_ADMIN
from azure_emulator.server import Response

WELL_KNOWN = (
    (BOOTSTRAP_ADMIN, "organization owner in the development settings"),
    ("alice", "no role until an owner grants one"),
    ("bob", "no role until an owner grants one"),
)
NAME_RULE = "1 to 64 letters, digits, dots, underscores or hyphens"
HTML_HEADERS = {
    # nothing runs, nothing loads, no one frames it (a framed page could be clicked through unseen)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
CSS = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "input,button{font:inherit;padding:.3rem .6rem}.error{color:#a4262c;font-weight:600}"
)


def document(status: int, title: str, body: str) -> Response:
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{escape(title)}</h1>\n{body}</main>\n</body>\n</html>\n"
    )
    return Response(status, page, dict(HTML_HEADERS), content_type="text/html; charset=utf-8")


def sign_in(action: str, forwarded: Mapping[str, str], name: str, error: str | None = None) -> Response:
    """The form: a user name (prefilled with `name`) and the well-known principals, posting `forwarded` back to
    `action` in hidden fields; with `error`, a 400 that shows it next to the field."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">\n' for key, value in forwarded.items()
    )
    described = "username-rule username-error" if error else "username-rule"
    invalid = ' aria-invalid="true"' if error else ""
    message = f'<p id="username-error" class="error">{escape(error)}</p>\n' if error else ""
    quick = "".join(
        f'<li><button type="submit" name="principal" value="{escape(who)}" formnovalidate>{escape(who)}</button>'
        f" {escape(what)}</li>\n"
        for who, what in WELL_KNOWN
    )
    body = (
        "<p>This emulator stands in for Microsoft Entra ID: it signs you in, with no password, as whoever you name, "
        "and the same name always gets the same object id.</p>\n"
        f"<p>App <code>{escape(forwarded.get('client_id', ''))}</code> asks; you go back to "
        f"<code>{escape(forwarded.get('redirect_uri', ''))}</code>.</p>\n"
        f'<form method="post" action="{escape(action)}">\n{hidden}'
        '<p><label for="username">User name</label><br>\n'
        f'<input id="username" name="username" type="text" value="{escape(name)}" required maxlength="64" '
        'pattern="[A-Za-z0-9._\\-]{1,64}" autocomplete="username" autocapitalize="none" spellcheck="false" '
        f'autofocus aria-describedby="{described}"{invalid}>\n'
        '<button type="submit">Sign in</button><br>\n'
        f'<small id="username-rule">{escape(NAME_RULE)}.</small></p>\n{message}'
        f"<fieldset>\n<legend>Or sign in as a well-known user</legend>\n<ul>\n{quick}</ul>\n</fieldset>\n"
        "</form>\n"
    )
    return document(400 if error else 200, "Sign in to the Azure emulator", body)


def refused(problem: str) -> Response:
    """A request the emulator will not send back to its app: a 400 that says why."""
    body = (
        f'<p class="error">{escape(problem)}</p>\n'
        "<p>Nothing was sent back to the app. The emulator only returns to an absolute http(s) address on a "
        "loopback host (127.0.0.1, localhost or [::1]).</p>\n"
    )
    return document(400, "Sign-in request refused", body)


def signed_out(not_followed: str | None) -> Response:
    """Where sign-out ends when it cannot go back: `not_followed` is a return address it refused, if one came."""
    body = "<p>You can close this window.</p>\n"
    if not_followed:
        body += (
            f"<p>The emulator did not go back to <code>{escape(not_followed)}</code>: it only returns to an absolute "
            "http(s) address on a loopback host.</p>\n"
        )
    return document(200, "You are signed out", body)
