"""The reader site under /magazin/ (tests/test_reader_cards.py: URLs follow the URLconf)."""

from django.urls import include, path

urlpatterns = [path("magazin/", include("blog.urls"))]
