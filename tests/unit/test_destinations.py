"""Destination rules: forbidden addresses in every spelling, URL shape, allow-list, DNS results."""

from __future__ import annotations

import ipaddress

import pytest

from belltower.domain.destinations import (
    ForbiddenDestination,
    check_resolved,
    is_forbidden_address,
    merge_query,
    parse_host_address,
    validate_destination,
)
from belltower.domain.errors import InvalidRequest, Unprocessable

ip = ipaddress.ip_address

# ---------------------------------------------------------------------------- is_forbidden_address

FORBIDDEN = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.0.1",
    "0.0.0.0",
    "0.1.2.3",
    "100.64.0.1",
    "100.127.255.255",
    "198.18.0.1",
    "198.19.255.255",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "192.0.0.1",
    "192.0.0.9",
    "192.0.0.170",
    "192.88.99.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "2001::1",  # Teredo
    "100::1",
    "3fff::1",
    "64:ff9b:1::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
]

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.32.0.1",
    "100.128.0.1",
    "192.169.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_internal_addresses_are_forbidden(address):
    assert is_forbidden_address(ip(address)) is True


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert is_forbidden_address(ip(address)) is False


def test_a_zone_id_does_not_hide_a_link_local_address():
    assert is_forbidden_address(ipaddress.IPv6Address("fe80::1%eth0")) is True


# ---------------------------------------------------------------------------- parse_host_address


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.1", "10.1.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("[fe80::1%25eth0]", "fe80::1"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "127.0.0.1"),  # full-width digits
        ("127\u30020\u30020\u30021", "127.0.0.1"),  # ideographic full stops
    ],
)
def test_literal_addresses_in_any_spelling(host, expected):
    parsed = parse_host_address(host)
    expected_ip = ipaddress.ip_address(expected)
    assert parsed is not None
    assert (parsed.version, int(parsed)) == (expected_ip.version, int(expected_ip))  # zone ids aside


def test_a_zone_id_is_kept_on_the_parsed_address():
    assert parse_host_address("fe80::1%eth0").scope_id == "eth0"


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "localhost",
        "localhost.",
        "api.example.com",
        "1.2.3.4.nip.io",
        "256.0.0.1",
        "1.2.3.256",
        "1.2.65536",
        "4294967296",
        "0x1g.0.0.1",
        "09.0.0.1",
        "1.2.3.4.5",
        "1..2.3",
        "[example.com]",
        "",
    ],
)
def test_names_and_non_addresses_are_none(host):
    assert parse_host_address(host) is None


# ---------------------------------------------------------------------------- validate_destination


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.dev/hooks/reminder",
        "https://acme.dev:8443/hooks?x=1#frag",
        "https://8.8.8.8/",
        "https://[2606:4700:4700::1111]/x",
        "https://ACME.dev/Path",
        "https://acme.dev./",
    ],
)
def test_public_https_urls_are_returned_unchanged(url):
    assert validate_destination(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        123,
        "",
        "acme.dev/hooks",
        "/hooks",
        "https://",
        "https:///path",
        "https://:443/",
        "https://user:pass@acme.dev/",
        "https://user@acme.dev/",
        "https://acme.dev:99999/",
        "https://acme.dev:port/",
        "https://[::1/",
        "https://[not-an-ip]/",
        "https://acme .dev/",
        "https://acme.dev/\n",
        "https://evil.com\\@127.0.0.1/",
        "ftp://acme.dev/file",
        "file:///etc/passwd",
        "gopher://acme.dev/",
        "javascript:alert(1)",
        "https://1.2.3.4.5/",
        "https://example.09/",
        "https://0x7g.1/",
    ],
)
def test_malformed_urls_are_invalid_url(url):
    with pytest.raises(InvalidRequest) as err:
        validate_destination(url)
    assert err.value.code == "invalid_url"
    assert err.value.param == "endpoint"
    assert err.value.status == 400


def test_urls_over_2048_characters_are_invalid():
    url = "https://acme.dev/" + "a" * (2048 - len("https://acme.dev/"))
    assert validate_destination(url) == url
    with pytest.raises(InvalidRequest) as err:
        validate_destination(url + "a")
    assert err.value.code == "invalid_url"


