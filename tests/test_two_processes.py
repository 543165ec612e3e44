"""Two app servers on one PostgreSQL database behind a proxy: what one decides, both respect.

The set-up of the README's "Production set-up": one DATABASE_URL and one
SECRET_KEY for every server, `flask --app frontdesk db upgrade` once, then two
separate gunicorn servers (gunicorn.conf.py, two workers each) with
PROXY_FIX_X_FOR=1 behind a round-robin reverse proxy that appends the client's
address to X-Forwarded-For. Requests through the proxy alternate between the
two servers, so every check below crosses process (and server) boundaries.
Test clients connect from different loopback addresses (127.0.0.x) to be
different citizens or offices.
"""

import re
import threading
from collections import Counter, defaultdict

import pytest
import requests
import sqlalchemy as sa
from requests.adapters import HTTPAdapter

from tests.conftest import PASSWORD, POSTGRES_URL
from tests.production import (
    Gunicorn,
    add_handlers,
    call,
    deploy,
    environment,
    fresh_database,
    reverse_proxy,
)

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_POSTGRES_URL")

REFERRALS = 6
HANDLERS = 8
WEB_FORM_LIMIT = 5
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 8


class Site:
    def __init__(self, url: str, proxy: str, servers: list[Gunicorn], tokens: dict[str, str]):
        self.url = url
        self.proxy = proxy
        self.servers = servers
        self.tokens = tokens

    def scalar(self, sql: str, **params):
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.scalar(sa.text(sql), params)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Deploy once, start two servers with the same environment, put the proxy in front."""
    tmp_path = tmp_path_factory.mktemp("two-processes")
    with fresh_database("postgresql", tmp_path, "two") as url:
        tokens = deploy(url)
        env = environment(
            url,
            PROXY_FIX_X_FOR="1",
            GUNICORN_THREADS="4",
            PUBLIC_FORM_OFFICE="K1",
            WEB_FORM_LIMIT_PER_HOUR=str(WEB_FORM_LIMIT),
            LOGIN_FAILURES_PER_ACCOUNT=str(ACCOUNT_LIMIT),
            LOGIN_FAILURES_PER_ADDRESS=str(ADDRESS_LIMIT),
            LOGIN_WINDOW_MINUTES="15",
        )
        servers = [Gunicorn(env, tmp_path / f"gunicorn-{n}.log") for n in (1, 2)]
        try:
            for server in servers:
                server.wait_until_healthy()
            with reverse_proxy(servers) as proxy:
                yield Site(url, proxy, servers, tokens)
        finally:
            for server in servers:
                server.stop()


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address: another client address for the app."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def browser(address: str) -> requests.Session:
    session = requests.Session()
    adapter = FromAddress(address)
    session.mount("http://", adapter)
    return session


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def served_by(responses) -> set[str]:
    return {response.headers["X-Served-By"] for response in responses}


def test_simultaneous_claims_through_both_servers_exactly_one_wins(site):
    handlers = add_handlers(site.url, HANDLERS)
    referral_ids = []
    for number in range(REFERRALS):
        status, body = call(
            "POST",
            f"{site.proxy}/api/v1/contacts",
            site.tokens["anna"],
            {"office": "K1", "channel": "besok", "case_type": "PARK", "rosa_level": 5,
             "note": f"remiss {number}"},
        )  # fmt: skip
        assert status == 201, body
        referral_ids.append(body["referral"]["id"])

    barrier = threading.Barrier(HANDLERS)
    results: dict[int, list[tuple[str, int, dict]]] = defaultdict(list)
    lock = threading.Lock()

    def claim_all(username: str, token: str) -> None:
        barrier.wait()
        # Everyone goes for the same referral at the same moment, in the same order.
        for referral_id in referral_ids:
            status, body = call("POST", f"{site.proxy}/api/v1/referrals/{referral_id}/claim", token)
            with lock:
                results[referral_id].append((username, status, body))

    threads = [threading.Thread(target=claim_all, args=handler) for handler in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    for referral_id in referral_ids:
        outcomes = results[referral_id]
        assert len(outcomes) == HANDLERS
        winners = [(user, body) for user, status, body in outcomes if status == 200]
        assert len(winners) == 1, outcomes
        winner, won = winners[0]
        assert (won["status"], won["claimed_by"]) == ("pagar", winner)
        losers = [(status, body["claimed_by"]) for user, status, body in outcomes if user != winner]
        assert losers == [(409, winner)] * (HANDLERS - 1)
        # The database agrees, and the audit log holds one claim per referral.
        assert (
            site.scalar(
                "SELECT u.username FROM referrals r JOIN users u ON u.id = r.claimed_by_id "
                "WHERE r.id = :id",
                id=referral_id,
            )
            == winner
        )
        assert (
            site.scalar(
                "SELECT count(*) FROM audit_events "
                "WHERE action = 'referral.claimed' AND entity_id = :id",
                id=referral_id,
            )
            == 1
        )


def _ask(session: requests.Session, url: str, token: str, text: str) -> requests.Response:
    return session.post(
        url,
        data={"csrf_token": token, "question": text, "email": "", "topic": "", "website": ""},
        allow_redirects=False,
        timeout=30,
    )


def test_web_form_limit_counts_an_address_across_both_servers(site):
    form = f"{site.proxy}/kontakta-oss"
    citizen = browser("127.0.0.2")
    token = csrf_token(citizen, form)
    sent = [_ask(citizen, form, token, f"Fråga nummer {n} om parkering") for n in range(7)]

    assert [r.status_code for r in sent] == [303] * WEB_FORM_LIMIT + [429, 429]
    # Accepted and refused questions were answered by both servers.
    assert len(served_by(sent[:WEB_FORM_LIMIT])) == 2
    assert len(served_by(sent[WEB_FORM_LIMIT:])) == 2
    assert "Du har skickat många frågor på kort tid" in sent[-1].text
    assert site.scalar("SELECT count(*) FROM inbox_messages WHERE body LIKE 'Fråga nummer %'") == 5

    # Another address (another citizen) behind the same proxy is not affected.
    neighbour = browser("127.0.0.3")
    answer = _ask(neighbour, form, csrf_token(neighbour, form), "Min egen fråga")
    assert answer.status_code == 303


def test_simultaneous_web_form_posts_from_one_address_stay_within_the_limit(site):
    form = f"{site.proxy}/kontakta-oss"
    citizen = browser("127.0.0.4")
    token = csrf_token(citizen, form)
    attempts = 12
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []
    lock = threading.Lock()

    def ask(number: int) -> None:
        session = browser("127.0.0.4")
        session.cookies.update(citizen.cookies)
        barrier.wait()
        response = _ask(session, form, token, f"Samtidig fråga {number}")
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stored = site.scalar("SELECT count(*) FROM inbox_messages WHERE body LIKE 'Samtidig fråga %'")
    assert Counter(statuses)[303] == stored
    assert set(statuses) <= {303, 429}
    assert stored <= WEB_FORM_LIMIT


class LoginPage:
    """One browser's login page: the CSRF token read once, then posts to whichever server."""

    def __init__(self, base: str, address: str):
        self.url = f"{base}/login"
        self.session = browser(address)
        self.token = csrf_token(self.session, self.url)

    def login(self, username: str, password: str) -> requests.Response:
        return self.session.post(
            self.url,
            data={"csrf_token": self.token, "username": username, "password": password},
            allow_redirects=False,
            timeout=30,
        )


