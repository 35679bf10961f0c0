import csv
import datetime
import hashlib
import io

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.views.generic import DetailView, FormView, View
from django_filters.views import FilterView
from django_tables2 import RequestConfig

from communes import forms
from communes.constants import DELAI_CONVENTION_CADRE_MOIS, ETAPES, Phase, TypeConvention
from communes.exports import communes_exporter
from communes.filters import CommuneFilter
from communes.historique import historique_territoire, valeur_affichee
from communes.imports import (
    COLONNES,
    FichierInvalide,
    import_autorise,
    import_confirmer,
    import_demander,
    modele_lignes,
    rapport_csv,
)
from communes.models import (
    Action,
    Avenant,
    ChefDeProjet,
    CommunePvd,
    Convention,
    Crte,
    Financement,
    Import,
    Ort,
    Territoire,
    VersionDepartement,
)
from communes.querysets import manques_operationnelle, mois_apres, raisons_suggestion
from communes.services import (
    ConflitEdition,
    adhesion_date_liste_ecarter,
    adhesion_date_liste_retenir,
    cadre_ort_confirmer,
    objet_supprimer,
    suivi_enregistrer,
    valeur_confirmer,
)
from communes.tables import CommuneTable, PageEnDeuxTemps
from comptes.constants import Role
from comptes.securite import adresse_ip
from pvd.formats import date_longue, montant
from pvd.tableur import classeur_creer, classeur_reponse, feuille_ecrire
from territoires.breadcrumbs import breadcrumb_for
from territoires.models import ChargementListe, Commune, Departement, alphabetique

# Tableau de la liste des communes mis en cache : la clé porte la version des données de chaque département
# du territoire (tenue par des déclencheurs SQL, voir communes/versions.py), la date (alertes des 18 mois) et
# la requête (filtres, tri, page) ; un enregistrement change la clé, le tableau n'est jamais périmé. La durée
# ne borne que la place prise ; « v1 » change quand le balisage du tableau change.
CACHE_LISTE = "communes:liste:v1"
CACHE_LISTE_DUREE = 600


class CommuneListView(FilterView):
    """Liste filtrable : le tableau (django-tables2) n'est construit que s'il n'est pas déjà en cache."""

    plan_du_site = "Communes PVD"
    filterset_class = CommuneFilter
    template_name = "communes/commune_list.html"

    def get_queryset(self):
        # Les communes sorties de la liste restent atteignables (filtre « Liste PVD », voir CommuneFilter).
        return CommunePvd.objects.for_user(self.request.user).pvd_et_sorties().with_territoire().with_suivi()

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    def get_table_kwargs(self):
        # Un agent départemental n'a qu'un département : la colonne serait toujours la même.
        return {"exclude": ("departement",)} if self.request.user.departement_id else {}

    def get(self, request, *args, **kwargs):
        format_export = request.GET.get("export")
        if format_export in ("csv", "xlsx"):
            filterset = self.get_filterset(self.get_filterset_class())
            if not filterset.is_valid():
                messages.error(request, "Export impossible : corrigez les filtres.")
                return redirect(reverse("communes:liste"))
            return communes_exporter(queryset=filterset.qs, format_export=format_export)
        return super().get(request, *args, **kwargs)

    def cle_tableau(self):
        user = self.request.user
        versions = VersionDepartement.objects.jetons(Departement.objects.for_user(user).values("code"))
        empreinte = hashlib.sha256(
            repr(
                (
                    user.role,
                    user.region_id,
                    user.departement_id,
                    timezone.localdate(),
                    sorted(self.request.GET.lists()),
                    sorted(versions.items()),
                )
            ).encode()
        ).hexdigest()
        return f"{CACHE_LISTE}:{empreinte}"

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        params.pop("page", None)
        kwargs.update(
            title="Communes PVD",
            export_params=params.urlencode(),
            sorties_count=Commune.objects.for_user(self.request.user).sorties().count(),
        )
        cle = self.cle_tableau()
        tableau_html = cache.get(cle)
        if tableau_html is None:
            table = CommuneTable(PageEnDeuxTemps(self.object_list), **self.get_table_kwargs())
            RequestConfig(self.request, paginate={"per_page": CommuneTable._meta.per_page}).configure(table)
            tableau_html = table.as_html(self.request)
            cache.set(cle, tableau_html, CACHE_LISTE_DUREE)
            kwargs["table"] = table
        return super().get_context_data(tableau_html=tableau_html, **kwargs)


