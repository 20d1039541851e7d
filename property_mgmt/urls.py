from django.urls import path

from property_mgmt import views

urlpatterns = [
    path("estate/", views.estate_home, name="estate-home"),
]
