from django.urls import path

from catalog.api import views

urlpatterns = [
    path("products", views.ProductListView.as_view(), name="api-products"),
    path("products/<str:item_id>", views.ProductDetailView.as_view(), name="api-product"),
]
