"""Sign in with SIAPkerja, and link by (issuer, sub) only.

Authlib's Django client does the protocol: discovery, the authorization
code flow with PKCE (S256), ``state`` (kept in the database session and
spent by the callback: a replayed callback is refused) and the ``nonce``
it checks in the EdDSA-signed ID token.

The linking rule (``callback``), in order:

1. (iss, sub) is linked: sign in as that user;
2. a user is signed in already (with their password): link them;
3. a user with the same e-mail exists: **no link, no sign-in**; the pair
   waits in the session until the user signs in to that account with its
   password (``local_login``), which then links it;
4. otherwise a new user, linked.

Never by the e-mail or the NIK alone: those are claims about a person, the
pairwise ``sub`` is the identity the provider vouches for, for this hub.
"""

from __future__ import annotations

import json

import requests
from authlib.integrations.django_client import OAuth, OAuthError
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rpsite.models import SiapkerjaLink

CONFIG = settings.SIAPKERJA

oauth = OAuth()
oauth.register(
    name="siapkerja",
    client_id=CONFIG["client_id"],
    client_secret=CONFIG["client_secret"],
    server_metadata_url=f"{CONFIG['issuer']}/.well-known/openid-configuration",
    client_kwargs={
        "scope": CONFIG["scope"],
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_basic",
    },
)
siapkerja = oauth.create_client("siapkerja")

SESSION_KEY = "siapkerja"  # the token and claims of this browser's sign-in
PENDING_KEY = "siapkerja_pending_link"  # (iss, sub) waiting for a local sign-in


def _refusal(request: HttpRequest, code: str, description: str = "") -> HttpResponse:
    return render(
        request, "rpsite/error.html", {"code": code, "description": description}, status=400
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    signed = request.session.get(SESSION_KEY) or {}
    return render(
        request,
        "rpsite/home.html",
        {
            "linked": request.user.is_authenticated
            and SiapkerjaLink.objects.filter(user=request.user).exists(),
            "id_claims": json.dumps(signed.get("id_claims"), indent=2, sort_keys=True),
            "userinfo": json.dumps(signed.get("userinfo"), indent=2, sort_keys=True),
            "message": request.session.pop("message", None),
        },
    )


@require_GET
def login_start(request: HttpRequest) -> HttpResponse:
    """To the provider: response_type=code, scope, state, nonce, code_challenge (S256)."""
    return siapkerja.authorize_redirect(request, CONFIG["redirect_uri"])


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    try:
        # state checked and spent, code + PKCE verifier exchanged, ID token
        # verified (signature, iss, aud, exp, nonce).
        token = siapkerja.authorize_access_token(request)
    except OAuthError as error:
        return _refusal(request, error.error, error.description or "")
    except requests.HTTPError as error:
        return _refusal(request, "token_error", error.response.text)
    claims = token.get("userinfo")
    if not claims or not claims.get("nonce"):
        return _refusal(request, "invalid_id_token", "no verified ID token")
    iss, sub = claims["iss"], claims["sub"]
    try:
        info = dict(siapkerja.userinfo(token=token))
    except requests.HTTPError as error:
        return _refusal(request, "userinfo_error", error.response.text)
    if info.get("sub") != sub:
        return _refusal(request, "invalid_userinfo", "sub differs")

    signed = {"token": dict(token), "id_claims": dict(claims), "userinfo": info}
    with transaction.atomic():
        link = SiapkerjaLink.objects.select_related("user").filter(issuer=iss, subject=sub).first()
        if link is not None:  # 1. a known identity
            user = link.user
        elif request.user.is_authenticated:  # 2. signed in with a password: they own it
            user = request.user
            if SiapkerjaLink.objects.filter(issuer=iss, user=user).exists():
                return _refusal(request, "already_linked", "akun ini tertaut ke identitas lain")
            SiapkerjaLink.objects.create(issuer=iss, subject=sub, user=user)
            request.session["message"] = "SIAPkerja sekarang tertaut ke akun Anda."
        elif info.get("email") and (
            get_user_model().objects.filter(email__iexact=info["email"]).exists()
        ):
            # 3. Same e-mail as a local account: prove you own it first.
            request.session[PENDING_KEY] = [iss, sub]
            request.session[SESSION_KEY] = signed
            request.session["message"] = (
                "Sudah ada akun dengan email ini. Masuk dengan password akun tersebut "
                "untuk menautkannya ke SIAPkerja."
            )
            return HttpResponseRedirect("/masuk-lokal")
        else:  # 4. a new user, without a password, linked
            user = get_user_model().objects.create_user(
                username=f"siapkerja:{sub}"[:150],
                email=info.get("email") or "",
                first_name=(claims.get("name") or "")[:150],
            )
            SiapkerjaLink.objects.create(issuer=iss, subject=sub, user=user)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # a new session key
    request.session[SESSION_KEY] = signed
    return HttpResponseRedirect("/")


@require_http_methods(["GET", "POST"])
def local_login(request: HttpRequest) -> HttpResponse:
    """The hub's own password sign-in; completes a link waiting in the session."""
    error = None
    if request.method == "POST":
        email = request.POST.get("email", "")
        found = get_user_model().objects.filter(email__iexact=email).first()
        password = request.POST.get("password", "")
        user = (
            None
            if found is None
            else authenticate(request, username=found.get_username(), password=password)
        )
        if user is not None:
            pending = request.session.pop(PENDING_KEY, None)
            signed = request.session.get(SESSION_KEY)
            if pending is not None and (
                SiapkerjaLink.objects.filter(issuer=pending[0], user=user)
                .exclude(subject=pending[1])
                .exists()
            ):
                return _refusal(request, "already_linked", "akun ini tertaut ke identitas lain")
            login(request, user)
            if pending is not None:
                iss, sub = pending
                SiapkerjaLink.objects.get_or_create(issuer=iss, subject=sub, user=user)
                request.session[SESSION_KEY] = signed
                request.session["message"] = "SIAPkerja sekarang tertaut ke akun Anda."
            return HttpResponseRedirect("/")
        error = "Email atau password salah."
    return render(
        request,
        "rpsite/local_login.html",
        {"error": error, "message": request.session.pop("message", None)},
        status=401 if error else 200,
    )


@require_GET
def userinfo(request: HttpRequest) -> JsonResponse:
    """The provider's userinfo again: refused once the holder withdrew the consent."""
    signed = request.session.get(SESSION_KEY)
    if not signed:
        return JsonResponse({"error": "not_signed_in"}, status=401)
    try:
        info = dict(siapkerja.userinfo(token=signed["token"]))
    except requests.HTTPError as error:
        return JsonResponse(
            {"error": "provider_refused", "status": error.response.status_code}, status=401
        )
    return JsonResponse(info)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Revoke the refresh token (RFC 7009), end the local session, then RP-initiated
    logout at the provider."""
    signed = request.session.get(SESSION_KEY) or {}
    token = signed.get("token") or {}
    metadata = siapkerja.load_server_metadata()
    if token.get("refresh_token") and metadata.get("revocation_endpoint"):
        requests.post(
            metadata["revocation_endpoint"],
            data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(CONFIG["client_id"], CONFIG["client_secret"]),
            timeout=10,
        )
    logout(request)
    if token.get("id_token") and metadata.get("end_session_endpoint"):
        return siapkerja.logout_redirect(
            request,
            post_logout_redirect_uri=CONFIG["post_logout_redirect_uri"],
            id_token_hint=token["id_token"],
        )
    return HttpResponseRedirect("/")
