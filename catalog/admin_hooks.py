"""Admin edits of catalog and pricing rows publish the same events as ``loadcatalog``."""

from catalog.events import publish_sku_changes


class NotifiesSkuChanges:
    """ModelAdmin mixin: after a save or delete commits, publish which SKUs changed.

    ``sku_ids_of(obj)`` names the SKUs a row concerns (an item concerns all its SKUs);
    ``recheck_lines`` says whether cart lines holding them must be re-marked (the row
    decides whether a SKU is sellable or in stock).
    """

    recheck_lines = False

    def sku_ids_of(self, obj) -> list[int]:
        return [obj.sku_id]

    def _notify(self, obj) -> None:
        publish_sku_changes(sku_ids=self.sku_ids_of(obj), recheck_lines=self.recheck_lines)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._notify(obj)

    def delete_model(self, request, obj):
        self._notify(obj)
        super().delete_model(request, obj)
