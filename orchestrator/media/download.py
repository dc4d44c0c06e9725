"""Downloading a message's media: allowed hosts only, basic auth, size limit, timeout.

Twilio serves inbound media at `https://api.twilio.com/…/Media/ME…` behind HTTP basic auth
(Account SID / auth token) and redirects to its CDN; httpx drops the credentials on a
redirect to another origin. A body larger than `max_bytes` is refused from its
Content-Length, or, without one, as soon as the stream passes the limit: it is never read
in full. Only the content types Tendero can use are accepted (`AUDIO_TYPES`, `IMAGE_TYPES`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

AUDIO_TYPES = frozenset(
    {
        "audio/ogg",
        "audio/opus",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/webm",
        "audio/wav",
        "audio/x-wav",
    }
)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CHUNK = 64 * 1024
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MediaError(Exception):
    """The media could not be used; `error_type` names why in the turn log."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def base_type(content_type: str | None) -> str:
    """`"audio/ogg; codecs=opus"` → `"audio/ogg"`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def kind_of(content_type: str | None) -> str:
    """`audio`, `image`, or `other` for a content type."""
    ctype = base_type(content_type)
    if ctype in AUDIO_TYPES:
        return "audio"
    if ctype in IMAGE_TYPES:
        return "image"
    return "other"


@dataclass(frozen=True)
class Media:
    """Downloaded (or uploaded) media bytes and their content type."""

    data: bytes
    content_type: str

    @property
    def kind(self) -> str:
        """`audio` or `image`."""
        return kind_of(self.content_type)


class MediaDownloader:
    """Fetches media URLs with the account's credentials under strict limits.

    Args:
        hosts: the only hosts a download may start at (`MEDIA_HOSTS`).
        max_bytes: larger media are refused without being read in full.
        timeout_s: the whole download, connection included.
        auth: (Account SID, auth token) sent as HTTP basic auth, or None.
    """

    def __init__(
        self,
        *,
        hosts: list[str],
        max_bytes: int,
        timeout_s: float,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.hosts = {h.lower() for h in hosts}
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.auth = auth
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=True, max_redirects=3
        )

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host not in self.hosts:
            raise MediaError("media_host_refused", f"host {host or '?'} not in MEDIA_HOSTS")
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
            raise MediaError("media_host_refused", f"scheme {parts.scheme or '?'} not https")

    def fetch(self, url: str, declared_type: str | None) -> Media:
        """The media at `url`; raises `MediaError` for anything not usable."""
        declared = base_type(declared_type)
        if declared and kind_of(declared) == "other":
            raise MediaError("media_type_unsupported", f"content type {declared}")
        self._check_url(url)
        deadline = time.monotonic() + self.timeout_s
        try:
            with self.client.stream("GET", url, auth=self.auth) as resp:
                if resp.status_code != 200:
                    raise MediaError("media_download_failed", f"HTTP {resp.status_code}")
                ctype = base_type(resp.headers.get("content-type")) or declared
                if kind_of(ctype) == "other":
                    raise MediaError("media_type_unsupported", f"served as {ctype or '?'}")
                length = resp.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise MediaError("media_too_large", f"{int(length)} bytes > MEDIA_MAX_BYTES")
                data = bytearray()
                for chunk in resp.iter_bytes(CHUNK):
                    data += chunk
                    if len(data) > self.max_bytes:
                        raise MediaError("media_too_large", f"over {self.max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise MediaError("media_download_timeout", f"over {self.timeout_s:g} s")
        except httpx.TimeoutException as exc:
            raise MediaError("media_download_timeout", f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise MediaError("media_download_failed", f"{type(exc).__name__}: {exc}") from exc
        if not data:
            raise MediaError("media_download_failed", "empty body")
        return Media(bytes(data), ctype)

    def close(self) -> None:
        """Release connections."""
        self.client.close()
