from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path


class CartAdminSite(admin.AdminSite):
    """Django admin plus the cart lookup page (cart rows have a composite key, which
    Django's ModelAdmin cannot show)."""

    index_template = "admin/cart_index.html"

    @property
    def site_header(self):
        from django.conf import settings

        return f"{settings.SHOP_NAME} administration"

    @property
    def login_form(self):
        """The login form with the login limits; imported late, since this module is
        loaded before the apps are."""
        from accounts.forms import AdminLoginForm

        return AdminLoginForm

    def get_urls(self):
        from cart.admin_views import cart_lookup

        return [path("cart/lookup/", self.admin_view(cart_lookup), name="cart_lookup"), *super().get_urls()]


class CartAdminConfig(AdminConfig):
    default_site = "config.admin.CartAdminSite"
