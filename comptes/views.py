import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import FormView
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from comptes.forms import ConnexionForm, PreferencesForm
from comptes.proconnect import proconnect_logout_url
from comptes.services import preferences_enregistrer

logger = logging.getLogger(__name__)


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(proconnect=settings.PROCONNECT_ENABLED, **kwargs)


class DeconnexionView(auth_views.LogoutView):
    """Déconnexion ; après une connexion ProConnect, la session ProConnect est fermée aussi."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and settings.PROCONNECT_ENABLED:
            return HttpResponseRedirect(proconnect_logout_url(request, id_token))
        return response


class ProConnectActifMixin:
    def dispatch(self, request, *args, **kwargs):
        if not settings.PROCONNECT_ENABLED:
            raise Http404("ProConnect n’est pas configuré sur cette instance.")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class ProConnectConnexionView(ProConnectActifMixin, OIDCAuthenticationRequestView):
    """Envoie le navigateur vers ProConnect (state, nonce et page de retour gardés en session)."""


@method_decorator(login_not_required, name="dispatch")
class ProConnectRetourView(ProConnectActifMixin, OIDCAuthenticationCallbackView):
    """Retour de ProConnect : échange du code, vérification des jetons, compte reconnu par e-mail."""

    MESSAGE_PAR_DEFAUT = (
        "La connexion avec ProConnect n’a pas abouti. Réessayez, ou connectez-vous avec votre identifiant."
    )

    @property
    def failure_url(self):
        return reverse("login")

    def get(self, request):
        if request.GET.get("error"):
            logger.warning(
                "ProConnect a renvoyé une erreur : %s (%s)",
                request.GET.get("error"),
                request.GET.get("error_description", ""),
            )
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # state inconnu (retour rejoué), jeton mal signé…
            logger.warning("Retour ProConnect refusé : %s", exc)
        except requests.RequestException:
            logger.exception("ProConnect injoignable ou réponse invalide")
            request.proconnect_refus = (
                "ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes, "
                "ou connectez-vous avec votre identifiant."
            )
        return self.login_failure()

    def login_failure(self):
        messages.error(
            self.request, getattr(self.request, "proconnect_refus", None) or self.MESSAGE_PAR_DEFAUT
        )
        return super().login_failure()


class CompteView(FormView):
    """« Mon compte » : identité, rôle et territoire du compte (lecture), préférences (modifiables)."""

    plan_du_site = "Mon compte"

    form_class = PreferencesForm
    template_name = "comptes/compte.html"
    extra_context = {"title": "Mon compte"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.request.user}

    def form_valid(self, form):
        user = preferences_enregistrer(
            user=self.request.user, rappels_actifs=form.cleaned_data["rappels_actifs"]
        )
        if user.rappels_actifs:
            messages.success(self.request, "Préférences enregistrées : vous recevrez les rappels par e-mail.")
        else:
            messages.success(
                self.request, "Préférences enregistrées : vous ne recevrez plus de rappels par e-mail."
            )
        return HttpResponseRedirect(reverse("compte"))


def connexion_verrouillee(request, *args, **kwargs):
    """Réponse de django-axes après trop d'échecs de connexion."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "registration/verrouille.html",
        {"title": "Connexion bloquée", "minutes": minutes},
        status=429,
    )
