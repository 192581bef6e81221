from django.contrib import admin

from catalog.admin_hooks import NotifiesSkuChanges
from pricing.models import Price, Promotion


@admin.register(Price)
class PriceAdmin(NotifiesSkuChanges, admin.ModelAdmin):
    list_display = ("sku", "amount", "currency", "updated_at")
    list_select_related = ("sku",)
    search_fields = ("=sku__sku_id",)
    raw_id_fields = ("sku",)


@admin.register(Promotion)
class PromotionAdmin(NotifiesSkuChanges, admin.ModelAdmin):
    list_display = ("name", "sku", "percent_off", "starts_at", "ends_at", "active")
    list_filter = ("active",)
    list_select_related = ("sku",)
    search_fields = ("name", "=sku__sku_id")
    raw_id_fields = ("sku",)
    date_hierarchy = "starts_at"