def _commune(user, code_insee):
    queryset = (
        CommunePvd.objects.for_user(user)
        .pvd_et_sorties()
        .with_territoire()
        .select_related("territoire__crte", "sortie_liste")
    )
    return get_object_or_404(queryset.with_suivi(), code_insee=code_insee)


class CommuneDetailView(DetailView):
    template_name = "communes/commune_detail.html"
    context_object_name = "commune"

    def get_object(self, queryset=None):
        return _commune(self.request.user, self.kwargs["code_insee"])

    def get_context_data(self, **kwargs):
        commune = self.object
        territoire = commune.territoire
        conventions = {c.type: c for c in territoire.conventions.prefetch_related("avenants")}
        return super().get_context_data(
            title=commune.nom,
            breadcrumb=breadcrumb_for(self.request.user, commune.departement),
            territoire=territoire,
            communes_territoire=list(territoire.communes.order_by(alphabetique())),
            adhesion=conventions.get(TypeConvention.ADHESION),
            cadre=conventions.get(TypeConvention.CADRE),
            ort=Ort.objects.filter(territoire=territoire).prefetch_related("secteurs").first(),
            crtes_couvrant=list(Crte.objects.filter(epcis=commune.epci_id).order_by("nom"))
            if commune.epci_id
            else [],
            chef=ChefDeProjet.objects.filter(territoire=territoire).first(),
            actions=territoire.actions.prefetch_related("financements")
            .annotate(
                demande_total=Sum("financements__montant_demande"),
                accorde_total=Sum("financements__montant_accorde"),
            )
            .order_by("-statut", "titre"),
            historique=historique_territoire(territoire),
            can_edit=territoire.can_edit(self.request.user),
            **self.provenance_context(commune, conventions.get(TypeConvention.ADHESION)),
            cadre_ort_propose=self.cadre_ort_propose(territoire, conventions),
            **self.phase_context(commune),
            manques_operationnelle=manques_operationnelle(commune),
            messages_dans_les_sections=True,
            **kwargs,
        )

    @staticmethod
    def cadre_ort_propose(territoire, conventions):
        """La convention-cadre valant ORT que la liste ORT laisse supposer (voir
        TerritoireQuerySet.cadre_ort_propose) : l'ORT reprise, ou None."""
        if TypeConvention.CADRE in conventions:
            return None
        return (
            Ort.objects.filter(territoire__in=Territoire.objects.filter(pk=territoire.pk).cadre_ort_propose())
            .select_related("territoire")
            .first()
        )

    @staticmethod
    def provenance_context(commune, adhesion):
        """La date d'adhésion de la liste PVD, proposée quand elle diffère de celle qu'une personne a saisie
        ou confirmée."""
        proposition = None
        if (
            adhesion is not None
            and not adhesion.a_confirmer
            and commune.date_adhesion_liste
            and adhesion.date_signature != commune.date_adhesion_liste
            and adhesion.date_liste_ecartee != commune.date_adhesion_liste
        ):
            dernier = ChargementListe.objects.order_by("-charge_le", "-pk").first()
            proposition = {
                "date": commune.date_adhesion_liste,
                "source": dernier.source if dernier else "liste PVD ANCT",
            }
        return {"adhesion_liste_proposee": proposition}

    @staticmethod
    def phase_context(commune):
        phase = Phase(commune.phase)
        etape = ETAPES.index(phase) + 1 if phase in ETAPES else None
        suivantes = ETAPES[etape:] if etape else []
        raisons = raisons_suggestion(commune)
        return {
            "phase_label": phase.label,
            "etape": etape,
            "etapes_count": len(ETAPES),
            "etape_suivante": suivantes[0].label if suivantes else "",
            "raisons_risque": raisons if commune.is_risque_suggere else [],
            "echeance_cadre": mois_apres(commune.date_adhesion, DELAI_CONVENTION_CADRE_MOIS)
            if commune.date_adhesion
            else None,
            "financement_accorde": montant(commune.financement_accorde),
        }


