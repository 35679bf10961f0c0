"""Tableaux de bord des trois niveaux (France entière → région → département), même gabarit.

Chaque page lit ses territoires depuis `for_user(user)` (hors territoire : 404), puis les chiffres de ses
départements (tableau.indicateurs.chiffres_departements : agrégats en base, mis en cache par version).
Une région ou la France = somme de ses départements ; le département montre en plus ses communes."""

from functools import cached_property

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from django_tables2 import RequestConfig

from communes.models import CommunePvd
from communes.tables import CommuneTable, PageEnDeuxTemps
from comptes.constants import Role
from pvd.formats import nombre
from tableau import carte, donnees, graphiques
from tableau.donnees import ordre_alphabetique
from tableau.exports import donnees_exporter
from tableau.indicateurs import (
    DEFINITIONS,
    INDICATEUR_PAR_DEFAUT,
    INDICATEURS,
    Chiffres,
    Perimetre,
    chiffres_cles,
    chiffres_departements,
)
from territoires.breadcrumbs import breadcrumb_for
from territoires.models import Departement, Region

MAILLES = {"region": "Région", "departement": "Département"}


def _url_region(code):
    return reverse("tableau:region", args=[code])


def _url_departement(code):
    return reverse("tableau:departement", args=[code])


def zones_carte(*, maille, codes, chiffres, indicateur, courant=None):
    """Zones à dessiner : `codes` (ordre de la géométrie) ; `chiffres` : {code: Chiffres} des zones que
    l'utilisateur voit (les autres sont dessinées en gris, sans valeur ni lien)."""
    formes = carte.formes(maille)
    url = _url_region if maille == "region" else _url_departement
    zones = []
    for code in codes:
        forme = formes[code]
        c = chiffres.get(code)
        zones.append(
            {
                "code": code,
                "nom": forme.nom,
                "forme": forme,
                "valeur": indicateur.valeur(c) if c is not None else None,
                "hors_perimetre": c is None,
                "url": url(code) if c is not None else None,
                "courant": code == courant,
                "etiquette": forme.nom if maille == "region" else f"{forme.nom} ({code})",
            }
        )
    # Ordre alphabétique (tableau) ; la zone courante en dernier, pour que son contour passe au-dessus.
    zones.sort(key=lambda z: (z["courant"], ordre_alphabetique(z["nom"])))
    limites = carte.bornes([z["valeur"] for z in zones], pourcentage=indicateur.est_part)
    texte = donnees.FORMATS[indicateur.format]
    borne = donnees.part_texte if indicateur.est_part else texte
    for zone in zones:
        zone["classe"] = carte.classe(zone["valeur"], limites) if not zone["hors_perimetre"] else 0
        zone["texte"] = texte(zone["valeur"]) if not zone["hors_perimetre"] else "hors de votre territoire"
    legende = [
        {"classe": i, "texte": f"de {borne(limites[i - 1])} à moins de {borne(limites[i])}"}
        for i in range(1, len(limites))
    ]
    legende[-1]["texte"] = (
        f"de {borne(limites[-2])} à {borne(limites[-1])}"
        if indicateur.est_part
        else f"{borne(limites[-2])} ou plus"
    )
    return zones, legende


