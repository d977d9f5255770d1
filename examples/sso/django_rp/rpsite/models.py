"""The link between a Django user and a SIAPkerja identity: the pair (issuer, sub)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SiapkerjaLink(models.Model):
    """One user, one SIAPkerja identity per issuer; one identity, one user.

    ``subject`` is the pairwise ``sub`` SIAPkerja gives this hub: the only
    identifier to link by. The e-mail, phone or NIK a sign-in carries are
    profile data, never a key (see ``views.callback``).
    """

    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="siapkerja_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_identity"),
            models.UniqueConstraint(fields=["issuer", "user"], name="one_identity_per_user"),
        )

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} -> {self.user_id}"