class SuiviEditView(FormView):
    """Formulaire de suivi d'une commune : réservé aux agents de son département, refuse une mise à jour
    perdue (ConflitEdition) en montrant les valeurs enregistrées entre-temps."""

    template_name = "communes/suivi_form.html"
    titre = ""
    ancre = ""

    def dispatch(self, request, *args, **kwargs):
        self.commune = _commune(request.user, kwargs["code_insee"])
        self.territoire = self.commune.territoire
        if not self.territoire.can_edit(request.user):
            raise PermissionDenied(
                "Seuls les agents du département de la commune peuvent modifier son suivi."
            )
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object, "territoire": self.territoire}

    def get_success_url(self):
        return reverse("communes:detail", args=[self.commune.code_insee]) + (
            f"#{self.ancre}" if self.ancre else ""
        )

    def form_valid(self, form):
        try:
            suivi_enregistrer(form=form, user=self.request.user, version=form.cleaned_data.get("version"))
        except ConflitEdition as conflit:
            return self.conflit(form, conflit.actuel)
        self.message(messages.SUCCESS, f"{self.titre} : modification enregistrée.")
        return redirect(self.get_success_url())

    def message(self, niveau, texte):
        """Un message affiché dans la section de la fiche où l'on revient (voir messages_dans_les_sections)."""
        messages.add_message(
            self.request, niveau, texte, extra_tags=f"section-{self.ancre}" if self.ancre else ""
        )

    def conflit(self, form, actuel):
        form.add_error(
            None,
            "Quelqu’un a enregistré cet élément pendant votre saisie : vos valeurs n’ont pas été enregistrées. "
            "Comparez-les aux valeurs enregistrées ci-dessous, puis enregistrez à nouveau si les vôtres doivent "
            "les remplacer.",
        )
        valeurs = []
        if actuel is not None:
            for nom in form._meta.fields:
                champ = actuel._meta.get_field(nom)
                if champ.is_relation:
                    valeur = str(getattr(actuel, nom) or "—")
                elif isinstance(getattr(actuel, nom), datetime.date):
                    valeur = date_longue(getattr(actuel, nom))
                else:
                    valeur = valeur_affichee(type(actuel), nom, getattr(actuel, champ.attname))
                valeurs.append((champ.verbose_name, valeur))
            dernier = actuel.history.select_related("history_user").first()
            auteur = dernier.history_user if dernier else None
            data = form.data.copy()
            data["version"] = actuel.version  # le prochain envoi remplacera sciemment ces valeurs
            form.data = data
        else:
            dernier, auteur = None, None
        return self.render_to_response(
            self.get_context_data(
                form=form,
                conflit=True,
                conflit_valeurs=valeurs,
                conflit_auteur=auteur,
                conflit_date=dernier.history_date if dernier else None,
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"{self.titre} — {self.commune.nom}",
            titre=self.titre,
            commune=self.commune,
            breadcrumb=breadcrumb_for(self.request.user, self.commune.departement)
            + [(self.commune.nom, reverse("communes:detail", args=[self.commune.code_insee]))],
            annuler_url=self.get_success_url(),
            **kwargs,
        )


class AdhesionView(SuiviEditView):
    form_class = forms.AdhesionForm
    titre = "Convention d’adhésion"
    ancre = "conventions"

    def get_object(self):
        return Convention.objects.filter(territoire=self.territoire, type=TypeConvention.ADHESION).first()


class ConventionCadreView(SuiviEditView):
    form_class = forms.ConventionCadreForm
    titre = "Convention-cadre"
    ancre = "conventions"

    def get_object(self):
        return Convention.objects.filter(territoire=self.territoire, type=TypeConvention.CADRE).first()


class AvenantView(SuiviEditView):
    form_class = forms.AvenantForm
    titre = "Avenant"
    ancre = "conventions"

    def get_object(self):
        self.convention = get_object_or_404(
            Convention, territoire=self.territoire, type=self.kwargs["type_convention"]
        )
        if "pk" in self.kwargs:
            return get_object_or_404(Avenant, convention=self.convention, pk=self.kwargs["pk"])
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "convention": self.convention}