class TableauMixin:
    """Prépare le périmètre, ses chiffres, sa carte, ses graphiques et ses tableaux de données."""

    niveau = None
    maille_carte = "departement"

    def indicateur(self):
        return INDICATEURS.get(self.request.GET.get("indicateur"), INDICATEURS[INDICATEUR_PAR_DEFAUT])

    def get(self, request, *args, **kwargs):
        self.today = timezone.localdate()
        self.preparer()
        format_export = request.GET.get("export")
        if format_export in ("csv", "xlsx"):
            return donnees_exporter(
                tableaux=self.tableaux_de_donnees(),
                nom=request.GET.get("tableau", "tout"),
                format_export=format_export,
                prefixe=f"pvd-{self.perimetre.nom}",
            )
        return super().get(request, *args, **kwargs)

    # À définir par niveau : self.perimetre, self.chiffres ({code département: Chiffres}), self.sous_territoires
    # ([(nom, code, url, Chiffres)]), self.zones_codes, self.zones_chiffres, self.courant.
    def preparer(self):
        raise NotImplementedError

    @cached_property
    def total(self):
        return Chiffres.somme(self.chiffres[code] for code in self.perimetre.departements)

    @cached_property
    def contexte_carte(self):
        indicateur = self.indicateur()
        zones, legende = zones_carte(
            maille=self.maille_carte,
            codes=self.zones_codes,
            chiffres=self.zones_chiffres,
            indicateur=indicateur,
            courant=self.courant,
        )
        vue = carte.viewbox([z["forme"] for z in zones])
        return {
            "maille": self.maille_carte,
            "libelle_maille": MAILLES[self.maille_carte],
            "indicateur": indicateur,
            "indicateurs": INDICATEURS.values(),
            "zones": zones,
            "zones_svg": carte.zones_svg(zones),
            "etiquettes_svg": carte.etiquettes_svg(zones) if len(zones) <= 30 else "",
            "encarts_svg": carte.encarts_svg(zones, self.maille_carte),
            "legende": legende,
            "viewbox": " ".join(f"{v:.0f}" for v in vue),
            # Valeurs écrites sur la carte quand les zones sont assez grandes pour les porter.
            "etiquettes": len(zones) <= 30,
            "taille_texte": max(vue[2], vue[3]) / (55 if len(zones) > 8 else 40),
            "donnees": donnees.donnees_carte(
                indicateur=indicateur, zones=zones, libelle=MAILLES[self.maille_carte]
            ),
        }

    @cached_property
    def donnees_page(self):
        """(tableaux, fonds_vert) : tous les tableaux de chiffres de la page, dans l'ordre (ce sont eux qu'on
        exporte), et le détail du fonds vert par axe que la page affiche à côté."""
        total = self.total
        financements, fonds_vert = donnees.donnees_financements(total)
        tableaux = [
            donnees.donnees_chiffres_cles(chiffres_cles(total)),
            self.contexte_carte["donnees"],
        ]
        if self.sous_territoires is not None:
            libelle = "Région" if self.niveau == "national" else "Département"
            tableaux.append(
                donnees.donnees_sous_territoires(
                    nom="regions" if self.niveau == "national" else "departements",
                    titre=f"Chiffres par {libelle.lower()}",
                    libelle=libelle,
                    lignes=self.sous_territoires,
                    total=total,
                )
            )
        tableaux += [
            donnees.donnees_mensuelles(total.serie_mensuelle(self.today)),
            donnees.donnees_actions(total),
            financements,
            donnees.donnees_fonds_vert(total),
        ]
        return tableaux, fonds_vert

    def tableaux_de_donnees(self):
        return self.donnees_page[0]

    def get_context_data(self, **kwargs):
        tableaux = {d.nom: d for d in self.tableaux_de_donnees()}
        total = self.total
        serie = total.serie_mensuelle(self.today)
        params = self.request.GET.copy()
        for cle in ("export", "tableau", "page", "sort"):
            params.pop(cle, None)
        cles = chiffres_cles(total)
        actions = tableaux["actions-par-statut"]
        financements = tableaux["financements-par-dispositif"]
        return super().get_context_data(
            perimetre=self.perimetre,
            niveau=self.niveau,
            today=self.today,
            chiffres_cles=cles,
            tableau_mensuel=tableaux["phase-operationnelle-par-mois"],
            tableau_actions=actions,
            tableau_financements=financements,
            tableau_fonds_vert=tableaux["fonds-vert-par-mesure"],
            sous_territoires=tableaux.get("regions") or tableaux.get("departements"),
            carte=self.contexte_carte,
            courbe=graphiques.courbe_mensuelle(serie, titre="Part des communes en phase opérationnelle"),
            barres_actions=graphiques.barres(
                [(ligne[0], ligne[1], nombre(ligne[1])) for ligne in actions.lignes],
                titre="Actions par statut",
            ),
            barres_financements=graphiques.barres(
                [
                    (ligne[0], ligne[3], donnees.euros_texte(ligne[3]))
                    for ligne in sorted(financements.lignes, key=lambda ligne: -ligne[3])
                    if ligne[1]
                ],
                titre="Montants accordés par dispositif (hors fonds vert)",
            ),
            fonds_vert=self.donnees_page[1],
            params=params.urlencode(),
            **kwargs,
        )


class TableauNationalView(TableauMixin, TemplateView):
    plan_du_site = "Tableau de bord national"
    plan_du_site_roles = (Role.NATIONAL, Role.ADMINISTRATEUR)
    template_name = "tableau/tableau.html"
    niveau = "national"

    def get(self, request, *args, **kwargs):
        # Une préfecture n'a pas de vue nationale : elle arrive sur son propre niveau.
        if not request.user.sees_everything:
            return redirect("accueil")
        return super().get(request, *args, **kwargs)

    def preparer(self):
        user = self.request.user
        departements = list(Departement.objects.for_user(user).select_related("region").order_by("code"))
        self.maille_carte = "departement" if self.request.GET.get("maille") == "departement" else "region"
        self.perimetre = Perimetre(
            niveau=self.niveau, nom="France entière", departements=tuple(d.code for d in departements)
        )
        self.chiffres = chiffres_departements(self.perimetre.departements, today=self.today)
        regions = {}
        for d in departements:
            regions.setdefault(d.region, []).append(d.code)
        par_region = {
            r.code: Chiffres.somme(self.chiffres[code] for code in codes) for r, codes in regions.items()
        }
        self.sous_territoires = [
            (r.nom, None, _url_region(r.code), par_region[r.code])
            for r in sorted(regions, key=lambda r: ordre_alphabetique(r.nom))
        ]
        if self.maille_carte == "region":
            self.zones_codes, self.zones_chiffres = list(carte.formes("region")), par_region
        else:
            self.zones_codes, self.zones_chiffres = list(carte.formes("departement")), self.chiffres
        self.courant = None

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Avancement national", titre="Avancement national", **kwargs)


