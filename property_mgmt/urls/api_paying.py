from django.urls import path

from property_mgmt.api import paying as api

urlpatterns = [
    path("me/bills/", api.ResidentBillListApi.as_view(), name="api-resident-bills"),
    path("me/bills/pay/", api.ResidentBillsPayApi.as_view(), name="api-resident-bills-pay"),
    path("me/bills/<int:bill_id>/", api.ResidentBillDetailApi.as_view(), name="api-resident-bill"),
    path(
        "me/bills/<int:bill_id>/receipt.pdf",
        api.ResidentBillReceiptPdfApi.as_view(),
        name="api-resident-bill-receipt-pdf",
    ),
    path("me/autopay/", api.ResidentAutoPayApi.as_view(), name="api-resident-autopay"),
    path(
        "me/autopay/<int:consent_id>/withdraw/",
        api.ResidentAutoPayWithdrawApi.as_view(),
        name="api-resident-autopay-withdraw",
    ),
]
