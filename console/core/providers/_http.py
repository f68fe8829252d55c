"""The HTTP layer of the hosted providers: the only module that imports httpx.

One ``HttpChannel`` per provider instance owns one ``httpx.AsyncClient`` (a keep-alive pool),
created lazily inside the running event loop so that nothing happens at import or construction.

Which transport carries it depends on where the provider is:
- a remote host (any host name, ``localhost`` included, or a non-loopback address): httpx's own
  transport (httpcore), with what a workstation needs to reach a hosted API: proxies and the OS
  trust store. The proxy is the provider's ``proxy`` setting in the policy when there is one
  (``direct`` for none), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY``
  from the environment. Certificates are checked against the operating system's trust store
  (``truststore``: Keychain, the Windows store, the distribution's bundle on Linux), plus the file
  ``SSL_CERT_FILE`` and directory ``SSL_CERT_DIR`` name when set (a corporate CA).
- a loopback address (``127.0.0.0/8``, ``::1``: a local llama.cpp or vLLM server):
  ``_transport.LeanTransport`` (asyncio + httptools), never proxied. It costs half of httpcore's
  round trip, which is measured to matter only there (tests/bench/bench_overhead.py), where the
  upstream answers in well under a millisecond.

Every httpx exception is mapped to a ``ProviderError`` here (see :func:`transport_error`), so the
protocol modules never see a transport exception:

======================================  =========================================
httpx exception                         outcome
======================================  =========================================
ConnectError, ProxyError                unavailable
ConnectTimeout, PoolTimeout             timeout
WriteError / ReadError /                unavailable with ``before_response=True``
RemoteProtocolError before the head     (no response byte: the executor retries once)
ReadError / RemoteProtocolError after   stream_cut (the body broke off)
ReadTimeout, WriteTimeout               timeout
DecodingError                           invalid_output
anything else (bad URL, ...)            bad_request
======================================  =========================================
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import ssl
import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable, Mapping, TypedDict

import httpx
import httpx_sse
import truststore

from console.core.outcomes import Outcome
from console.core.providers._transport import LeanTransport
from console.core.providers.base import ProviderError
from console.core.providers.errors import redact, truncate
from console.core.providers.sse import SSEEvent

_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30.0)
USER_AGENT = "routedesk"
DIRECT = "direct"  # a provider's proxy setting that ignores the environment's proxies


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is a loopback address literal (a name, even localhost, is not)."""
    try:
        host = httpx.URL(url).host
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trust_context() -> ssl.SSLContext:
    """TLS verification by the OS trust store, plus ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set.

    On Linux truststore reads OpenSSL's default paths, which these variables already replace; on
    macOS and Windows it asks the OS, so they are loaded explicitly: a CA named there is trusted
    on every platform.
    """
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        try:
            context.load_verify_locations(cafile=cafile or None, capath=capath or None)
        except (OSError, ssl.SSLError) as err:
            raise ProviderError(
                Outcome.UNAVAILABLE, f"the CA certificates named by SSL_CERT_FILE/SSL_CERT_DIR cannot be read ({err})"
            ) from None
    return context


# The most bytes one answer may take. A completion is a few hundred KB even at 100k tokens with
# logprobs; past this the provider is broken or hostile (a 1,000 MB answer was once read whole and
# logged ok), so reading stops and the attempt fails as invalid_output: the answer is unusable, a
# retry of the same model would fetch the same, and routes fall back on invalid_output.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


def transport_error(
    exc: BaseException, *, provider: str, response_started: bool, secrets: Iterable[str | None] = ()
) -> ProviderError:
    """The classified ProviderError for an httpx (or socket) exception."""
    detail = redact(truncate(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), secrets)
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ProviderError(Outcome.TIMEOUT, f"{provider}: could not connect in time ({detail})")
    if isinstance(exc, (httpx.ConnectError, httpx.ProxyError)):
        return ProviderError(Outcome.UNAVAILABLE, f"{provider}: could not connect ({detail})")
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout)):
        where = "the response stalled" if response_started else "no response arrived"
        return ProviderError(Outcome.TIMEOUT, f"{provider}: {where} before the read timeout ({detail})")
    if isinstance(exc, httpx.DecodingError):
        return ProviderError(Outcome.INVALID_OUTPUT, f"{provider}: undecodable response body ({detail})")
    if isinstance(exc, httpx_sse.SSEError):
        return ProviderError(Outcome.INVALID_OUTPUT, f"{provider}: the streamed response is not an event stream ({detail})")
    if isinstance(exc, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, OSError)):
        if not response_started:
            return ProviderError(
                Outcome.UNAVAILABLE,
                f"{provider}: connection closed before any response byte ({detail})",
                before_response=True,
            )
        return ProviderError(Outcome.STREAM_CUT, f"{provider}: the response broke off ({detail})")
    return ProviderError(Outcome.BAD_REQUEST, f"{provider}: request could not be sent ({detail})")


