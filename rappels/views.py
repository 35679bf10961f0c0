from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from comptes.services import preferences_enregistrer
from rappels.jetons import utilisateur_du_jeton


@method_decorator([login_not_required, csrf_exempt, never_cache], name="dispatch")
class DesinscriptionView(View):
    """Lien « Ne plus recevoir ces rappels » des e-mails : un clic coupe les rappels du compte du jeton et
    affiche la confirmation. POST : désinscription en un clic depuis la messagerie (RFC 8058), sans
    session ni jeton CSRF (le jeton signé fait foi). Jeton invalide : 404."""

    def get(self, request, jeton):
        user = utilisateur_du_jeton(jeton)
        if user is None:
            raise Http404("Lien de désinscription invalide.")
        preferences_enregistrer(user=user, rappels_actifs=False)
        return render(
            request,
            "rappels/desinscription.html",
            {"title": "Rappels désactivés", "compte": user},
        )

    post = get
