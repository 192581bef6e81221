from django.urls import path

from cart.api import views

urlpatterns = [
    path("cart", views.CartView.as_view(), name="api-cart"),
    path("cart/items", views.CartItemsView.as_view(), name="api-cart-items"),
    path("cart/items/<str:line_id>", views.CartItemView.as_view(), name="api-cart-item"),
    path("cart/selection", views.SelectionView.as_view(), name="api-cart-selection"),
    path("cart/merge", views.MergeView.as_view(), name="api-cart-merge"),
    path("checkout", views.CheckoutView.as_view(), name="api-checkout"),
]
