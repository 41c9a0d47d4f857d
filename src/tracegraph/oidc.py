"""JWT bearer tokens from an OpenID Connect issuer, verified with PyJWT against the issuer's JWKS.

The signing keys are fetched with httpx, so the event loop never blocks on the issuer: from
`TRACEGRAPH_OIDC_JWKS_URL`, or from the `jwks_uri` of the issuer's discovery document
(`<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured one). They
are kept, and fetched again when older than `jwks_max_age` or when a token names a key id they
do not hold (a key rotation) — at most once per `refresh_interval`, and one fetch at a time
however many requests wait for it. When a fetch fails the keys already held stay in use; with
none held, a token is refused (`Unauthenticated`, so a 401) saying why the issuer could not be
read, never a 500.

Every refusal names what is wrong: malformed, algorithm not allowed, wrong issuer, unknown key
id, bad signature, expired, not yet valid, wrong audience, a missing claim.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from .config import Settings
from .domain.auth import Role, Unauthenticated

log = logging.getLogger("tracegraph.oidc")


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str | None = None  # None: discovered from the issuer
    organization_claim: str = "org"
    role_claim: str = "role"
    default_role: Role | None = Role.VIEWER  # None: a token without the role claim is refused
    algorithms: tuple[str, ...] = ("RS256",)
    required_claims: tuple[str, ...] = ("exp", "iat", "sub")
    leeway: float = 30.0
    timeout: float = 5.0
    refresh_interval: float = 30.0
    jwks_max_age: float = 3600.0

    @classmethod
    def from_settings(cls, s: Settings) -> OidcConfig | None:
        if not s.oidc_issuer:
            return None
        default = s.oidc_default_role.strip().upper()
        return cls(
            issuer=s.oidc_issuer,
            audiences=tuple(s.oidc_audience_list),
            jwks_url=s.oidc_jwks_url or None,
            organization_claim=s.oidc_organization_claim,
            role_claim=s.oidc_role_claim,
            default_role=Role(default) if default else None,
            algorithms=tuple(s.oidc_algorithm_list),
            required_claims=tuple(s.oidc_required_claim_list),
            leeway=s.oidc_leeway,
            timeout=s.oidc_timeout,
            refresh_interval=s.oidc_refresh_interval,
            jwks_max_age=s.oidc_jwks_max_age,
        )


class _FetchFailed(Exception):
    pass


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class OidcVerifier:
    """Verifies a JWT's signature against the issuer's JWKS and its claims against the config;
    returns the claims. `transport` lets tests route the fetches."""

    def __init__(self, config: OidcConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.organization_claim = config.organization_claim
        self.role_claim = config.role_claim
        self.default_role = config.default_role
        self.leeway = config.leeway
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._jwks_url = config.jwks_url
        self._keys: list[dict[str, Any]] | None = None  # the signing keys (JWKs) fetched last
        self._fetched_at = 0.0  # when they were (monotonic)
        self._attempted_at: float | None = None  # the last fetch, successful or not
        self._attempts = 0  # fetches begun
        self._error: str | None = None  # why the last fetch failed; None when it did not
        self._lock = asyncio.Lock()
        self._prepared: dict[tuple[int, str], jwt.PyJWK] = {}

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- verification --------------------------------------------------------------------------

    async def verify(self, token: str) -> dict[str, Any]:
        c = self.config
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"malformed JWT: {e}") from None
        alg = header.get("alg")
        if alg not in c.algorithms:
            raise Unauthenticated(
                f"the token's algorithm {_short(alg)} is not allowed (allowed: {', '.join(c.algorithms)})"
            )
        iss = unverified.get("iss")
        if iss is None:
            raise Unauthenticated("the token has no 'iss' claim")
        if iss != c.issuer:
            raise Unauthenticated(f"wrong issuer: the token is from {_short(iss)}, not {c.issuer!r}")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("the token's key id (kid) is not a string")
        key = await self._key(kid, alg)
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=list(c.audiences),
                issuer=c.issuer,
                leeway=c.leeway,
                options={"require": ["iss", "aud", *c.required_claims]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.ImmatureSignatureError as e:
            raise Unauthenticated(f"the token is not valid yet: {e}") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(f"bad signature: the token was not signed by the issuer's key {kid!r}") from None
        except jwt.MissingRequiredClaimError as e:
            raise Unauthenticated(f"the token has no {e.claim!r} claim") from None
        except jwt.InvalidAudienceError as e:
            raise Unauthenticated(
                f"wrong audience ({e}): the token must be for {' or '.join(repr(a) for a in c.audiences)}"
            ) from None
        except jwt.InvalidIssuerError as e:
            raise Unauthenticated(f"wrong issuer: {e}") from None
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"invalid token: {e}") from None

    async def _key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        c = self.config
        if self._keys is None or time.monotonic() - self._fetched_at > c.jwks_max_age:
            await self._refresh()
        found = self._find(kid)
        if found is None and self._keys is not None:
            await self._refresh()  # a key rotated in since the last fetch, perhaps
            found = self._find(kid)
        if self._keys is None:
            raise Unauthenticated(f"the issuer's signing keys could not be fetched: {self._error}")
        if found is None:
            if kid is None:
                raise Unauthenticated("the token names no key id (kid) and the issuer publishes several keys")
            also = f" (fetching them again failed: {self._error})" if self._error else ""
            raise Unauthenticated(f"unknown key id {_short(kid)}: the issuer's JWKS has no such signing key{also}")
        index, jwk = found
        declared = jwk.get("alg")
        if declared is not None and declared != alg:
            raise Unauthenticated(f"the token's algorithm {alg} does not match its key's ({_short(declared)})")
        prepared = self._prepared.get((index, alg))
        if prepared is None:
            try:
                prepared = jwt.PyJWK(jwk, alg)
            except jwt.PyJWTError as e:
                raise Unauthenticated(f"the issuer's key {_short(kid)} does not fit algorithm {alg}: {e}") from None
            self._prepared[(index, alg)] = prepared
        return prepared

    def _find(self, kid: str | None) -> tuple[int, dict[str, Any]] | None:
        if self._keys is None:
            return None
        if kid is None:
            return (0, self._keys[0]) if len(self._keys) == 1 else None
        for index, jwk in enumerate(self._keys):
            if jwk.get("kid") == kid:
                return index, jwk
        return None

    # -- fetching the keys ---------------------------------------------------------------------

    async def _refresh(self) -> None:
        """Fetch the keys again, unless another request did while this one waited, or the last
        fetch is less than `refresh_interval` old."""
        seen = self._attempts
        async with self._lock:
            if self._attempts != seen:  # fetched while this request waited for the lock
                return
            last = self._attempted_at
            if last is not None and time.monotonic() - last < self.config.refresh_interval:
                return
            self._attempts += 1
            self._attempted_at = time.monotonic()
            try:
                keys = await self._fetch()
            except _FetchFailed as e:
                self._error = str(e)
                log.warning("OpenID Connect signing keys not fetched: %s", e)
                return
            self._keys, self._fetched_at, self._error = keys, time.monotonic(), None
            self._prepared.clear()
            log.info("fetched %d signing keys of %s", len(keys), self.config.issuer)

    async def _fetch(self) -> list[dict[str, Any]]:
        if self._jwks_url is None:
            where = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            doc = await self._get(where, "the discovery document")
            if doc.get("issuer") != self.config.issuer:
                raise _FetchFailed(
                    f"the discovery document at {where} names issuer {_short(doc.get('issuer'))}, "
                    f"not {self.config.issuer!r}"
                )
            url = doc.get("jwks_uri")
            if not isinstance(url, str) or not url:
                raise _FetchFailed(f"the discovery document at {where} has no jwks_uri")
            self._jwks_url = url
        doc = await self._get(self._jwks_url, "the JWKS")
        keys = doc.get("keys")
        if not isinstance(keys, list):
            raise _FetchFailed(f"the JWKS at {self._jwks_url} has no 'keys' list")
        usable = [
            k
            for k in keys
            if isinstance(k, dict) and k.get("kty") in ("RSA", "EC", "OKP") and k.get("use", "sig") == "sig"
        ]
        if not usable:
            raise _FetchFailed(f"the JWKS at {self._jwks_url} holds no signing key")
        return usable

    async def _get(self, url: str, what: str) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=self.config.timeout,
                follow_redirects=True,
                headers={"Accept": "application/json"},
            )
        try:
            r = await self._client.get(url)
        except httpx.TimeoutException:
            raise _FetchFailed(f"{what} at {url} did not answer within {self.config.timeout:g} s") from None
        except httpx.HTTPError as e:
            raise _FetchFailed(f"{what} at {url} could not be fetched ({type(e).__name__})") from None
        if r.status_code != 200:
            raise _FetchFailed(f"{what} at {url} answered HTTP {r.status_code}")
        try:
            doc = r.json()
        except ValueError:
            raise _FetchFailed(f"{what} at {url} is not JSON") from None
        if not isinstance(doc, dict):
            raise _FetchFailed(f"{what} at {url} is not a JSON object")
        return doc