def test_plain_http_is_insecure():
    with pytest.raises(Unprocessable) as err:
        validate_destination("http://acme.dev/hooks", param="callback_url")
    assert err.value.code == "insecure_url"
    assert err.value.param == "callback_url"
    assert err.value.status == 422


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[fd00:ec2::254]/",
        "https://[fe80::1%25eth0]/",
        "https://10.0.0.1:8443/",
        "https://%31%32%37.0.0.1/",
        "https://0.0.0.0/",
        "https://localhost/",
        "https://LOCALHOST/",
        "https://localhost./",
        "https://api.localhost/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://ip-10-0-0-1.ec2.internal/",
        "https://printer.local/",
        "https://router.home.arpa/",
        "https://intranet/",
        "https://instance-data/",
        "https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",  # full-width "localhost"
    ],
)
def test_internal_destinations_are_forbidden(url):
    with pytest.raises(Unprocessable) as err:
        validate_destination(url)
    assert err.value.code == "forbidden_destination"
    assert err.value.param == "endpoint"


def test_an_allow_listed_prefix_relaxes_scheme_and_address_rules():
    prefixes = ("http://127.0.0.1",)
    for url in ("http://127.0.0.1", "http://127.0.0.1:8080/hook", "http://127.0.0.1/x", "http://127.0.0.1?x=1"):
        assert validate_destination(url, allowed_prefixes=prefixes) == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1.evil.com/", "insecure_url"),
        ("http://127.0.0.10/", "insecure_url"),
        ("http://127.0.0.1@evil.com/", "invalid_url"),
        ("http://127.0.0.1:80@evil.com/", "invalid_url"),
        ("https://127.0.0.1/", "forbidden_destination"),
    ],
)
def test_the_allow_list_matches_only_at_a_boundary(url, code):
    with pytest.raises((InvalidRequest, Unprocessable)) as err:
        validate_destination(url, allowed_prefixes=("http://127.0.0.1",))
    assert err.value.code == code


def test_a_prefix_ending_in_a_slash_matches_anything_after_it():
    url = "http://localhost:9000/hooks"
    assert validate_destination(url, allowed_prefixes=("http://localhost:9000/",)) == url


# ---------------------------------------------------------------------------- check_resolved


def test_check_resolved_returns_the_first_public_address():
    assert check_resolved(["93.184.216.34", "2606:2800:220:1::1"], host="example.com") == "93.184.216.34"


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "10.0.0.5"], ["::ffff:169.254.169.254"], ["fe80::1%eth0"], ["not-an-ip"]],
)
def test_any_forbidden_address_rejects_the_host(addresses):
    with pytest.raises(ForbiddenDestination) as err:
        check_resolved(addresses, host="rebind.example")
    assert err.value.host == "rebind.example"
    assert "rebind.example" in str(err.value)
    assert err.value.address in addresses
    assert err.value.address in str(err.value)


def test_check_resolved_names_the_offending_address():
    with pytest.raises(ForbiddenDestination) as err:
        check_resolved(["8.8.8.8", "192.168.0.7"], host="mixed.example")
    assert err.value.address == "192.168.0.7"


def test_no_addresses_is_a_resolver_failure():
    with pytest.raises(ValueError):
        check_resolved([], host="nothing.example")


# ---------------------------------------------------------------------------- merge_query


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("https://a.dev/x", {"a": "1"}, "https://a.dev/x?a=1"),
        ("https://a.dev/x?keep=1", {"b": 2}, "https://a.dev/x?keep=1&b=2"),
        ("https://a.dev/x?keep=1#frag", {"flag": True, "off": False}, "https://a.dev/x?keep=1&flag=true&off=false#frag"),
        ("https://a.dev/x", {"q": "a b&c", "pi": 3.5}, "https://a.dev/x?q=a+b%26c&pi=3.5"),
        ("https://a.dev/x?keep=1", {}, "https://a.dev/x?keep=1"),
        ("https://a.dev/x?a=1", {"a": "2"}, "https://a.dev/x?a=1&a=2"),
    ],
)
def test_merge_query_appends_after_existing_parameters(url, query, expected):
    assert merge_query(url, query) == expected
