from django.urls import path

from merchants.views import home as views

urlpatterns = [
    path("shop/", views.merchant_home, name="merchant-home"),
]
