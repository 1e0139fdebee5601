from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: the application answers. Reveals nothing else."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What was sent was not what the page sends (an unknown button, a tampered field): the
    page says so inside the usual frame, with the menu of the person signed in."""
    return render(request, "400.html", status=400)