def test_login_limit_per_account_holds_across_both_servers(site):
    attacker = LoginPage(site.proxy, "127.0.0.5")
    failures = [attacker.login("omar", "fel-losenord") for _ in range(ACCOUNT_LIMIT)]
    assert [r.status_code for r in failures] == [401] * ACCOUNT_LIMIT
    assert len(served_by(failures)) == 2

    # The account is locked on both servers, even for its owner with the right password
    # from another address.
    owner = LoginPage(site.proxy, "127.0.0.6")
    refused = [owner.login("omar", PASSWORD) for _ in range(2)]
    assert [r.status_code for r in refused] == [429, 429]
    assert len(served_by(refused)) == 2
    assert "För många misslyckade inloggningar" in refused[0].text
    assert (
        site.scalar(
            "SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed'"
            " AND data->>'username' = 'omar'"
        )
        == ACCOUNT_LIMIT
    )

    # Another account logs in as usual.
    answer = LoginPage(site.proxy, "127.0.0.6").login("johan", PASSWORD)
    assert answer.status_code == 302, answer.text[:300]


def test_login_limit_per_address_holds_across_both_servers(site):
    guesser = LoginPage(site.proxy, "127.0.0.7")
    # A different (unknown) account each time: only the address's count reaches its limit.
    failures = [guesser.login(f"gissning{n}", "fel-losenord") for n in range(ADDRESS_LIMIT)]
    assert [r.status_code for r in failures] == [401] * ADDRESS_LIMIT
    assert len(served_by(failures)) == 2
    refused = [guesser.login("karin", PASSWORD) for _ in range(2)]
    assert [r.status_code for r in refused] == [429, 429]
    assert len(served_by(refused)) == 2

    # The same account from another address is let in.
    answer = LoginPage(site.proxy, "127.0.0.8").login("karin", PASSWORD)
    assert answer.status_code == 302, answer.text[:300]


def test_simultaneous_wrong_passwords_through_both_servers_count_exactly(site):
    attempts = 12
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []
    lock = threading.Lock()

    def guess(number: int) -> None:
        page = LoginPage(site.proxy, f"127.0.1.{number + 1}")
        barrier.wait()
        response = page.login("anna", f"fel-{number}")
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert Counter(statuses) == {401: ACCOUNT_LIMIT, 429: attempts - ACCOUNT_LIMIT}
