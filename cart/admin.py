from django.contrib import admin

from cart.models import DeadLetter, ReconciliationRun


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("id", "user_id", "shard", "version", "attempts", "state", "created_at", "replayed_at")
    list_filter = ("state", "shard")
    search_fields = ("=user_id",)
    readonly_fields = ("user_id", "shard", "version", "payload", "error", "attempts", "created_at", "replayed_at")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "carts_checked", "lines_fixed", "tombstones_purged", "duration_ms", "error")
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]

    def has_add_permission(self, request):
        return False
