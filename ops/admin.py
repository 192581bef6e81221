from django.contrib import admin
from django.db import transaction

from ops.models import DegradationSwitch, RateLimitOverride
from ops.ratelimit import Limit, limit_set
from ops.switches import FEATURES, switch_set, switches_state


@admin.register(DegradationSwitch)
class DegradationSwitchAdmin(admin.ModelAdmin):
    list_display = ("name", "switched_off", "automatically_off", "reason", "updated_at")
    list_editable = ("switched_off",)
    readonly_fields = ("name", "description", "updated_at")
    fields = ("name", "description", "switched_off", "reason", "updated_at")

    def get_queryset(self, request):
        # Every known feature has a row, so staff never have to create one by hand.
        for name, description in FEATURES.items():
            DegradationSwitch.objects.get_or_create(name=name, defaults={"description": description})
        return super().get_queryset(request).filter(name__in=FEATURES)

    @admin.display(boolean=True, description="off by the load monitor")
    def automatically_off(self, obj):
        return switches_state()[obj.name]["auto"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: switch_set(name=obj.name, off=obj.switched_off, source="manual"))


@admin.register(RateLimitOverride)
class RateLimitOverrideAdmin(admin.ModelAdmin):
    list_display = ("endpoint_class", "user_rate", "user_burst", "global_rate", "global_burst", "updated_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        limit = Limit(obj.user_rate, obj.user_burst, obj.global_rate, obj.global_burst)
        transaction.on_commit(lambda: limit_set(obj.endpoint_class, limit))

    def delete_model(self, request, obj):
        endpoint_class = obj.endpoint_class
        super().delete_model(request, obj)
        transaction.on_commit(lambda: limit_set(endpoint_class, None))