class OrtView(SuiviEditView):
    form_class = forms.OrtForm
    titre = "ORT"
    ancre = "ort"

    def get_object(self):
        return Ort.objects.filter(territoire=self.territoire).first()


class ChefDeProjetView(SuiviEditView):
    form_class = forms.ChefDeProjetForm
    titre = "Chef de projet"
    ancre = "chef-de-projet"

    def get_object(self):
        return ChefDeProjet.objects.filter(territoire=self.territoire).first()


class TerritoireChampsView(SuiviEditView):
    def get_object(self):
        return self.territoire


class CrteView(TerritoireChampsView):
    form_class = forms.CrteForm
    titre = "Inscription au CRTE"
    ancre = "crte"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "commune": self.commune}


class RisqueView(TerritoireChampsView):
    form_class = forms.RisqueForm
    titre = "Risque de ne pas atteindre la phase opérationnelle"
    ancre = "risque"

    def form_valid(self, form):
        form.instance.risque_decision_signer(self.request.user)
        return super().form_valid(form)


class TerritoireView(TerritoireChampsView):
    form_class = forms.TerritoireForm
    titre = "Territoire PVD"
    ancre = "territoire"


class ActionView(SuiviEditView):
    form_class = forms.ActionForm
    titre = "Action"
    ancre = "actions"

    def get_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(Action, territoire=self.territoire, pk=self.kwargs["pk"])
        return None


class FinancementView(SuiviEditView):
    form_class = forms.FinancementForm
    titre = "Ligne de financement"
    ancre = "actions"

    def get_object(self):
        self.action = get_object_or_404(Action, territoire=self.territoire, pk=self.kwargs["action_pk"])
        if "pk" in self.kwargs:
            return get_object_or_404(Financement, action=self.action, pk=self.kwargs["pk"])
        return None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "action": self.action}

    def get_context_data(self, **kwargs):
        return super().get_context_data(sous_titre=f"Action « {self.action.titre} »", **kwargs)


class SuppressionView(SuiviEditView):
    """Confirmation puis suppression d'une action, d'une ligne de financement ou d'un avenant."""

    template_name = "communes/suppression.html"
    form_class = None

    def get_object(self):
        quoi = self.kwargs["quoi"]
        self.ancre = "conventions" if quoi == "avenant" else "actions"
        if quoi == "action":
            return get_object_or_404(Action, territoire=self.territoire, pk=self.kwargs["pk"])
        if quoi == "financement":
            return get_object_or_404(Financement, action__territoire=self.territoire, pk=self.kwargs["pk"])
        if quoi == "avenant":
            return get_object_or_404(Avenant, convention__territoire=self.territoire, pk=self.kwargs["pk"])
        raise Http404

    def get_form_class(self):
        from django import forms as django_forms

        return django_forms.Form

    def get_form_kwargs(self):
        return {"data": self.request.POST} if self.request.method == "POST" else {}

    def form_valid(self, form):
        libelle = str(self.object)
        objet_supprimer(objet=self.object, user=self.request.user)
        self.message(messages.SUCCESS, f"« {libelle} » supprimé.")
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        self.titre = "Suppression"
        return super().get_context_data(objet=self.object, **kwargs)


