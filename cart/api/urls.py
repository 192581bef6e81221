from django.urls import path

from cart.api import events, plain_add, recommendation_views, saved_views, sharing_views, views

urlpatterns = [
    path("cart", views.CartView.as_view(), name="api-cart"),
    path("cart/items", plain_add.served_plainly(views.CartItemsView.as_view()), name="api-cart-items"),
    path("cart/items/<str:line_id>", views.CartItemView.as_view(), name="api-cart-item"),
    path(
        "cart/items/<str:line_id>/save-for-later",
        saved_views.SaveForLaterView.as_view(),
        name="api-cart-item-save-for-later",
    ),
    path("saved", saved_views.SavedView.as_view(), name="api-saved"),
    path("saved/<str:line_id>", saved_views.SavedLineView.as_view(), name="api-saved-line"),
    path("saved/<str:line_id>/move-to-cart", saved_views.MoveToCartView.as_view(), name="api-saved-move-to-cart"),
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
