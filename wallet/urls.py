from django.urls import path

from wallet.views import cards, operations, paying, reconciliation, records, settings

urlpatterns = [
    path("wallet/", paying.home, name="wallet-home"),
    path("wallet/top-up/", paying.topup, name="wallet-topup"),
    path("wallet/withdraw/", paying.withdraw, name="wallet-withdraw"),
    path("wallet/pay/<str:token>/", paying.pay, name="wallet-pay"),
    path("wallet/transfer/", paying.transfer, name="wallet-transfer"),
    path("wallet/cards/", cards.cards, name="wallet-cards"),
    path("wallet/cards/<int:card_id>/", cards.card_action, name="wallet-card-action"),
    path("wallet/history/", records.history, name="wallet-history"),
    path(
        "wallet/transactions/<int:transaction_id>/",
        records.transaction_detail,
        name="wallet-transaction",
    ),
    path("wallet/settings/", settings.settings_page, name="wallet-settings"),
    path("wallet/statements/<int:year>/<int:month>/", records.statement, name="wallet-statement"),
    path("wallet/exchange/", operations.exchange, name="wallet-exchange"),
    path("wallet/holds/", operations.holds, name="wallet-holds"),
    path("wallet/holds/<int:hold_id>/", operations.hold_action, name="wallet-hold-action"),
    path("wallet/payments/<int:payment_id>/refund/", operations.refund, name="wallet-refund"),
    path("wallet/operator/", operations.operator_console, name="wallet-operator"),
    path(
        "wallet/operator/corrections/<int:proposal_id>/",
        operations.correction_decide,
        name="wallet-correction-decide",
    ),
    path("receipts/verify/", records.receipt_verify, name="receipt-verify"),
    path(
        "operator/reconciliation/",
        reconciliation.reconciliations,
        name="wallet-reconciliations",
    ),
    path(
        "operator/reconciliation/<int:reconciliation_id>/",
        reconciliation.reconciliation_detail,
        name="wallet-reconciliation",
    ),
    path(
        "operator/reconciliation/<int:reconciliation_id>/rerun/",
        reconciliation.reconciliation_rerun,
        name="wallet-reconciliation-rerun",
    ),
]
