"""Sign-in for people: argon2 hashes, sessions with CSRF, lock-out, sign-out, token sessions and OIDC."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.users import create_user, set_disabled, set_password
from app.config import get_settings
from app.main import create_app
from tests.conftest import PASSWORD, _free_port, auth, sign_in

INCIDENT = {"lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"}


@pytest.fixture
def browser() -> Iterator[TestClient]:
    """A client of its own, so cookies set here never reach other tests."""
    with TestClient(create_app()) as c:
        yield c


def _login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/logga-in", data={"username": username, "password": password, "next": "/lagesbild"},
                       follow_redirects=False)


def test_password_sign_in_sets_a_session_and_csrf(browser: TestClient, people: dict[str, str],
                                                  session: Session) -> None:
    stored = session.execute(text("SELECT password_hash FROM users WHERE username = :u"),
                             {"u": people["analyst"]}).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    r = _login(browser, people["analyst"].upper(), PASSWORD)  # usernames are case-insensitive
    assert r.status_code == 303 and r.headers["location"] == "/lagesbild"
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert browser.get("/lagesbild", follow_redirects=False).status_code == 200
    page = browser.get("/").text
    assert people["analyst"] in page and 'name="csrf-token"' in page


def test_wrong_password_is_refused_in_swedish(browser: TestClient, people: dict[str, str]) -> None:
    r = _login(browser, people["planner"], "fel-lösenord-helt-och-hållet")
    assert r.status_code == 401 and "Fel användarnamn eller lösenord" in r.text
    r = _login(browser, "finns.inte@mjolby.test", "fel-lösenord-helt-och-hållet")
    assert r.status_code == 401 and "Fel användarnamn eller lösenord" in r.text  # same answer: no user probing
    assert "lagesbild_session" not in browser.cookies


def test_repeated_failures_lock_the_account_until_reset(browser: TestClient, session: Session) -> None:
    create_user(session, username="lasbar@mjolby.test", role="analyst", password=PASSWORD)
    for _ in range(get_settings().login_max_failures):
        assert _login(browser, "lasbar@mjolby.test", "gissning-nummer-ett").status_code == 401
    locked = _login(browser, "lasbar@mjolby.test", PASSWORD)  # even the right password is refused now
    unknown = _login(browser, "finns.inte@mjolby.test", PASSWORD)
    assert locked.status_code == unknown.status_code == 401
    # the same words as for a name that does not exist: a lock says nothing about which accounts exist
    assert "Fel användarnamn eller lösenord" in locked.text and "låses kontot i 15 minuter" in locked.text
    assert locked.text.replace("lasbar@mjolby.test", "X") == unknown.text.replace("finns.inte@mjolby.test", "X")
    set_password(session, "lasbar@mjolby.test", "ett-nytt-langt-losenord")
    assert _login(browser, "lasbar@mjolby.test", "ett-nytt-langt-losenord").status_code == 303


def test_a_cookie_alone_never_authorises_a_write(client: TestClient, people: dict[str, str]) -> None:
    headers = sign_in(client, people["analyst"])
    without_csrf = {"Cookie": headers["Cookie"]}
    r = client.post("/api/v1/incidents", headers=without_csrf, json=INCIDENT)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/api/v1/incidents", headers={**without_csrf, "X-CSRF-Token": "gissad"}, json=INCIDENT)
    assert r.status_code == 403
    assert client.post("/api/v1/incidents", headers=headers, json=INCIDENT).status_code == 201
    assert client.get("/api/v1/incidents", headers=without_csrf).status_code == 200  # reads need no CSRF


def test_sign_out_ends_the_session_on_the_server(client: TestClient, people: dict[str, str]) -> None:
    headers = sign_in(client, people["technician"])
    refused = client.post("/logga-ut", headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    assert refused.status_code == 403  # a cross-site form cannot sign someone out either
    r = client.post("/logga-ut", headers={"Cookie": headers["Cookie"]}, data={"csrf": headers["X-CSRF-Token"]},
                    follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401  # the old cookie is dead


def test_disabling_a_user_ends_their_sessions(client: TestClient, session: Session) -> None:
    create_user(session, username="slutar@mjolby.test", role="analyst", password=PASSWORD)
    headers = sign_in(client, "slutar@mjolby.test")
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    set_disabled(session, "slutar@mjolby.test", True)
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    assert _login(client, "slutar@mjolby.test", PASSWORD).status_code == 401
    client.cookies.clear()


def test_token_sign_in_gives_a_session_that_dies_with_the_token(browser: TestClient, session: Session) -> None:
    from app.auth.service import create_token

    token = create_token(session, role="planner", name="tjänstekonto")
    r = browser.post("/logga-in", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and browser.cookies.get("lagesbild_session") != token  # never the token itself
    assert browser.get("/patrull/plan", follow_redirects=False).status_code == 200
    session.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE name = 'tjänstekonto'"))
    session.commit()
    assert browser.get("/patrull/plan", follow_redirects=False).status_code == 303


def test_sign_ins_are_audited_without_the_password(client: TestClient, people: dict[str, str],
                                                   session: Session) -> None:
    _login(client, people["reporter"], "inte-rätt-lösenord-alls")
    sign_in(client, people["reporter"])
    rows = session.execute(text("SELECT actor, status, coalesce(query, '') || detail::text FROM audit_log "
                                "WHERE action = 'sign_in' ORDER BY id DESC LIMIT 2")).all()
    assert [(r[0], r[1]) for r in rows] == [(people["reporter"], 303), (None, 401)]
    assert all(PASSWORD not in r[2] and people["reporter"] in r[2] for r in rows)  # the account tried, not the password


# --- OIDC against a small real identity provider on loopback -------------------------------------------

class _Provider(BaseHTTPRequestHandler):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = ""
    codes: ClassVar[dict[str, dict[str, Any]]] = {}
    next_claims: ClassVar[dict[str, Any]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/.well-known/openid-configuration":
            self._json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                        "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks"})
        elif url.path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            self._json({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
        elif url.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            code = f"code-{len(self.codes)}"
            self.codes[code] = {"nonce": query["nonce"], "aud": query["client_id"], **self.next_claims}
            self.send_response(302)
            back = urlencode({"code": code, "state": query["state"]})
            self.send_header("Location", f"{query['redirect_uri']}?{back}")
            self.end_headers()

    def do_POST(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        claims = self.codes.pop(form["code"])
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + 300, **claims}
        self._json({"id_token": jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"}),
                    "token_type": "Bearer", "access_token": "x"})


@pytest.fixture
def provider() -> Iterator[type[_Provider]]:
    port = _free_port()
    _Provider.issuer = f"http://127.0.0.1:{port}"
    server = ThreadingHTTPServer(("127.0.0.1", port), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = get_settings()
    saved = (settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret)
    settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret = _Provider.issuer, "lagesbild", "s"
    yield _Provider
    settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret = saved
    server.shutdown()


def _oidc_round_trip(browser: TestClient) -> httpx.Response:
    start = browser.get("/logga-in/oidc", params={"next": "/lagesbild"}, follow_redirects=False)
    assert start.status_code == 303
    back = httpx.get(start.headers["location"], follow_redirects=False)  # the provider, over real HTTP
    callback = urlparse(back.headers["location"])
    return browser.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_oidc_signs_in_an_existing_user_and_links_the_subject(browser: TestClient, provider: type[_Provider],
                                                               session: Session) -> None:
    create_user(session, username="oidc@mjolby.test", role="planner", organisation="polisen")
    assert "Logga in med kommunens konto" in browser.get("/logga-in").text
    provider.next_claims = {"sub": "abc-123", "email": "OIDC@mjolby.test"}
    r = _oidc_round_trip(browser)
    assert r.status_code == 303 and r.headers["location"] == "/lagesbild", r.text
    assert browser.get("/lagesbild", follow_redirects=False).status_code == 200
    linked = session.execute(text("SELECT oidc_subject FROM users WHERE username = 'oidc@mjolby.test'")).scalar()
    assert linked == "abc-123"


def test_oidc_never_creates_accounts(browser: TestClient, provider: type[_Provider]) -> None:
    provider.next_claims = {"sub": "stranger", "email": "okand@example.org"}
    r = _oidc_round_trip(browser)
    assert r.status_code == 403 and "har inget konto" in r.text
    assert "lagesbild_session" not in browser.cookies


def test_oidc_refuses_a_token_for_another_client_or_a_forged_state(browser: TestClient,
                                                                  provider: type[_Provider]) -> None:
    provider.next_claims = {"sub": "x", "email": "a@b.se", "aud": "some-other-app"}
    r = _oidc_round_trip(browser)
    assert r.status_code == 401 and "ID token is not valid" in r.text
    forged = browser.get("/logga-in/oidc/callback?code=code-x&state=forged", follow_redirects=False)
    assert forged.status_code == 400


def test_api_tokens_still_work_without_csrf(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.post("/api/v1/incidents", headers=auth(tokens["analyst"]), json=INCIDENT).status_code == 201
