"""The board's own views: one public, one for the signed-in holder, one for a Disnaker."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from siapkerja_adapters.integrations.django import current_holder, require_scope


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        "Bursa kerja daerah (Django). SIAPkerja: /siapkerja/",
        content_type="text/plain; charset=utf-8",
    )


def my_applications(request: HttpRequest) -> JsonResponse:
    # The holder signed in through the API's bearer token (or the pages' cookie);
    # without one, ProblemMiddleware answers the 401 problem document.
    holder = current_holder(request)
    return JsonResponse({"holder": holder.full_name, "lamaran": []})


def placements(request: HttpRequest) -> JsonResponse:
    require_scope(request, "disnaker")  # an institution's X-Verifier-Key with the scope
    return JsonResponse({"ditempatkan": 0})
