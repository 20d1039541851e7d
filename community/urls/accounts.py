from django.urls import path

from community.views import accounts as views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.profile, name="profile"),
    path("language/", views.set_language, name="set-language"),
]