class ConfirmationView(SuiviEditView):
    """Confirmation par le département d'une valeur reprise d'un fichier officiel (convention d'adhésion,
    convention-cadre, ORT), ou choix de la date d'adhésion que propose la liste PVD (« adhesion-liste »)."""

    template_name = "communes/confirmation.html"
    form_class = forms.ConfirmationForm
    titre = "Confirmation"
    OBJETS = {
        "adhesion": ("conventions", "la convention d’adhésion"),
        "cadre": ("conventions", "la convention-cadre"),
        "ort": ("ort", "l’ORT"),
        "cadre-ort": ("conventions", "la convention-cadre valant ORT"),
        "adhesion-liste": ("conventions", "la date d’adhésion de la liste PVD"),
        "adhesion-garder": ("conventions", "la date d’adhésion enregistrée"),
    }

    def get_object(self):
        quoi = self.kwargs["quoi"]
        if quoi not in self.OBJETS:
            raise Http404
        self.ancre, self.libelle = self.OBJETS[quoi]
        if quoi == "cadre-ort":
            conventions = {c.type: c for c in Convention.objects.filter(territoire=self.territoire)}
            objet = CommuneDetailView.cadre_ort_propose(self.territoire, conventions)
            if objet is None or objet.date_signature is None:
                raise Http404  # sans date, la convention-cadre se saisit par son formulaire
            return objet
        if quoi == "ort":
            objet = Ort.objects.filter(territoire=self.territoire).first()
        else:
            type_convention = TypeConvention.CADRE if quoi == "cadre" else TypeConvention.ADHESION
            objet = Convention.objects.filter(territoire=self.territoire, type=type_convention).first()
        if objet is None:
            raise Http404
        if quoi in ("adhesion-liste", "adhesion-garder"):
            self.proposition = CommuneDetailView.provenance_context(self.commune, objet)[
                "adhesion_liste_proposee"
            ]
            if self.proposition is None:
                raise Http404
        elif not objet.a_confirmer:
            raise Http404
        elif quoi == "cadre" and objet.vaut_ort and not objet.date_signature:
            raise Http404  # une convention-cadre valant ORT sans date se complète par son formulaire
        return objet

    def get_form_kwargs(self):
        return {**super(SuiviEditView, self).get_form_kwargs(), "initial": {"version": self.object.version}}

    def form_valid(self, form):
        try:
            if self.kwargs["quoi"] == "cadre-ort":
                cadre_ort_confirmer(territoire=self.territoire, user=self.request.user)
            elif self.kwargs["quoi"] == "adhesion-garder":
                adhesion_date_liste_ecarter(
                    convention=self.object,
                    date=self.proposition["date"],
                    source=self.proposition["source"],
                    user=self.request.user,
                    version=form.cleaned_data["version"],
                )
            elif self.kwargs["quoi"] == "adhesion-liste":
                adhesion_date_liste_retenir(
                    convention=self.object,
                    date=self.proposition["date"],
                    source=self.proposition["source"],
                    user=self.request.user,
                    version=form.cleaned_data["version"],
                )
            else:
                valeur_confirmer(
                    objet=self.object, user=self.request.user, version=form.cleaned_data["version"]
                )
        except ConflitEdition:
            self.message(
                messages.ERROR, "Cet élément a été modifié entre-temps : vérifiez-le avant de confirmer."
            )
            return redirect(self.get_success_url())
        self.message(
            messages.SUCCESS,
            "Date d’adhésion enregistrée gardée."
            if self.kwargs["quoi"] == "adhesion-garder"
            else f"{capfirst(self.libelle)} : valeur confirmée.",
        )
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            objet=self.object,
            libelle=self.libelle,
            proposition=getattr(self, "proposition", None),
            quoi=self.kwargs["quoi"],
            **kwargs,
        )


class _ImportAutoriseMixin:
    """Import : agents départementaux (leurs communes) et administrateurs ; les autres → 403."""

    def dispatch(self, request, *args, **kwargs):
        if not import_autorise(request.user):
            raise PermissionDenied(
                "L’import des situations est réservé aux agents départementaux et aux administrateurs."
            )
        return super().dispatch(request, *args, **kwargs)


