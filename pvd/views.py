from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from comptes.constants import Role
from pvd.sante import COMPOSANTS, sante_verifier


def accueil(request):
    """Chaque rôle arrive sur son territoire : ses communes, sa région ou la France entière."""
    user = request.user
    if user.role == Role.DEPARTEMENTAL:
        return redirect("communes:liste")
    if user.role == Role.REGIONAL:
        return redirect("tableau:region", code=user.region_id)
    return redirect("tableau:regions")


@method_decorator([login_not_required, never_cache], name="dispatch")
class SanteView(View):
    """État de la base, du broker et des workers, pour la supervision : 200 si tout va bien, 503 sinon.

    ?composants=base,broker limite les vérifications (sonde de conteneur web, indépendante des workers).
    """

    http_method_names = ["get", "head"]

    def get(self, request):
        demandes = [c for c in request.GET.get("composants", ",".join(COMPOSANTS)).split(",") if c]
        inconnus = sorted(set(demandes) - set(COMPOSANTS))
        if inconnus or not demandes:
            return JsonResponse(
                {
                    "erreur": f"composants inconnus : {', '.join(inconnus) or '(aucun)'}",
                    "composants_possibles": list(COMPOSANTS),
                },
                status=400,
            )
        ok, composants = sante_verifier(composants=demandes)
        return JsonResponse(
            {"statut": "ok" if ok else "erreur", "composants": composants}, status=200 if ok else 503
        )
