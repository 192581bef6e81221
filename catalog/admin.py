from django.contrib import admin

from catalog.admin_hooks import NotifiesSkuChanges
from catalog.models import Item, Sku, Stock
from pricing.models import Price, Promotion


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = ("sku_id", "attributes", "active")
    show_change_link = True


@admin.register(Item)
class ItemAdmin(NotifiesSkuChanges, admin.ModelAdmin):
    recheck_lines = True
    list_display = ("item_id", "title", "category", "active", "updated_at")
    list_filter = ("active", "category")
    search_fields = ("title", "=item_id")
    inlines = [SkuInline]

    def sku_ids_of(self, obj):
        return list(obj.skus.values_list("sku_id", flat=True))


class StockInline(admin.StackedInline):
    model = Stock
    can_delete = False


class PriceInline(admin.StackedInline):
    model = Price
    can_delete = False


@admin.register(Sku)
class SkuAdmin(NotifiesSkuChanges, admin.ModelAdmin):
    recheck_lines = True
    list_display = ("sku_id", "item", "attributes", "active")
    list_filter = ("active",)
    list_select_related = ("item",)
    search_fields = ("=sku_id", "=item__item_id", "item__title")
    raw_id_fields = ("item",)
    inlines = [PriceInline, StockInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._notify(form.instance)  # the price and stock inlines are saved after the SKU


@admin.register(Stock)
class StockAdmin(NotifiesSkuChanges, admin.ModelAdmin):
    recheck_lines = True
    list_display = ("sku", "quantity", "updated_at")
    list_select_related = ("sku",)
    search_fields = ("=sku__sku_id",)
    raw_id_fields = ("sku",)


# Prices and promotions are edited beside the catalog: an edit publishes the same SKU
# events as a catalog change.
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
