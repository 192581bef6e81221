from django.db import models


class DegradationSwitch(models.Model):
    """A non-core feature staff can switch off under load (the service may too, on its own)."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    # Staff's word wins over the automatic one: "off" here keeps the feature off.
    switched_off = models.BooleanField(default=False, help_text="Turn the feature off for every process.")
    reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ops_degradation_switch"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}: {'off' if self.switched_off else 'on'}"


class RateLimitOverride(models.Model):
    """Staff's limits for one endpoint class, replacing the ones in settings while present."""

    class EndpointClass(models.TextChoices):
        CORE_WRITE = "core_write", "core writes (add, update, remove, select, merge, checkout)"
        CORE_READ = "core_read", "core reads (cart, products)"
        NON_CORE = "non_core", "non-core features (recommendations, sharing, live updates)"

    endpoint_class = models.CharField(max_length=16, choices=EndpointClass.choices, unique=True)
    user_rate = models.FloatField(help_text="Requests per second per shopper, sustained.")
    user_burst = models.PositiveIntegerField(help_text="Requests a shopper may make at once.")
    global_rate = models.FloatField(help_text="Requests per second for the whole store.")
    global_burst = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ops_rate_limit_override"

    def __str__(self):
        return f"{self.endpoint_class}: {self.user_rate}/s per user, {self.global_rate}/s in all"
