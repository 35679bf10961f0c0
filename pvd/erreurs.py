"""Pages d'erreur en français, au gabarit du DSFR, avec un vrai titre : 400, 403, 404, 405, 413, 429, 500, 503.
Sous /api/, la même erreur répond en JSON, en français.

- 400, 403, 404, 500 : gestionnaires de Django (pvd/urls.py) ; 413 : une requête trop grosse
  (RequestDataTooBig) arrive au gestionnaire 400, qui répond 413 ;
- 405 : les vues de Django répondent un 405 vide ; ErreursMiddleware lui donne sa page ;
- 429 : blocage des connexions (comptes.views.connexion_verrouillee) et débit de l'API (DRF) ;
- CSRF : CSRF_FAILURE_VIEW ;
- 500 et 503 servis par le frontal quand gunicorn ne répond pas (délai dépassé, arrêt) : fichiers HTML
  statiques écrits par `manage.py pages_erreur` (voir deploy/nginx.conf)."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from pvd.context_processors import SITE

PAGES = {
    400: ("Requête incorrecte", "La requête envoyée n’a pas pu être comprise. Revenez à la page précédente et réessayez."),
    403: ("Accès refusé", "Vous n’avez pas les droits nécessaires pour cette action."),
    404: ("Page introuvable", "La page demandée n’existe pas ou ne relève pas de votre territoire."),
    405: ("Action non permise", "Cette adresse ne permet pas cette action (par exemple, ouvrir directement l’adresse d’un bouton)."),
    413: ("Fichier trop volumineux", "Le fichier ou le formulaire envoyé dépasse la taille permise. Réduisez-le, puis réessayez."),
    429: ("Trop de demandes", "Trop de demandes en peu de temps. Patientez quelques minutes, puis réessayez."),
    500: ("Erreur inattendue", "Désolé, le service a rencontré un problème. L’erreur a été enregistrée. Réessayez dans quelques minutes ; si le problème persiste, écrivez à l’administrateur de PVD Suivi en indiquant la référence ci-dessous."),
    503: ("Service momentanément indisponible", "PVD Suivi est en maintenance ou momentanément indisponible. Réessayez dans quelques minutes : rien de ce que vous aviez enregistré n’est perdu."),
}  # fmt: skip


def est_api(request):
    return request.path.startswith("/api/")


def reponse_erreur(request, statut, message=None, *, contexte=True):
    """La page d'erreur `statut` (ou son JSON sous /api/). contexte=False : sans accès à la base ni aux
    processeurs de contexte (500 : la base peut être la cause de l'erreur)."""
    titre, texte = PAGES[statut]
    if request is not None and est_api(request):
        return JsonResponse({"detail": message or texte, "statut": statut}, status=statut)
    valeurs = {
        "title": titre,
        "statut": statut,
        "texte": message or texte,
        "request_id": getattr(request, "request_id", ""),
        "SITE_CONFIG": SITE,
    }
    html = render_to_string("erreur.html", valeurs, request=request if contexte else None)
    return HttpResponse(html, status=statut)


def mauvaise_requete(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return reponse_erreur(request, 413)
    return reponse_erreur(request, 400)


def acces_refuse(request, exception=None):
    message = str(exception) if exception and str(exception) else None
    return reponse_erreur(request, 403, message)


def introuvable(request, exception=None):
    return reponse_erreur(request, 404)


def erreur_serveur(request):
    return reponse_erreur(request, 500, contexte=False)


def csrf_refuse(request, reason=""):
    return reponse_erreur(
        request,
        403,
        "La page a expiré ou le formulaire n’a pas été envoyé depuis PVD Suivi (contrôle de sécurité CSRF). "
        "Rechargez la page, puis envoyez à nouveau le formulaire.",
    )


class ErreursMiddleware:
    """Donne leur page aux réponses d'erreur vides (405 des vues de Django)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not est_api(request):
            page = reponse_erreur(request, 405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
