from django.urls import path

from blog import views

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("cikk/<slug:slug>/", views.article_detail, name="article"),
    path("szerzo/<slug:slug>/", views.author_detail, name="author"),
    path("cimke/<slug:slug>/", views.tag_detail, name="tag"),
]
