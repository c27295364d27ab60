import pytest

from cligate.server.guard import Guard

SECRET = "s3cr3t-token-value"
PORT = 45678


def check(target: str = "/v1/messages", **headers: str) -> tuple[bool, int, str]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    verdict = Guard(SECRET, PORT).check(target, raw)
    return verdict.allowed, verdict.status, verdict.target


@pytest.mark.parametrize(
    "credential",
    [
        {"x_api_key": SECRET},
        {"authorization": f"Bearer {SECRET}"},
        {"authorization": f"bearer {SECRET}"},
        {"x_goog_api_key": SECRET},
    ],
)
def test_secret_is_accepted_in_each_header(credential: dict[str, str]) -> None:
    assert check(host=f"127.0.0.1:{PORT}", **credential) == (True, 200, "/v1/messages")


def test_secret_path_prefix_is_accepted_and_stripped() -> None:
    allowed, _, target = check(f"/{SECRET}/v1/messages?beta=true", host=f"localhost:{PORT}")
    assert (allowed, target) == (True, "/v1/messages?beta=true")


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"x_api_key": "wrong"},
        {"x_api_key": SECRET[:-1]},
        {"authorization": SECRET},  # no Bearer scheme
        {"authorization": f"Basic {SECRET}"},
    ],
)
def test_missing_or_wrong_secret_is_401(credential: dict[str, str]) -> None:
    allowed, status, _ = check(host=f"127.0.0.1:{PORT}", **credential)
    assert (allowed, status) == (False, 401)


def test_path_prefix_must_be_a_whole_segment() -> None:
    allowed, status, _ = check(f"/{SECRET}extra/v1/messages", host=f"127.0.0.1:{PORT}")
    assert (allowed, status) == (False, 401)


@pytest.mark.parametrize(
    "host",
    [None, "evil.example:45678", "127.0.0.1", f"127.0.0.1:{PORT + 1}", f"attacker.com:{PORT}"],
)
def test_foreign_host_is_403_even_with_the_secret(host: str | None) -> None:
    headers = {"x_api_key": SECRET}
    if host is not None:
        headers["host"] = host
    allowed, status, _ = check(**headers)
    assert (allowed, status) == (False, 403)


@pytest.mark.parametrize(
    "target", ["@evil.example:8443/x", ".evil.com/x", "http://evil.example/v1/messages", "*", ""]
)
def test_only_path_targets_are_admitted(target: str) -> None:
    """Joined to a base URL without a path, such a target would name another host and carry
    the provider's key there."""
    allowed, status, _ = check(target, host=f"127.0.0.1:{PORT}", x_api_key=SECRET)
    assert (allowed, status) == (False, 400)


@pytest.mark.parametrize(
    ("host", "local"),
    [("localhost", True), ("LOCALHOST", True), ("api.localhost", True), ("127.0.0.1", True),
     ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("0.0.0.0", False),
     ("192.168.1.2", False), ("localhost.example.com", False), ("", False)],
)  # fmt: skip
def test_which_hosts_mean_this_machine(host: str, local: bool) -> None:
    from cligate.hosts import is_loopback_host

    assert is_loopback_host(host) is local
