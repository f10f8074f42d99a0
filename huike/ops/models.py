"""State of the installation as a whole, shared by every web and worker machine."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemState(models.Model):
    """The one row of installation-wide switches (primary key 1).

    ``paused_at`` is set when a backup has been restored: until an administrator resumes, no
    e-mail leaves, background jobs skip and webhooks hold back, so a restored copy (perhaps a
    test copy of production) cannot write to customers or to other systems. The switch lives in
    the database, not in a file, because the database is what every machine shares and what a
    restore replaces: the pause is written into the restored data before any process reads it.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_reason = models.CharField(_("why it is paused"), max_length=300, blank=True)
    resumed_at = models.DateTimeField(_("last resumed"), null=True, blank=True)
    resumed_by = models.CharField(_("resumed by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("system state")
        verbose_name_plural = _("system state")

    def __str__(self) -> str:
        return str(_("paused")) if self.paused_at else str(_("running"))

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None
