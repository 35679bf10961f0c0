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
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from comptes import double_facteur
from comptes.forms import (
    CodeForm,
    ConnexionForm,
    MotDePasseOublieForm,
    NouveauMotDePasseForm,
    PreferencesForm,
)
from comptes.models import TypeEvenement
from comptes.proconnect import proconnect_logout_url
from comptes.securite import adresse_ip, evenement_securite_enregistrer, limite_depassee
from comptes.services import mot_de_passe_oubli_demander, mot_de_passe_reinitialiser, preferences_enregistrer

logger = logging.getLogger(__name__)


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}

    def get_context_data(self, **kwargs):
        return super().get_context_data(proconnect=settings.PROCONNECT_ENABLED, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class MotDePasseOublieView(auth_views.PasswordResetView):
    """Demande d'un lien de réinitialisation (comptes locaux). La réponse est la même que l'adresse soit
    celle d'un compte, d'un compte ProConnect sans mot de passe, ou d'aucun : rien ne dit qui a un compte."""

    form_class = MotDePasseOublieForm
    template_name = "registration/mot_de_passe_oublie.html"
    extra_context = {"title": "Mot de passe oublié"}

    def form_valid(self, form):
        minutes = settings.MOT_DE_PASSE_OUBLI_FENETRE_MINUTES
        if limite_depassee(
            quoi="mot_de_passe_ip",
            cle=adresse_ip(self.request) or "",
            limite=settings.MOT_DE_PASSE_OUBLI_PAR_IP,
            duree_s=minutes * 60,
        ):
            evenement_securite_enregistrer(
                type=TypeEvenement.MOT_DE_PASSE_LIMITE, request=self.request, detail="par adresse IP"
            )
            return render(
                self.request,
                "registration/mot_de_passe_limite.html",
                {"title": "Trop de demandes", "minutes": minutes},
                status=429,
            )
        mot_de_passe_oubli_demander(email=form.cleaned_data["email"], request=self.request)
        return HttpResponseRedirect(reverse("password_reset_done"))


@method_decorator(login_not_required, name="dispatch")
class MotDePasseEnvoyeView(auth_views.PasswordResetDoneView):
    template_name = "registration/mot_de_passe_envoye.html"
    extra_context = {"title": "Vérifiez votre messagerie"}

    def get_context_data(self, **kwargs):
        heures = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
        return super().get_context_data(heures=heures, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class NouveauMotDePasseView(auth_views.PasswordResetConfirmView):
    form_class = NouveauMotDePasseForm
    template_name = "registration/mot_de_passe_nouveau.html"
    extra_context = {"title": "Nouveau mot de passe"}

    def form_valid(self, form):
        mot_de_passe_reinitialiser(form=form, request=self.request)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(reverse("password_reset_complete"))


@method_decorator(login_not_required, name="dispatch")
class MotDePasseChangeView(auth_views.PasswordResetCompleteView):
    template_name = "registration/mot_de_passe_change.html"
    extra_context = {"title": "Mot de passe modifié"}


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


def _suite(request):
    """La page demandée avant le second facteur (même site seulement), sinon l'accueil."""
    suite = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        suite, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return suite
    return reverse("accueil")


class VerificationView(FormView):
    """Deuxième étape de la connexion d'un compte qui a activé son second facteur."""

    form_class = CodeForm
    template_name = "comptes/verification.html"
    extra_context = {"title": "Vérification en deux étapes"}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_verified() or not double_facteur.est_active(request.user):
            return HttpResponseRedirect(_suite(request))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(suite=_suite(self.request), **kwargs)

    def form_valid(self, form):
        if double_facteur.double_facteur_verifier(request=self.request, code=form.cleaned_data["code"]):
            return HttpResponseRedirect(_suite(self.request))
        form.add_error(
            "code", "Code incorrect ou expiré. Saisissez le code affiché maintenant par l’application."
        )
        return self.form_invalid(form)


class DoubleFacteurView(FormView):
    """Activer le second facteur (QR code, clé, premier code), puis voir ses codes de secours une fois ;
    un compte déjà protégé y régénère ses codes de secours."""

    plan_du_site = "Second facteur d’authentification"

    form_class = CodeForm
    template_name = "comptes/double_facteur.html"
    extra_context = {"title": "Second facteur d’authentification"}

    def get_context_data(self, **kwargs):
        user = self.request.user
        contexte = {
            "actif": double_facteur.est_active(user),
            "exige": double_facteur.est_exige(user),
            "suite": _suite(self.request),
        }
        if contexte["actif"]:
            contexte["codes_restants"] = double_facteur.codes_secours_restants(user)
        else:
            appareil = double_facteur.appareil_a_confirmer(user)
            contexte.update(
                qr_code=double_facteur.qr_code_svg(appareil), cle=double_facteur.cle_lisible(appareil)
            )
        return super().get_context_data(**contexte, **kwargs)

    def post(self, request, *args, **kwargs):
        if double_facteur.est_active(request.user):
            if not request.user.is_verified():
                return HttpResponseRedirect(reverse("verification"))
            codes = double_facteur.codes_secours_regenerer(request=request)
            return self._codes(codes)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        codes = double_facteur.double_facteur_activer(request=self.request, code=form.cleaned_data["code"])
        if codes is None:
            form.add_error(
                "code",
                "Code incorrect. Vérifiez l’heure de votre téléphone et saisissez le code affiché maintenant.",
            )
            return self.form_invalid(form)
        return self._codes(codes)

    def _codes(self, codes):
        return render(
            self.request,
            "comptes/codes_secours.html",
            {"title": "Vos codes de secours", "codes": codes, "suite": _suite(self.request)},
        )
