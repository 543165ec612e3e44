"""A real OpenID provider on loopback (tests/oidc/provider.mjs, panva's oidc-provider).

scripts/test installs Node.js and tests/oidc/node_modules; the session fixture starts
one provider per test process (one per pytest-xdist worker) and stops it at the end.
"""

import html
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

PROGRAM_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "medborgarkontoret"
CLIENT_SECRET = "test-client-secret"
# The Flask test client's address, and any port on 127.0.0.1 (the live servers'): the
# provider registers the client as a loopback client (see provider.mjs).
REDIRECT_URIS = (
    "http://localhost/login/oidc/callback",
    "http://127.0.0.1/login/oidc/callback",
)
START_SECONDS = 20


@dataclass(frozen=True)
class Provider:
    issuer: str
    log: Path

    def settings(self, **overrides) -> dict:
        """The app's configuration for signing in through this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        } | overrides


@contextmanager
def running_provider(log_dir: Path):
    node = shutil.which("node")
    if node is None or not (PROGRAM_DIR / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(
            "The OpenID provider needs Node.js and tests/oidc/node_modules: run scripts/test "
            "(or `npm ci` in tests/oidc)"
        )
    log = log_dir / "oidc-provider.log"
    command = [node, "provider.mjs", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    for uri in REDIRECT_URIS:
        command += ["--redirect-uri", uri]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROGRAM_DIR, stdout=out, stderr=subprocess.STDOUT)
    try:
        issuer = _wait_until_ready(process, log)
        yield Provider(issuer=issuer, log=log)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen, log: Path) -> str:
    """The issuer from the ready line, once the provider serves its discovery document."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited:\n{log.read_text()}")
        match = re.search(r'^\{"issuer":"([^"]+)"\}$', log.read_text(), re.MULTILINE)
        if match:
            issuer = match.group(1)
            try:
                discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
                if discovery.ok and discovery.json()["issuer"] == issuer:
                    return issuer
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"the OpenID provider did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("oidc")) as provider:
        yield provider


def sign_in_at_provider(authorize_url: str, login: str, stop_at: str) -> str:
    """Sign in on the provider's own pages as a person would, by posting its login form.

    Follows the provider's redirects from the authorization URL until one leads back to
    stop_at (the app's callback); returns that URL. Any password does for a known login.
    """
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="prompt" value="login"' in response.text:
            action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', response.text)[1])
            response = browser.post(
                urljoin(url, action),
                data={"prompt": "login", "login": login, "password": "vilket-som-helst"},
                allow_redirects=False,
                timeout=10,
            )
        if response.status_code not in (302, 303):
            raise AssertionError(f"unexpected answer from the provider: {response.status_code}")
        url = urljoin(url, response.headers["Location"])
        if url.startswith(stop_at):
            return url
    raise AssertionError("the provider never sent the browser back to the app")
