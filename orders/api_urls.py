from django.urls import path

from orders import api

urlpatterns = [
    path("checkout", api.CheckoutView.as_view(), name="api-checkout"),
]
