"""The site's URLs plus two views that crash, one page and one API path."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config import urls as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *site.urlpatterns]
handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
