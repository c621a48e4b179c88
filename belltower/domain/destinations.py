"""Destination URL rules and SSRF checks (PRODUCT.md §3 "Destinations").

Two layers:
- `validate_destination` at request time: the URL's shape, scheme, and any *literal* address
  or obviously internal host name in it;
- `check_resolved` at delivery time: every address DNS returned for the host must be public,
  and the caller connects to the returned one (so a re-resolution cannot rebind the target).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import SplitResult, unquote, urlencode, urlsplit, urlunsplit

from belltower.domain.errors import InvalidRequest, Unprocessable

__all__ = [
    "IPAddress",
    "MAX_URL_LENGTH",
    "ForbiddenDestination",
    "is_forbidden_address",
    "parse_host_address",
    "validate_destination",
    "check_resolved",
    "merge_query",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048

# ---------------------------------------------------------------------------- addresses

# Listed explicitly so the verdict does not depend on the Python version's `is_global` table.
_FORBIDDEN_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 instance metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. 255.255.255.255 broadcast
    )
)
_FORBIDDEN_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local, incl. fd00:ec2::254 (AWS IPv6 metadata)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: IPv4-mapped, IPv4-compatible (::/96), NAT64, 6to4."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if int(ip) < 2**32:  # ::a.b.c.d, including :: and ::1 (which embed 0.0.0.0 / 0.0.0.1)
        return ipaddress.IPv4Address(int(ip))
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def _common_flags(ip: IPAddress) -> bool:
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def is_forbidden_address(ip: IPAddress) -> bool:
    """True when a destination must not be contacted at this address.

    Loopback, private, link-local (metadata included), multicast, reserved, unspecified,
    shared, benchmarking, documentation and protocol-assignment ranges are forbidden; IPv6
    forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by it.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ipaddress.IPv6Address(int(ip))  # drop any %zone
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_forbidden_address(embedded)
        return any(ip in net for net in _FORBIDDEN_V6) or _common_flags(ip)
    return any(ip in net for net in _FORBIDDEN_V4) or _common_flags(ip)


_HEX_PART = re.compile(r"0[xX][0-9a-fA-F]*", re.ASCII)
_OCT_PART = re.compile(r"0[0-7]+", re.ASCII)
_DEC_PART = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_NUMERIC_LABEL = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+", re.ASCII)


def _ipv4_part(part: str) -> int | None:
    """One dotted component the way inet_aton / WHATWG read it: 0x-hex, 0-octal or decimal."""
    if _HEX_PART.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCT_PART.fullmatch(part):
        return int(part, 8)
    if _DEC_PART.fullmatch(part):
        return int(part)
    return None


