"""Keys written into a URL: found, hidden, and the hosts a key may reach over plain http.

A policy names where its key lives (``key: keyring:NAME``), never the key. A ``base_url`` is the
other place a key can slip in: as userinfo (``https://user:KEY@host``, sent as HTTP Basic auth)
or as a query parameter (``?api_key=KEY``), and from there into a shared policy file, the log, an
error message or an exported LiteLLM config. ``credential_in_url`` says which part holds one so
``validate`` can refuse it; ``redact_url`` is the form any message or export may show.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameter names that carry credentials in the wild (OpenAI-style proxies, Gemini's ?key=,
#: signed URLs); matched whole, case-insensitively.
_SECRET_PARAMETER = re.compile(
    r"(?:x[-_])?(?:api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|client[-_]?secret"
    r"|password|passwd|sig|signature)",
    re.IGNORECASE,
)
HIDDEN = "***"


def credential_in_url(url: str) -> str | None:
    """Which part of ``url`` carries a credential ("the user:password@ part", "the query parameter 'key'"), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        return "the user:password@ part" if ":" in userinfo else "the user@ part"
    if parts is None and re.match(r"^[a-z][a-z0-9+.-]*://[^/?#]*@", url, re.IGNORECASE):
        return "the user@ part"
    query = parts.query if parts is not None else url.partition("?")[2]
    for name, _value in parse_qsl(query, keep_blank_values=True):
        if _SECRET_PARAMETER.fullmatch(name.strip()):
            return f"the query parameter '{name}'"
    return None


def redact_url(url: str) -> str:
    """``url`` with its userinfo and credential-like query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"(://)[^/?#]*@", r"\1" + HIDDEN + "@", url.partition("?")[0]) + ("?" + HIDDEN if "?" in url else "")
    netloc = parts.netloc
    if "@" in netloc:
        netloc = HIDDEN + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(name, HIDDEN if _SECRET_PARAMETER.fullmatch(name.strip()) else value) for name, value in pairs],
                          safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def without_credentials(url: str) -> str:
    """``url`` with its userinfo and credential-carrying query parameters removed (for exports)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    pairs = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if not _SECRET_PARAMETER.fullmatch(name.strip())]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(pairs), parts.fragment))


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` points at this machine (localhost, 127.0.0.0/8, ::1), where plain http is private."""
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761 6.3
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_key_in_clear(url: str | None) -> bool:
    """Whether a key sent to ``url`` would cross the network unencrypted (plain http to another host)."""
    try:
        return bool(url) and urlsplit(url or "").scheme.lower() == "http" and not is_loopback(url)
    except ValueError:
        return False
