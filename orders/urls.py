from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout_review, name="review"),
    path("cart/checkout", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
]