_TRANSPORT_EXCEPTIONS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, httpx_sse.SSEError)


class Timeouts(TypedDict):
    """The deadlines every channel call takes, kept together to pass as ``**timeouts``."""

    connect_timeout_s: float
    read_timeout_s: float


def unsendable_header(provider: str, headers: Mapping[str, str], secrets: Iterable[str]) -> str | None:
    """Why ``headers`` cannot go on the wire (a non-ASCII or control character, e.g. a key pasted
    with a curly quote), without repeating the key; None when they can. HTTP header values are
    ASCII in practice (RFC 9110 5.5: other octets are "obs-text"), and httpx refuses them with a
    UnicodeEncodeError that would otherwise surface as a traceback."""
    for name, value in headers.items():
        at = next((i for i, ch in enumerate(value) if not (" " <= ch <= "~" or ch == "\t")), None)
        if at is None:
            continue
        char = value[at]
        what = f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"
        for secret in secrets:
            where = value.find(secret)
            if where != -1 and where <= at < where + len(secret):
                return (f"{provider}: the key has a character HTTP cannot carry at position {at - where + 1} of "
                        f"{len(secret)} ({what}); keys are plain ASCII, so something was probably pasted with it: "
                        "store the key again")
        return f"{provider}: the {name} header has a character HTTP cannot carry at position {at + 1} ({what})"
    return None


class AnswerTooLarge(Exception):
    """An answer passed the channel's byte cap (raised inside httpx's read, mapped by the channel)."""


