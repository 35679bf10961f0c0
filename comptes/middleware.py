from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from comptes import double_facteur

# Ce qui reste ouvert à un compte connecté qui n'a pas encore donné son second facteur.
CHEMINS_LIBRES = (
    "/deconnexion/",
    "/connexion/",
    "/compte/double-facteur/",
    "/static/",
    "/sante/",
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/gestion-des-cookies/",
    "/plan-du-site/",
    "/aide/",
)


class DoubleFacteurMiddleware:
    """Après django_otp.middleware.OTPMiddleware : un compte connecté par mot de passe dont le rôle exige le
    second facteur, ou qui l'a activé, ne voit aucune page avant d'avoir donné son code (ou, s'il n'en a pas
    encore, avant de l'avoir activé)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(CHEMINS_LIBRES)
            and not double_facteur.est_dispense(request)
        ):
            suite = urlencode({"next": request.get_full_path()})
            if double_facteur.est_active(user):
                return redirect(f"{reverse('verification')}?{suite}")
            if double_facteur.est_exige(user):
                return redirect(f"{reverse('double_facteur')}?{suite}")
        return self.get_response(request)
