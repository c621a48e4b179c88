"""`belltower dev` starts, serves the API and refuses unauthenticated calls."""

import pytest

pytestmark = pytest.mark.e2e


def test_dev_server_starts_and_requires_an_api_key(dev_server):
    response = dev_server.request("GET", "/v1/schedules", auth=False)
    assert response.status == 401, dev_server.log()
    assert response.json()["error"]["code"] == "unauthorized"


def test_the_receiver_records_requests_and_replays_its_program(receiver):
    import urllib.error
    import urllib.request

    receiver.program("/hook", [(503, {"Retry-After": "1"}, "busy"), (200, {}, {"ok": True})])
    statuses = []
    for _ in range(3):
        try:
            with urllib.request.urlopen(urllib.request.Request(receiver.url + "/hook?x=1", data=b"hi")) as r:
                statuses.append((r.status, r.read()))
        except urllib.error.HTTPError as error:
            statuses.append((error.code, error.read()))
    assert statuses == [(503, b"busy"), (200, b'{"ok": true}'), (200, b'{"ok": true}')]
    first, *_ = receiver.wait_for(3, timeout=5)
    assert (first.method, first.path, first.query, first.body) == ("POST", "/hook", {"x": ["1"]}, b"hi")
