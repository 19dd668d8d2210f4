"""OpenID Connect sign-in (authorization code flow) for municipalities with an identity provider.

The provider only proves who someone is; the account, role and unit must already exist in Lägesbild
(an administrator creates them), so a provider cannot grant access by itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from app.config import Settings

_discovery: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks: dict[str, jwt.PyJWKClient] = {}
DISCOVERY_SECONDS = 3600.0


class OidcError(Exception):
    """Anything that makes an OIDC answer unusable; the message says what."""


@dataclass(frozen=True)
class Identity:
    subject: str
    username: str | None


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _config(settings: Settings) -> dict[str, Any]:
    issuer = str(settings.oidc_issuer).rstrip("/")
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    try:
        answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5.0)
        answer.raise_for_status()
        config = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(f"cannot read the identity provider's configuration at {issuer}: {exc}") from None
    if config.get("issuer", "").rstrip("/") != issuer:
        raise OidcError(f"the provider says its issuer is {config.get('issuer')!r}, not {issuer!r}")
    _discovery[issuer] = (time.monotonic(), config)
    return config


def authorization_url(settings: Settings, *, redirect_uri: str, state: str, nonce: str) -> str:
    config = _config(settings)
    query = urlencode({"response_type": "code", "client_id": settings.oidc_client_id, "scope": "openid email profile",
                       "redirect_uri": redirect_uri, "state": state, "nonce": nonce})
    return f"{config['authorization_endpoint']}?{query}"


def identity_from_code(settings: Settings, *, code: str, redirect_uri: str, nonce: str) -> Identity:
    """Exchange the code for tokens and verify the ID token (signature, issuer, audience, expiry, nonce)."""
    config = _config(settings)
    try:
        answer = httpx.post(config["token_endpoint"], timeout=10.0, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": settings.oidc_client_id, "client_secret": settings.oidc_client_secret or ""})
        answer.raise_for_status()
        id_token = answer.json()["id_token"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise OidcError(f"the identity provider refused the sign-in code: {exc}") from None
    jwks_uri = config["jwks_uri"]
    client = _jwks.setdefault(jwks_uri, jwt.PyJWKClient(jwks_uri, cache_keys=True))
    try:
        key = client.get_signing_key_from_jwt(id_token)
        claims = jwt.decode(id_token, key.key, algorithms=["RS256", "ES256", "PS256"],
                            audience=settings.oidc_client_id, issuer=config["issuer"],
                            options={"require": ["exp", "iat", "sub"]})
    except jwt.PyJWTError as exc:
        raise OidcError(f"the ID token is not valid: {exc}") from None
    if claims.get("nonce") != nonce:
        raise OidcError("the ID token's nonce does not match this sign-in")
    username = claims.get(settings.oidc_username_claim)
    return Identity(subject=str(claims["sub"]), username=str(username) if username else None)