class ImportView(_ImportAutoriseMixin, FormView):
    """Dépôt d'un fichier de situations (CSV ou XLSX) : le contrôle et l'enregistrement se font dans le worker
    (communes.imports) ; la page du job suit leur avancement."""

    plan_du_site = "Import des tableaux des départements"
    plan_du_site_roles = (Role.DEPARTEMENTAL, Role.ADMINISTRATEUR)

    template_name = "communes/import.html"
    form_class = forms.ImportForm

    def form_valid(self, form):
        try:
            job = import_demander(
                fichier=form.cleaned_data["fichier"],
                user=self.request.user,
                appliquer=form.cleaned_data["appliquer"],
                adresse_ip=adresse_ip(self.request),
            )
        except FichierInvalide as exc:
            form.add_error("fichier", exc.message)
            return self.form_invalid(form)
        return redirect(reverse("communes:import_detail", args=[job.pk]))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Import des situations",
            colonnes=COLONNES,
            imports=Import.objects.for_user(self.request.user)[:10],
            breadcrumb=[("Communes PVD", reverse("communes:liste"))],
            **kwargs,
        )


class ImportDetailView(DetailView):
    """Un job d'import : avancement (rafraîchi par static/js/imports.js, ou sans JavaScript par la page
    elle-même), puis résumé, erreurs par ligne et rapport à télécharger."""

    template_name = "communes/import_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        return Import.objects.for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Import de {self.object.nom_fichier}",
            rafraichir=self.object.is_active,
            peut_importer=import_autorise(self.request.user),
            breadcrumb=[
                ("Communes PVD", reverse("communes:liste")),
                ("Import des situations", reverse("communes:import")),
            ],
            **kwargs,
        )


class ImportEtatView(View):
    """État d'un job d'import, en JSON, lu par static/js/imports.js."""

    def get(self, request, pk):
        job = get_object_or_404(Import.objects.for_user(request.user), pk=pk)
        return JsonResponse(
            {
                "id": job.pk,
                "etat": job.etat,
                "etat_label": job.get_etat_display(),
                "etape": job.etape,
                "progression": job.progression,
                "lignes_traitees": job.lignes_traitees,
                "lignes_total": job.lignes_total,
                "termine": not job.is_active,
            }
        )


class ImportRapportView(View):
    """Rapport d'un job terminé : une ligne par erreur ou note, en CSV."""

    def get(self, request, pk):
        job = get_object_or_404(Import.objects.for_user(request.user), pk=pk)
        reponse = HttpResponse(rapport_csv(job), content_type="text/csv; charset=utf-8")
        reponse["Content-Disposition"] = f'attachment; filename="rapport-import-{job.pk}.csv"'
        return reponse


class ImportConfirmerView(_ImportAutoriseMixin, View):
    """« Importer ce fichier » depuis une simulation réussie : un nouveau job d'enregistrement, même fichier."""

    http_method_names = ["post"]

    def post(self, request, pk):
        simulation = get_object_or_404(Import.objects.for_user(request.user), pk=pk)
        try:
            job = import_confirmer(simulation=simulation, user=request.user, adresse_ip=adresse_ip(request))
        except FichierInvalide as exc:
            messages.error(request, exc.message)
            return redirect(reverse("communes:import_detail", args=[simulation.pk]))
        return redirect(reverse("communes:import_detail", args=[job.pk]))


class ImportModeleView(_ImportAutoriseMixin, View):
    """Modèle de fichier à remplir : toutes les colonnes, une ligne d'exemple ; en XLSX, une seconde feuille
    décrit chaque colonne ; en CSV (UTF-8 avec BOM, « ; »), la description suit l'exemple."""

    def get(self, request, format_modele):
        entetes, exemple, descriptions = modele_lignes()
        if format_modele == "csv":
            tampon = io.StringIO()
            ecrivain = csv.writer(tampon, delimiter=";")
            ecrivain.writerows([list(COLONNES), exemple])
            reponse = HttpResponse("\ufeff" + tampon.getvalue(), content_type="text/csv; charset=utf-8")
            reponse["Content-Disposition"] = 'attachment; filename="modele-import-situations.csv"'
            return reponse
        classeur = classeur_creer()
        feuille_ecrire(classeur, titre="Situations", colonnes=entetes, lignes=[exemple])
        feuille_ecrire(
            classeur,
            titre="Colonnes",
            colonnes=["Colonne", "Identifiant", "Contenu"],
            lignes=[[c.libelle, nom, c.description] for nom, c in COLONNES.items()],
        )
        return classeur_reponse(classeur, nom_fichier="modele-import-situations")
