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
