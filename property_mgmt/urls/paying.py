from django.urls import path

from property_mgmt.views import paying as views

urlpatterns = [
    path("bills/", views.my_bills, name="my-bills"),
    path("bills/autopay/", views.my_autopay, name="my-bills-autopay"),
    path("bills/<int:bill_id>/", views.my_bill, name="my-bill"),
    path("bills/<int:bill_id>/receipt/", views.my_bill_receipt, name="my-bill-receipt"),
    path("bills/<int:bill_id>/receipt.pdf", views.my_bill_receipt_pdf, name="my-bill-receipt-pdf"),
]
