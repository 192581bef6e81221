from django.contrib import admin

from orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    """What was sold, at the price charged: a record, never edited."""

    model = OrderLine
    fields = ("item_id", "sku_id", "title", "attributes", "quantity", "unit_price", "line_total")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Placed orders, read-only. Search by a user id or an order id (exact)."""

    list_display = ("id", "user_id", "total", "currency", "created_at")
    list_filter = ("currency",)
    search_fields = ("=user_id", "=id")
    readonly_fields = ("id", "user_id", "total", "currency", "created_at")
    fields = readonly_fields
    inlines = [OrderLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
