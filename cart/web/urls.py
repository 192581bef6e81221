from django.urls import path

from cart.web import views

app_name = "cart"

urlpatterns = [
    path("cart/", views.cart_detail, name="detail"),
    path("cart/add", views.cart_add, name="add"),
    path("cart/lines/<str:line_id>/update", views.cart_line_update, name="line-update"),
    path("cart/lines/<str:line_id>/remove", views.cart_line_remove, name="line-remove"),
    path("cart/undo", views.cart_undo_remove, name="undo"),
    path("cart/lines/<str:line_id>/save", views.cart_line_save, name="line-save"),
    path("cart/saved/<str:line_id>/move", views.saved_line_move, name="saved-move"),
    path("cart/saved/<str:line_id>/delete", views.saved_line_delete, name="saved-delete"),
    path("cart/select", views.cart_select, name="select"),
    path("cart/share", views.cart_share, name="share"),
    path("s/<str:token>/", views.shared_cart, name="shared"),
    path("s/<str:token>/import", views.shared_cart_import, name="shared-import"),
]