class _CappedBody(httpx.AsyncByteStream):
    """A response body that stops with AnswerTooLarge once more than ``limit`` bytes arrived.

    Counted as they come off the wire, so nothing past the cap is held. Channels ask for
    ``Accept-Encoding: identity``, so wire bytes are answer bytes (no decompression bomb)."""

    def __init__(self, inner: httpx.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise AnswerTooLarge(self._limit)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _capped(response: httpx.Response, limit: int) -> httpx.Response:
    assert isinstance(response.stream, httpx.AsyncByteStream)
    response.stream = _CappedBody(response.stream, limit)
    return response


def too_large_error(provider: str, limit: int) -> ProviderError:
    return ProviderError(
        Outcome.INVALID_OUTPUT,
        f"{provider}: the answer passed {limit // (1024 * 1024)} MB, the most Routedesk reads of one answer; "
        "reading stopped (no completion is that large: the provider is misbehaving)",
    )


@dataclass(frozen=True)
class HttpReply:
    """A whole response: status, headers (lower-case names) and body bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class StreamingReply:
    """An open response whose body is read as lines (SSE) or, on error statuses, whole."""

    def __init__(self, response: httpx.Response, channel: "HttpChannel") -> None:
        self._response = response
        self._channel = channel
        self.status = response.status_code
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in response.headers.items()}

    async def read(self) -> bytes:
        try:
            return await self._response.aread()
        except _TRANSPORT_EXCEPTIONS as exc:
            raise self._channel.error(exc, response_started=True) from None
        except AnswerTooLarge:
            raise self._channel.too_large() from None

    async def events(self) -> AsyncIterator[SSEEvent]:
        """The body's server-sent events; transport failures become ProviderError.

        Decoded by httpx-sse, which splits lines only at CR, LF and CRLF as the event-stream
        standard says. httpx's ``aiter_lines`` also splits at U+2028, U+2029 and U+0085, which are
        legal unescaped inside a JSON string, so a valid chunk of model text was cut in two
        (florimondmanca/httpx-sse#34, fixed in 0.4.2). An event still open when the body ends is
        not dispatched (a stream cut mid-event never yields half an event), and an event with no
        data is not dispatched either, as the standard says.
        """
        iterator = httpx_sse.EventSource(self._response).aiter_sse()
        try:
            while True:
                try:
                    sse = await iterator.__anext__()
                except StopAsyncIteration:
                    return
                except _TRANSPORT_EXCEPTIONS as exc:
                    raise self._channel.error(exc, response_started=True) from None
                except AnswerTooLarge:
                    raise self._channel.too_large() from None
                if sse.data:
                    event = sse.event if sse.event and sse.event != "message" else None  # "message" is the default type
                    yield SSEEvent(sse.data, event, sse.id or None)
        finally:
            await iterator.aclose()


class HttpChannel:
    """One provider's connection pool, base URL and fixed headers (which may carry its key)."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str],
        secrets: Iterable[str | None] = (),
        proxy: str | None = None,
        max_answer_bytes: int | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.proxy = proxy  # None: the environment's; DIRECT: none; else this proxy URL
        self.max_answer_bytes = max_answer_bytes or MAX_ANSWER_BYTES
        # identity: the byte cap then bounds what is held, with no compressed answer to inflate
        self._headers = {"user-agent": USER_AGENT, "accept-encoding": "identity", **dict(headers)}
        self._secrets = tuple(s for s in secrets if s)
        self._unsendable = unsendable_header(provider, self._headers, self._secrets)
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._urls: dict[str, httpx.URL] = {}  # parsed once: httpx re-parses and joins a str each call
        self._timeouts: dict[tuple[float, float], httpx.Timeout] = {}

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(f"{self.base_url}/{path.lstrip('/')}")
        return url

    def error(self, exc: BaseException, *, response_started: bool) -> ProviderError:
        return transport_error(
            exc, provider=self.provider, response_started=response_started, secrets=self._secrets
        )

    def too_large(self) -> ProviderError:
        return too_large_error(self.provider, self.max_answer_bytes)

    def _client_for_this_loop(self) -> httpx.AsyncClient:
        if self._unsendable is not None:
            raise ProviderError(Outcome.AUTH, self._unsendable)
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # Pooled connections belong to the loop that opened them; a new loop needs a new pool.
            self._client = self._new_client()
            self._loop = loop
        return self._client

    def _new_client(self) -> httpx.AsyncClient:
        common: dict[str, Any] = {"base_url": self.base_url + "/", "headers": self._headers, "follow_redirects": False}
        if is_loopback_url(self.base_url):
            # httptools under httpx: half the round trip; a loopback server is never proxied.
            return httpx.AsyncClient(transport=LeanTransport(_LIMITS), trust_env=False, **common)
        verify = trust_context()
        if self.proxy == DIRECT:
            return httpx.AsyncClient(verify=verify, limits=_LIMITS, trust_env=False, **common)
        if self.proxy:
            return httpx.AsyncClient(verify=verify, limits=_LIMITS, proxy=self.proxy, trust_env=False, **common)
        # trust_env: HTTP(S)_PROXY, ALL_PROXY and NO_PROXY (verification stays ours: the context above)
        return httpx.AsyncClient(verify=verify, limits=_LIMITS, trust_env=True, **common)

    def _timeout(self, connect_timeout_s: float, read_timeout_s: float) -> httpx.Timeout:
        timeout = self._timeouts.get((connect_timeout_s, read_timeout_s))
        if timeout is None:
            timeout = self._timeouts[(connect_timeout_s, read_timeout_s)] = httpx.Timeout(
                connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s, pool=connect_timeout_s
            )
        return timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> HttpReply:
        """Send one request and read the whole response body."""
        client = self._client_for_this_loop()
        started = False
        try:
            async with client.stream(
                method,
                self._url(path),
                json=json_body,
                params=params,
                timeout=self._timeout(connect_timeout_s, read_timeout_s),
            ) as response:
                started = True
                body = await _capped(response, self.max_answer_bytes).aread()
                headers = {k.lower(): v for k, v in response.headers.items()}
                return HttpReply(response.status_code, headers, body)
        except _TRANSPORT_EXCEPTIONS as exc:
            raise self.error(exc, response_started=started) from None
        except AnswerTooLarge:
            raise self.too_large() from None

    @asynccontextmanager
    async def stream(
        self,
        path: str,
        *,
        json_body: Any,
        params: Mapping[str, str] | None = None,
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> AsyncIterator[StreamingReply]:
        """POST ``json_body`` and yield the open response once its head has arrived."""
        client = self._client_for_this_loop()
        request = client.build_request(
            "POST",
            self._url(path),
            json=json_body,
            params=params,
            headers={"accept": "text/event-stream"},
            timeout=self._timeout(connect_timeout_s, read_timeout_s),
        )
        try:
            response = await client.send(request, stream=True)
        except _TRANSPORT_EXCEPTIONS as exc:
            raise self.error(exc, response_started=False) from None
        try:
            yield StreamingReply(_capped(response, self.max_answer_bytes), self)
        finally:
            # Closing mid-body drops the connection instead of draining a stalled stream.
            try:
                await response.aclose()
            except _TRANSPORT_EXCEPTIONS:
                pass  # the connection is being dropped anyway

    async def aclose(self) -> None:
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            try:
                await client.aclose()
            except RuntimeError:
                pass  # opened on a loop that has since closed; its sockets went with it