def _parse_ipv4_any(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton forms: "a.b.c.d", "a.b.c" (c is 16 bits), "a.b" (b is 24 bits), "a" (32 bits)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _normalise_host(host: str) -> str:
    """Lower-case, percent-decoded, NFKC-folded (full-width digits), IDNA dots, no trailing dot."""
    text = unicodedata.normalize("NFKC", unquote(host)).lower()
    for dot in ("\u3002", "\uff0e", "\uff61"):
        text = text.replace(dot, ".")
    return text[:-1] if text.endswith(".") else text


def parse_host_address(host: str) -> IPAddress | None:
    """The IP address a host literal denotes in any spelling a resolver or browser accepts.

    Handles dotted, integer, hex, octal and short IPv4 forms, bracketed or bare IPv6 (with a
    zone id), percent-encoding and full-width digits. Returns None for a DNS name.
    """
    text = _normalise_host(host)
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return _parse_ipv4_any(text)


def _ends_in_number(host: str) -> bool:
    """WHATWG: a host whose last label is numeric must be an IPv4 address (else it is invalid)."""
    labels = _normalise_host(host).split(".")
    return bool(labels) and _NUMERIC_LABEL.fullmatch(labels[-1]) is not None


# ---------------------------------------------------------------------------- host names

_FORBIDDEN_NAMES = {"localhost", "metadata", "instance-data", "metadata.google.internal", "metadata.goog"}
_FORBIDDEN_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa", ".localdomain")


def _is_forbidden_name(name: str) -> bool:
    """Names that only ever mean "this machine" or "this network"; single-label names too."""
    return (
        name in _FORBIDDEN_NAMES
        or name.endswith(_FORBIDDEN_SUFFIXES)
        or "." not in name  # resolved only through a search domain: an internal host
    )


# ---------------------------------------------------------------------------- URLs

_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


def _invalid_url(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{param} {message}", param=param, code="invalid_url")


def _forbidden(param: str, host: str) -> Unprocessable:
    return Unprocessable(
        f"{param} points at {host!r}, a loopback, private, link-local or otherwise internal destination",
        param=param,
        code="forbidden_destination",
    )


def matches_allowed_prefix(url: str, prefixes: Sequence[str]) -> bool:
    """`url` starts with a prefix at a boundary: "http://127.0.0.1" matches ".../x" or ":8080",
    never "http://127.0.0.1.evil.com"."""
    for prefix in prefixes:
        if not prefix or not url.startswith(prefix):
            continue
        rest = url[len(prefix):]
        if not rest or prefix.endswith("/") or rest[0] in ":/?#":
            return True
    return False


def _split(url: object, param: str) -> SplitResult:
    if not isinstance(url, str) or not url:
        raise _invalid_url(param, "must be a URL string")
    if len(url) > MAX_URL_LENGTH:
        raise _invalid_url(param, f"must be at most {MAX_URL_LENGTH} characters")
    if _BAD_URL_CHARS.search(url):
        raise _invalid_url(param, "must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise _invalid_url(param, "is not a valid URL") from None
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise _invalid_url(param, "must be an absolute URL with a scheme and a host")
    if "@" in parts.netloc:
        raise _invalid_url(param, "must not contain credentials (user:password@)")
    return parts


def validate_destination(url: object, *, allowed_prefixes: Sequence[str] = (), param: str = "endpoint") -> str:
    """Check a destination URL at request time and return it unchanged.

    URLs starting with an allow-listed prefix (case-sensitive, at a ":", "/", "?" or "#"
    boundary) skip the scheme and address rules. DNS names are checked only against the
    internal-name rules here; `check_resolved` judges their addresses at delivery time.
    """
    parts = _split(url, param)
    if matches_allowed_prefix(url, allowed_prefixes):
        return url
    if parts.scheme == "http":
        raise Unprocessable(f"{param} must use https", param=param, code="insecure_url")
    if parts.scheme != "https":
        raise _invalid_url(param, "must be an https URL")
    host = parts.hostname
    address = parse_host_address(host)
    if address is not None:
        if is_forbidden_address(address):
            raise _forbidden(param, host)
        return url
    if parts.netloc.startswith("[") or _ends_in_number(host):
        raise _invalid_url(param, f"has an invalid host {host!r}")
    if _is_forbidden_name(_normalise_host(host)):
        raise _forbidden(param, host)
    return url


class ForbiddenDestination(Exception):
    """A destination host resolved to an address that must not be contacted."""

    def __init__(self, host: str, address: str):
        super().__init__(f"{host} resolves to {address}, a forbidden (non-public) address")
        self.host = host
        self.address = address


def check_resolved(addresses: Sequence[str], *, host: str) -> str:
    """The address to connect to (the first), after checking that none of them is forbidden.

    Any forbidden or unparseable address raises `ForbiddenDestination`; an empty list raises
    ValueError (a resolver failure, not a policy decision).
    """
    if not addresses:
        raise ValueError(f"{host} resolved to no addresses")
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise ForbiddenDestination(host, address) from None
        if is_forbidden_address(ip):
            raise ForbiddenDestination(host, address)
    return addresses[0]


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def merge_query(url: str, query: Mapping[str, str | int | float | bool]) -> str:
    """`url` with `query` appended (form-encoded) after its existing parameters, fragment kept."""
    if not query:
        return url
    parts = urlsplit(url)
    extra = urlencode([(str(key), _query_value(value)) for key, value in query.items()])
    merged = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=merged))
