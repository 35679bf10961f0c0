from django.db.models import Case, When
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import View

from pvd.formats import texte_recherche
from territoires.forms import RechercheForm
from territoires.models import Commune, Departement, Region, alphabetique, mots_recherche, nom_contient

# Communes montrées sur la page de résultats ; au-delà, un lien vers la liste des communes filtrée.
COMMUNES_AFFICHEES = 20


def _correspond(objet, code, mots):
    """Département ou région dont le code est celui cherché, ou dont le nom contient chaque mot cherché."""
    nom = texte_recherche(objet.nom)
    return objet.code == code or all(mot in nom for mot in mots)


def territoires_rechercher(*, user, texte):
    """Régions, départements et communes PVD (dans la liste ou sorties) que `user` voit et que `texte`
    désigne ; les départements et régions (une centaine) sont comparés en Python, par le même calcul que la
    colonne nom_recherche des communes. Quatre requêtes au plus."""
    mots = mots_recherche(texte)
    code = texte.strip().upper()
    if not mots:
        return {"regions": [], "departements": [], "communes": [], "communes_count": 0}
    regions = [r for r in Region.objects.for_user(user).distinct() if _correspond(r, code, mots)]
    departements = [
        d for d in Departement.objects.for_user(user).only("code", "nom") if _correspond(d, code, mots)
    ]
    trouvees = Commune.objects.for_user(user).pvd_et_sorties().rechercher(texte)
    # D'abord les communes dont le nom (ou le code) répond, puis celles qui ne répondent que par leur EPCI.
    par_le_nom = Case(When(nom_contient("nom_recherche", mots), then=0), default=1)
    communes = list(
        trouvees.select_related("departement", "epci").order_by(par_le_nom, alphabetique(), "code_insee")[
            :COMMUNES_AFFICHEES
        ]
    )
    # Toujours compté (une requête) : le nombre de requêtes ne dépend pas du nombre de résultats.
    communes_count = trouvees.count()
    return {
        "regions": regions,
        "departements": departements,
        "communes": communes,
        "communes_count": communes_count,
    }


class RechercheView(View):
    """Recherche de l'en-tête (formulaire GET, sans JavaScript) : une seule réponse → sa page ; sinon la liste
    des régions, départements et communes trouvés dans le territoire de l'utilisateur."""

    plan_du_site = "Rechercher une commune, un département ou une région"
    http_method_names = ["get"]

    def get(self, request):
        form = RechercheForm(request.GET or None)
        contexte = {"form": form, "title": "Recherche"}
        if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
            texte = form.cleaned_data["q"].strip()
            resultats = territoires_rechercher(user=request.user, texte=texte)
            seule = _seule_reponse(resultats)
            if seule:
                return redirect(seule)
            contexte.update(
                resultats,
                texte=texte,
                total=len(resultats["regions"])
                + len(resultats["departements"])
                + resultats["communes_count"],
                liste_url=reverse("communes:liste") + "?" + urlencode({"nom": texte, "liste": "toutes"}),
                title=f"Recherche : {texte}",
            )
        return render(request, "territoires/recherche.html", contexte)


def _seule_reponse(resultats):
    trouves = [
        *(reverse("tableau:region", args=[r.code]) for r in resultats["regions"]),
        *(reverse("tableau:departement", args=[d.code]) for d in resultats["departements"]),
    ]
    if len(trouves) + resultats["communes_count"] != 1:
        return None
    if trouves:
        return trouves[0]
    return reverse("communes:detail", args=[resultats["communes"][0].code_insee])
