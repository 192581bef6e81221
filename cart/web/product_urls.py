from django.urls import path

from cart.web import product_views as views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="home"),
    path("products/", views.product_list, name="list"),
    path("products/<str:item_id>/", views.product_detail, name="detail"),
]
