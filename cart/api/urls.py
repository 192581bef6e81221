from django.urls import path

from cart.api import events, plain_add, recommendation_views, sharing_views, views

urlpatterns = [
    path("cart", views.CartView.as_view(), name="api-cart"),
    path("cart/items", plain_add.served_plainly(views.CartItemsView.as_view()), name="api-cart-items"),
    path("cart/items/<str:line_id>", views.CartItemView.as_view(), name="api-cart-item"),
    path("cart/selection", views.SelectionView.as_view(), name="api-cart-selection"),
    path("cart/merge", views.MergeView.as_view(), name="api-cart-merge"),
    path("cart/events", events.cart_events, name="api-cart-events"),
    path("cart/recommendations", recommendation_views.RecommendationsView.as_view(), name="api-cart-recommendations"),
    path("cart/share", sharing_views.ShareView.as_view(), name="api-cart-share"),
    path("shared-carts/<str:token>", sharing_views.SharedCartView.as_view(), name="api-shared-cart"),
    path(
        "shared-carts/<str:token>/import",
        sharing_views.SharedCartImportView.as_view(),
        name="api-shared-cart-import",
    ),
]
