"""Make untrusted text (titles, snippets, LLM output, error messages) and URLs safe inside Markdown.

`md_text`: one line of literal text. Whitespace (newlines included) collapses to one space, control and
bidi-override characters are dropped, and every character Markdown or GitHub could interpret is
backslash-escaped: \\ ` * _ [ ] < > # | ~ $ & and a leading block marker (- + = digits-dot).
Parentheses stay as they are: with every bracket escaped they can never become a link destination.
So a title like "](javascript:alert(1))" or "<script>" stays literal text on its own line.

`safe_url`: http(s) URLs only (javascript:, data:, file: ... -> None); spaces, parentheses, brackets,
quotes, backticks, asterisks, tildes, dollar signs and boundary underscores are percent-encoded so the URL
cannot end the surrounding "(url)" or start emphasis; non-ASCII hosts are IDNA-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_WS = re.compile(r"\s+")
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
_URL_SAFE = "/:?&=%+,;@!'"  # kept as is, besides letters, digits and _.-~ (quote's own safe set)
_BOUNDARY_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def one_line(text: str) -> str:
    """Control characters dropped, all whitespace (newlines included) collapsed to single spaces."""
    return _WS.sub(" ", _CONTROL.sub(" ", text or "")).strip()


def md_text(text: str) -> str:
    """`text` as literal Markdown inline text on one line (see module doc)."""
    s = _SPECIAL.sub(r"\\\1", one_line(text))
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", s)


def safe_url(url: str) -> str | None:
    """The URL, percent-encoded for use inside "(...)" in Markdown, or None when it is not http(s)."""
    raw = one_line(url)
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in host:  # IPv6 literal
        if not re.fullmatch(r"[0-9a-fA-F:.]+", host):
            return None
        netloc = f"[{host}]"
    elif re.fullmatch(r"[A-Za-z0-9._-]+", host):
        netloc = host
    else:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port:
        netloc += f":{port}"
    if parts.username or parts.password:
        return None  # credentials in a link: refuse rather than publish them

    def enc(s: str) -> str:
        s = quote(s, safe=_URL_SAFE)
        return _BOUNDARY_UNDERSCORE.sub("%5F", s).replace("~", "%7E")

    path = enc(parts.path)
    query = enc(parts.query)
    fragment = enc(parts.fragment)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, fragment))
