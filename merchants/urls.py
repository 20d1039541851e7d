from django.urls import path

from merchants import views

urlpatterns = [
    path("shop/", views.merchant_home, name="merchant-home"),
]
