"""Admin edits of catalog and pricing rows go through the same change notice as imports."""

from django.db import transaction

from catalog.services import catalog_skus_changed


class NotifiesSkuChanges:
    """ModelAdmin mixin: after a save or delete commits, tell the caches which SKUs changed.

    ``sku_ids_of(obj)`` names the SKUs a row concerns (an item concerns all its SKUs).
    """

    def sku_ids_of(self, obj) -> list[int]:
        return [obj.sku_id]

    def _notify(self, obj) -> None:
        sku_ids = self.sku_ids_of(obj)
        transaction.on_commit(lambda: catalog_skus_changed(sku_ids=sku_ids))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._notify(obj)

    def delete_model(self, request, obj):
        self._notify(obj)
        super().delete_model(request, obj)
