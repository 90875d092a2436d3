"""URL canonicalization: one key per story or paper, whichever URL it was seen under."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that never change what a page is.
_TRACKING_EXACT = frozenset({
    "ref", "ref_src", "ref_url", "source", "src", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
    "igshid", "yclid", "_hsenc", "_hsmi", "mkt_tok", "cmpid", "spm", "share", "s_cid", "trk", "si",
})
_TRACKING_PREFIX = ("utm_", "pk_", "hsa_", "oly_")

# New-style (2301.01234, optional version) and old-style (cs/0101001, hep-th/9901001v2) arXiv ids.
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID_RE = re.compile(rf"^(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$")
_ARXIV_PATH_RE = re.compile(
    rf"^/(?:abs|pdf|html|format|papers)/(?P<id>{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?:\.pdf)?/?$"
)
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org", "alphaxiv.org", "www.alphaxiv.org"})
_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})


def normalize_arxiv_id(raw: str) -> str | None:
    """'2607.23193v2' -> '2607.23193'; 'arXiv:2607.23193' -> '2607.23193'; junk -> None."""
    raw = raw.strip()
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    m = _ARXIV_ID_RE.match(raw)
    return m.group("id") if m else None


def arxiv_id_from_url(url: str) -> str | None:
    """The arXiv id behind an arxiv.org abs/pdf/html URL or a Hugging Face paper page, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    path = parts.path
    if host in _ARXIV_HOSTS:
        m = _ARXIV_PATH_RE.match(path)
        return m.group("id") if m else None
    if host in _HF_HOSTS:
        m = re.match(rf"^/papers/(?P<id>{_ARXIV_NEW})(?:v\d+)?/?$", path)
        return m.group("id") if m else None
    return None


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, drop default ports, fragments, tracking parameters and trailing slashes."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = (parts.scheme or "https").lower()
    if scheme == "http":
        scheme = "https"  # the same page; http/https variants must not create two items
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_EXACT and not k.lower().startswith(_TRACKING_PREFIX)
    ]
    query.sort()
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def canonical_key(url: str, arxiv_id: str | None = None) -> str:
    """The key an item is stored and merged under: `arxiv:<id>` for papers, else the canonical URL."""
    aid = normalize_arxiv_id(arxiv_id) if arxiv_id else None
    aid = aid or arxiv_id_from_url(url)
    if aid:
        return f"arxiv:{aid}"
    return canonical_url(url)


def host_of(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host
