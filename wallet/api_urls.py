from django.urls import path

from wallet.api import bank, fx, history, operator, payments, settings

urlpatterns = [
    path("wallet/balances/", history.BalancesApi.as_view(), name="api-wallet-balances"),
    path("wallet/transactions/", history.HistoryApi.as_view(), name="api-wallet-history"),
    path(
        "wallet/transactions/export.csv",
        history.HistoryCsvApi.as_view(),
        name="api-wallet-history-csv",
    ),
    path(
        "wallet/transactions/<int:transaction_id>/",
        history.TransactionDetailApi.as_view(),
        name="api-wallet-transaction",
    ),
    path(
        "wallet/transactions/<int:transaction_id>/receipt.pdf",
        history.ReceiptPdfApi.as_view(),
        name="api-wallet-receipt-pdf",
    ),
    path(
        "wallet/statements/<int:year>/<int:month>/",
        history.StatementApi.as_view(),
        name="api-wallet-statement",
    ),
    path(
        "wallet/payments/preview/",
        payments.PaymentPreviewApi.as_view(),
        name="api-wallet-payment-preview",
    ),
    path("wallet/payments/", payments.PaymentCreateApi.as_view(), name="api-wallet-payments"),
    path(
        "wallet/payments/<int:payment_id>/",
        payments.PaymentDetailApi.as_view(),
        name="api-wallet-payment",
    ),
    path(
        "wallet/payments/<int:payment_id>/refund/",
        payments.PaymentRefundApi.as_view(),
        name="api-wallet-payment-refund",
    ),
    path(
        "wallet/payments/<int:payment_id>/cancel/",
        payments.PaymentCancelApi.as_view(),
        name="api-wallet-payment-cancel",
    ),
    path("wallet/holds/", payments.HoldListCreateApi.as_view(), name="api-wallet-holds"),
    path(
        "wallet/holds/<int:hold_id>/capture/",
        payments.HoldCaptureApi.as_view(),
        name="api-wallet-hold-capture",
    ),
    path(
        "wallet/holds/<int:hold_id>/void/",
        payments.HoldVoidApi.as_view(),
        name="api-wallet-hold-void",
    ),
    path(
        "wallet/transfers/preview/",
        payments.TransferPreviewApi.as_view(),
        name="api-wallet-transfer-preview",
    ),
    path("wallet/transfers/", payments.TransferCreateApi.as_view(), name="api-wallet-transfers"),
    path("wallet/cards/", bank.CardListCreateApi.as_view(), name="api-wallet-cards"),
    path("wallet/cards/<int:card_id>/", bank.CardDetailApi.as_view(), name="api-wallet-card"),
    path(
        "wallet/cards/<int:card_id>/bank-balance/",
        bank.CardBankBalanceApi.as_view(),
        name="api-wallet-card-balance",
    ),
    path("wallet/topups/", bank.TopUpCreateApi.as_view(), name="api-wallet-topups"),
    path("wallet/topups/<int:topup_id>/", bank.TopUpDetailApi.as_view(), name="api-wallet-topup"),
    path("wallet/withdrawals/", bank.WithdrawalCreateApi.as_view(), name="api-wallet-withdrawals"),
    path(
        "wallet/withdrawals/<int:withdrawal_id>/",
        bank.WithdrawalDetailApi.as_view(),
        name="api-wallet-withdrawal",
    ),
    path("wallet/bank/callback/", bank.BankCallbackApi.as_view(), name="api-wallet-bank-callback"),
    path("wallet/settings/", settings.WalletSettingsApi.as_view(), name="api-wallet-settings"),
    path("wallet/settings/pin/", settings.PinSetApi.as_view(), name="api-wallet-pin"),
    path("wallet/settings/freeze/", settings.FreezeApi.as_view(), name="api-wallet-freeze"),
    path("wallet/settings/unfreeze/", settings.UnfreezeApi.as_view(), name="api-wallet-unfreeze"),
    path("wallet/fx/quotes/", fx.QuoteCreateApi.as_view(), name="api-wallet-fx-quotes"),
    path(
        "wallet/fx/conversions/", fx.ConversionCreateApi.as_view(), name="api-wallet-fx-conversions"
    ),
    path("wallet/operator/fx-rates/", operator.FxRateApi.as_view(), name="api-wallet-fx-rates"),
    path(
        "wallet/operator/corrections/",
        operator.CorrectionListCreateApi.as_view(),
        name="api-wallet-corrections",
    ),
    path(
        "wallet/operator/corrections/<int:proposal_id>/approve/",
        operator.CorrectionDecisionApi.as_view(approve=True),
        name="api-wallet-correction-approve",
    ),
    path(
        "wallet/operator/corrections/<int:proposal_id>/reject/",
        operator.CorrectionDecisionApi.as_view(approve=False),
        name="api-wallet-correction-reject",
    ),
]
