"""Pages légales et d'aide d'un service public en ligne : déclaration d'accessibilité, mentions légales,
données personnelles, gestion des cookies, plan du site, aide. Publiques (lisibles sans compte) ; ce qui
diffère d'une instance à l'autre (éditeur, hébergeur, contact, durées) vient des réglages."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

# Non-conformités connues (RGAA 4.1), tenues à jour avec le produit.
NON_CONFORMITES = [
    (
        "—",
        "Aucun audit RGAA complet n’a été réalisé : seuls les contrôles automatiques décrits plus haut sont faits ; ils "
        "couvrent une partie des critères (contrastes, alternatives, étiquettes, structure).",
    ),
]


def version_axe_core():
    """Version d'axe-core utilisée par les parcours d'accessibilité (tests/navigateur/package-lock.json)."""
    verrou = Path(settings.BASE_DIR) / "tests" / "navigateur" / "package-lock.json"
    try:
        return json.loads(verrou.read_text())["packages"]["node_modules/axe-core"]["version"]
    except (OSError, KeyError, ValueError):
        return ""


@method_decorator(login_not_required, name="dispatch")
class PageView(TemplateView):
    """Une page publique : gabarit pages/<nom>.html, titre, fil d'Ariane depuis l'accueil."""

    titre = ""
    plan_du_site_roles = "public"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.plan_du_site = cls.titre

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.titre,
            breadcrumb=[("Accueil", reverse("accueil"))],
            legal=settings.PAGES_LEGALES,
            **kwargs,
        )


class AccessibiliteView(PageView):
    template_name = "pages/accessibilite.html"
    titre = "Déclaration d’accessibilité"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            non_conformites=NON_CONFORMITES, axe_core=version_axe_core(), **kwargs
        )


class MentionsLegalesView(PageView):
    template_name = "pages/mentions_legales.html"
    titre = "Mentions légales"


class DonneesPersonnellesView(PageView):
    template_name = "pages/donnees_personnelles.html"
    titre = "Données personnelles"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            session_heures=settings.SESSION_COOKIE_AGE // 3600,
            axes_minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            **kwargs,
        )


class CookiesView(PageView):
    template_name = "pages/cookies.html"
    titre = "Gestion des cookies"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            session_cookie=settings.SESSION_COOKIE_NAME,
            csrf_cookie=settings.CSRF_COOKIE_NAME,
            session_heures=settings.SESSION_COOKIE_AGE // 3600,
            **kwargs,
        )


class AideView(PageView):
    template_name = "pages/aide.html"
    titre = "Aide"


def pages_du_plan(user):
    """(titre, adresse) des pages sans paramètre que `user` peut ouvrir, lues dans la configuration d'URL :
    chaque vue le dit par ses attributs `plan_du_site` (titre) et `plan_du_site_roles` (rôles admis ; None :
    tout compte connecté ; « public » : tout le monde)."""
    pages = []

    def parcourir(motifs, espace=""):
        for motif in motifs:
            if isinstance(motif, URLResolver):
                yield from parcourir(motif.url_patterns, ":".join(filter(None, [espace, motif.namespace])))
            elif isinstance(motif, URLPattern) and motif.name and not motif.pattern.converters:
                yield ":".join(filter(None, [espace, motif.name])), motif.callback

    for nom, vue in parcourir(get_resolver().url_patterns):
        classe = getattr(vue, "view_class", None)
        titre = getattr(classe, "plan_du_site", "")
        if not titre:
            continue
        roles = getattr(classe, "plan_du_site_roles", None)
        if roles == "public" or (user.is_authenticated and (roles is None or user.role in roles)):
            pages.append((titre, reverse(nom)))
    return sorted(set(pages), key=lambda page: page[1])


class PlanDuSiteView(PageView):
    template_name = "pages/plan_du_site.html"
    titre = "Plan du site"

    def get_context_data(self, **kwargs):
        return super().get_context_data(pages=pages_du_plan(self.request.user), **kwargs)
