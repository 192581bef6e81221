from django.contrib import admin, messages
from django.db import DatabaseError

from cart.models import DeadLetter, ReconciliationRun
from cart.persistence.replay import dead_letter_replay


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("id", "user_id", "shard", "version", "attempts", "state", "created_at", "replayed_at")
    list_filter = ("state", "shard")
    search_fields = ("=user_id",)
    readonly_fields = (
        "user_id",
        "shard",
        "version",
        "payload",
        "error",
        "attempts",
        "state",
        "created_at",
        "replayed_at",
    )
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Replay the selected dead letters into their shards")
    def replay(self, request, queryset):
        replayed, skipped, failed = 0, 0, []
        for letter in queryset.order_by("version"):
            try:
                if dead_letter_replay(dead_letter_id=letter.pk):
                    replayed += 1
                else:
                    skipped += 1
            except DatabaseError as exc:
                failed.append(f"#{letter.pk} ({letter.shard}): {exc}")
        self.message_user(request, f"Replayed {replayed}; {skipped} were already replayed.", messages.SUCCESS)
        if failed:
            self.message_user(request, "Still failing: " + "; ".join(failed), messages.ERROR)


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "carts_checked", "lines_fixed", "tombstones_purged", "duration_ms", "error")
    readonly_fields = [f.name for f in ReconciliationRun._meta.fields]

    def has_add_permission(self, request):
        return False
