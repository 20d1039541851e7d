from django.urls import path

from property_mgmt.views import home as views

urlpatterns = [
    path("estate/", views.estate_home, name="estate-home"),
]
