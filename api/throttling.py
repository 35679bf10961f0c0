from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import JetonApi


class DebitApi(SimpleRateThrottle):
    """Nombre de requêtes par jeton (ou par agent connecté) et par période : réglage API_DEBIT,
    lu à chaque requête, compté dans le cache partagé (CACHE_URL)."""

    scope = "api"

    def get_rate(self):
        return settings.API_DEBIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, JetonApi):
            ident = f"jeton-{request.auth.pk}-{request.auth.prefixe}"
        elif request.user and request.user.is_authenticated:
            ident = f"agent-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
