from django.urls import path

from wallet import views, views_more

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
    path("wallet/statements/<int:year>/<int:month>/", views.statement, name="wallet-statement"),
    path("wallet/exchange/", views_more.exchange, name="wallet-exchange"),
    path("wallet/holds/", views_more.holds, name="wallet-holds"),
    path("wallet/holds/<int:hold_id>/", views_more.hold_action, name="wallet-hold-action"),
    path("wallet/payments/<int:payment_id>/refund/", views_more.refund, name="wallet-refund"),
    path("wallet/operator/", views_more.operator_console, name="wallet-operator"),
    path(
        "wallet/operator/corrections/<int:proposal_id>/",
        views_more.correction_decide,
        name="wallet-correction-decide",
    ),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
]