class TableauRegionView(TableauMixin, TemplateView):
    template_name = "tableau/tableau.html"
    niveau = "region"

    def preparer(self):
        user = self.request.user
        self.region = get_object_or_404(Region.objects.for_user(user), code=self.kwargs["code"])
        departements = list(Departement.objects.for_user(user).filter(region=self.region).order_by("code"))
        self.perimetre = Perimetre(
            niveau=self.niveau,
            nom=self.region.nom,
            departements=tuple(d.code for d in departements),
            region=self.region,
        )
        self.chiffres = chiffres_departements(self.perimetre.departements, today=self.today)
        self.sous_territoires = [
            (d.nom, d.code, _url_departement(d.code), self.chiffres[d.code]) for d in departements
        ]
        self.zones_codes = [
            f.code for f in carte.formes("departement").values() if f.region == self.region.code
        ]
        self.zones_chiffres = self.chiffres
        self.courant = None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.region.nom,
            titre=self.region.nom,
            sous_titre=f"Région · {self.region.get_zone_display()}",
            breadcrumb=breadcrumb_for(self.request.user),
            **kwargs,
        )


class TableauDepartementView(TableauMixin, TemplateView):
    template_name = "tableau/tableau.html"
    niveau = "departement"

    def preparer(self):
        user = self.request.user
        self.departement = get_object_or_404(
            Departement.objects.for_user(user).select_related("region"), code=self.kwargs["code"]
        )
        region = self.departement.region
        # Pour la carte : les départements de la région que l'utilisateur voit.
        voisins = list(
            Departement.objects.for_user(user).filter(region=region).values_list("code", flat=True)
        )
        self.perimetre = Perimetre(
            niveau=self.niveau,
            nom=self.departement.nom,
            departements=(self.departement.code,),
            region=region,
            departement=self.departement,
        )
        self.chiffres = chiffres_departements(voisins, today=self.today)
        self.sous_territoires = None
        self.zones_codes = [f.code for f in carte.formes("departement").values() if f.region == region.code]
        self.zones_chiffres = self.chiffres
        self.courant = self.departement.code

    def get_context_data(self, **kwargs):
        communes = (
            CommunePvd.objects.for_user(self.request.user)
            .pvd()
            .with_territoire()
            .with_suivi()
            .filter(departement=self.departement)
        )
        table = CommuneTable(PageEnDeuxTemps(communes), exclude=("departement",))
        RequestConfig(self.request, paginate={"per_page": 50}).configure(table)
        return super().get_context_data(
            title=f"{self.departement.nom} ({self.departement.code})",
            titre=f"{self.departement.nom} ({self.departement.code})",
            sous_titre=f"Département · région {self.departement.region.nom}",
            breadcrumb=breadcrumb_for(self.request.user, self.departement.region),
            table=table,
            **kwargs,
        )


class CarteDonneesView(View):
    """GET /tableau/carte.json?indicateur=…&maille=departement|region&region=… : chaque zone du
    territoire de l'utilisateur exactement une fois, avec sa valeur."""

    def get(self, request):
        user = request.user
        indicateur = INDICATEURS.get(request.GET.get("indicateur"), INDICATEURS[INDICATEUR_PAR_DEFAUT])
        maille = "region" if request.GET.get("maille") == "region" else "departement"
        departements = Departement.objects.for_user(user).select_related("region").order_by("code")
        if request.GET.get("region"):
            departements = departements.filter(region_id=request.GET["region"])
        departements = list(departements)
        if request.GET.get("region") and not departements:
            raise Http404("Région inconnue.")
        chiffres = chiffres_departements([d.code for d in departements])
        if maille == "region":
            par_zone = {}
            for d in departements:
                par_zone.setdefault(d.region_id, Chiffres()).ajouter(chiffres[d.code])
        else:
            par_zone = chiffres
        codes = [code for code in carte.formes(maille) if code in par_zone]
        zones, legende = zones_carte(maille=maille, codes=codes, chiffres=par_zone, indicateur=indicateur)
        return JsonResponse(
            {
                "indicateur": {
                    "code": indicateur.code,
                    "libelle": indicateur.libelle,
                    "format": indicateur.format,
                },
                "maille": maille,
                "date": f"{timezone.localdate():%Y-%m-%d}",
                "legende": legende,
                "zones": [
                    {
                        "code": z["code"],
                        "nom": z["nom"],
                        # parts entre 0 et 1 ; montants en euros
                        "valeur": (float(z["valeur"]) / 100 if indicateur.format == "euros" else z["valeur"]),
                        "texte": z["texte"],
                        "classe": z["classe"],
                        "url": z["url"],
                    }
                    for z in zones
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )


class DefinitionsView(TemplateView):
    """Chaque indicateur tel que le calculent le tableau de bord, la note de synthèse, l'API et les exports :
    ce qu'il compte, comment comptent les communes retirées ou sorties, d'où viennent les données."""

    plan_du_site = "Définitions des indicateurs"
    template_name = "tableau/definitions.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Définitions des indicateurs",
            definitions=DEFINITIONS.values(),
            **kwargs,
        )
