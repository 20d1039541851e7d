from django.urls import path

from wallet import views

urlpatterns = [
    path("wallet/", views.home, name="wallet-home"),
    path("wallet/top-up/", views.topup, name="wallet-topup"),
    path("wallet/withdraw/", views.withdraw, name="wallet-withdraw"),
    path("wallet/pay/<str:token>/", views.pay, name="wallet-pay"),
    path("wallet/transfer/", views.transfer, name="wallet-transfer"),
    path("wallet/cards/", views.cards, name="wallet-cards"),
    path("wallet/cards/<int:card_id>/", views.card_action, name="wallet-card-action"),
    path("wallet/history/", views.history, name="wallet-history"),
    path(
        "wallet/transactions/<int:transaction_id>/",
        views.transaction_detail,
        name="wallet-transaction",
    ),
    path("wallet/settings/", views.settings_page, name="wallet-settings"),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
]
