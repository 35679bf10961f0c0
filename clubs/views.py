from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, UpdateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView

from clubs.constants import StatutRythme
from clubs.filters import ReunionClubFilter, RythmeFilter
from clubs.forms import ReunionClubForm
from clubs.ics import calendrier_ics, lien_abonnement, utilisateur_du_jeton
from clubs.models import ReunionClub, peut_gerer_reunions
from clubs.services import (
    reunion_club_enregistrer,
    reunion_club_supprimer,
    rythme_clubs,
    rythme_motifs,
    rythme_par_region,
)
from clubs.tables import ReunionClubTable, RythmeRegionTable, RythmeTable
from comptes.constants import Role
from pvd.tableur import csv_reponse
from territoires.models import Departement, alphabetique


def _fil(*liens):
    return [("Clubs PVD", reverse("clubs:reunions")), *liens]


class ClubsContextMixin:
    onglet = None

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            onglet=self.onglet,
            peut_creer=peut_gerer_reunions(user, user.departement_id),
            **kwargs,
        )


class ReunionListView(ClubsContextMixin, SingleTableMixin, FilterView):
    plan_du_site = "Clubs départementaux PVD : réunions"
    table_class = ReunionClubTable
    filterset_class = ReunionClubFilter
    template_name = "clubs/reunion_list.html"
    onglet = "reunions"

    def get_queryset(self):
        return ReunionClub.objects.for_user(self.request.user).with_details()

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    def get_table_kwargs(self):
        if self.request.user.role == Role.DEPARTEMENTAL:
            return {"exclude": ("departement",)}
        return {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Clubs PVD : réunions", **kwargs)


class ReunionDetailView(ClubsContextMixin, DetailView):
    template_name = "clubs/reunion_detail.html"
    context_object_name = "reunion"
    onglet = "reunions"

    def get_queryset(self):
        return ReunionClub.objects.for_user(self.request.user).with_details()

    def get_context_data(self, **kwargs):
        reunion = self.object
        return super().get_context_data(
            title=f"Réunion du {reunion.date:%d/%m/%Y}",
            breadcrumb=_fil(),
            communes=reunion.communes.order_by(alphabetique()),
            can_edit=reunion.can_edit(self.request.user),
            **kwargs,
        )


class ReunionCreateView(ClubsContextMixin, CreateView):
    plan_du_site = "Nouvelle réunion de club"
    plan_du_site_roles = (Role.DEPARTEMENTAL,)
    form_class = ReunionClubForm
    template_name = "clubs/reunion_form.html"
    onglet = "reunions"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not peut_gerer_reunions(
            request.user, request.user.departement_id
        ):
            raise PermissionDenied("Seuls les comptes départementaux enregistrent les réunions de leur club.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "departement": self.request.user.departement}

    def form_valid(self, form):
        self.object = reunion_club_enregistrer(user=self.request.user, **form.services_kwargs())
        messages.success(self.request, "La réunion est enregistrée.")
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return self.object.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Enregistrer une réunion du club", breadcrumb=_fil(), **kwargs)


class ReunionEditMixin(ClubsContextMixin):
    """Modification et suppression : le territoire d'abord (404), puis le droit d'écrire (403)."""

    onglet = "reunions"

    def get_queryset(self):
        return ReunionClub.objects.for_user(self.request.user).select_related("departement")

    def get_object(self, queryset=None):
        reunion = super().get_object(queryset)
        if not reunion.can_edit(self.request.user):
            raise PermissionDenied("Seuls les comptes départementaux du département modifient ses réunions.")
        return reunion


class ReunionUpdateView(ReunionEditMixin, UpdateView):
    form_class = ReunionClubForm
    template_name = "clubs/reunion_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "departement": self.object.departement}

    def form_valid(self, form):
        self.object = reunion_club_enregistrer(user=self.request.user, **form.services_kwargs())
        messages.success(self.request, "Les modifications sont enregistrées.")
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return self.object.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Modifier la réunion du {self.object.date:%d/%m/%Y}",
            breadcrumb=_fil((f"Réunion du {self.object.date:%d/%m/%Y}", self.object.get_absolute_url())),
            **kwargs,
        )


class ReunionDeleteView(ReunionEditMixin, DeleteView):
    template_name = "clubs/reunion_confirm_delete.html"
    context_object_name = "reunion"

    def form_valid(self, form):
        reunion_club_supprimer(reunion=self.object, user=self.request.user)
        messages.success(self.request, f"La réunion du {self.object.date:%d/%m/%Y} est supprimée.")
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        return reverse("clubs:reunions")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=f"Supprimer la réunion du {self.object.date:%d/%m/%Y}",
            breadcrumb=_fil((f"Réunion du {self.object.date:%d/%m/%Y}", self.object.get_absolute_url())),
            **kwargs,
        )


class PieceJointeView(View):
    """Sert la pièce jointe après contrôle du territoire : aucun fichier n'est exposé sous MEDIA_URL."""

    def get(self, request, pk):
        reunion = get_object_or_404(
            ReunionClub.objects.for_user(request.user).exclude(piece_jointe=""), pk=pk
        )
        try:
            fichier = reunion.piece_jointe.open("rb")
        except FileNotFoundError as erreur:
            raise Http404("Pièce jointe introuvable.") from erreur
        reponse = FileResponse(
            fichier,
            as_attachment=True,
            filename=reunion.piece_jointe_nom or f"club-pvd-{reunion.departement_id}-{reunion.date}.pdf",
            content_type="application/pdf",
        )
        reponse["Cache-Control"] = "private, no-store"
        return reponse


class RythmeView(ClubsContextMixin, SingleTableMixin, FilterView):
    plan_du_site = "Rythme des clubs départementaux"
    table_class = RythmeTable
    filterset_class = RythmeFilter
    template_name = "clubs/rythme.html"
    table_pagination = False
    onglet = "rythme"

    def get_queryset(self):
        return Departement.objects.for_user(self.request.user).select_related("region").order_by("code")

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "user": self.request.user}

    @property
    def region_filtree(self):
        return self.filterset.is_valid() and self.filterset.form.cleaned_data.get("region")

    def get_table_kwargs(self):
        return {
            "annee": self.filterset.annee_choisie,
            "aujourd_hui": self.filterset.aujourd_hui,
            "avec_region": self.request.user.sees_everything and not self.region_filtree,
        }

    def get_context_data(self, **kwargs):
        user, annee = self.request.user, self.filterset.annee_choisie
        context = super().get_context_data(title=f"Clubs PVD : rythme {annee}", annee=annee, **kwargs)
        # Synthèse par région, sur tout le territoire de l'utilisateur (une requête agrégée).
        portee = Departement.objects.for_user(user)
        if self.region_filtree:
            portee = portee.filter(region=self.region_filtree)
        regions = list(rythme_par_region(rythme_clubs(portee, annee, aujourd_hui=self.filterset.aujourd_hui)))
        totaux = {
            cle: sum(r[cle] for r in regions)
            for cle in (
                "departements_count",
                "conformes_count",
                "en_cours_count",
                "en_defaut_count",
                "sans_objet_count",
            )
        }
        context.update(
            totaux=totaux,
            region_filtree=self.region_filtree,
            table_regions=(
                RythmeRegionTable(regions, annee=annee)
                if user.sees_everything and not self.region_filtree
                else None
            ),
            statuts=StatutRythme,
            csv_query=self.request.GET.urlencode(),
        )
        return context


class RythmeCsvView(RythmeView):
    """La table du rythme (mêmes filtres) au format CSV, séparateur « ; », pour un tableur."""

    def render_to_response(self, context, **response_kwargs):
        annee, aujourd_hui = self.filterset.annee_choisie, self.filterset.aujourd_hui
        return csv_reponse(
            nom_fichier=f"rythme-clubs-pvd-{annee}",
            colonnes=[
                "annee",
                "code_departement",
                "departement",
                "code_region",
                "region",
                "reunions_tenues",
                "reunion_premier_semestre",
                "deux_reunions",
                "reunions_prevues",
                "communes_pvd",
                "communes_representees_annee",
                "communes_jamais_representees",
                "situation",
                "motifs",
            ],
            lignes=(
                [
                    annee,
                    d.code,
                    d.nom,
                    d.region_id,
                    d.region.nom,
                    d.reunions_count,
                    "oui" if d.has_reunion_s1 else "non",
                    "oui" if d.has_deux_reunions else "non",
                    d.reunions_prevues_count,
                    d.communes_pvd_count,
                    d.communes_representees_count,
                    d.communes_jamais_representees_count,
                    StatutRythme(d.statut).label,
                    " ; ".join(rythme_motifs(d, annee, aujourd_hui=aujourd_hui)),
                ]
                for d in self.object_list
            ),
        )


class CalendrierView(ClubsContextMixin, SingleTableView):
    """Réunions à venir du territoire, et liens d'abonnement au flux .ics de chaque département."""

    table_class = ReunionClubTable
    template_name = "clubs/calendrier.html"
    onglet = "calendrier"

    def get_queryset(self):
        return ReunionClub.objects.for_user(self.request.user).prevues().with_details().order_by("date", "pk")

    def get_table_kwargs(self):
        exclure = ("statut", "participants_count", "communes_count", "piece_jointe")
        if self.request.user.role == Role.DEPARTEMENTAL:
            exclure += ("departement",)
        return {"exclude": exclure, "order_by": ("date",)}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        table.caption = "Réunions à venir"
        table.empty_text = "Aucune réunion prévue."
        return table

    def get_context_data(self, **kwargs):
        user = self.request.user
        departements = Departement.objects.none()
        if not user.sees_everything:
            departements = Departement.objects.for_user(user).order_by("code")
        abonnements = [(d, lien_abonnement(self.request, d)) for d in departements]
        return super().get_context_data(title="Clubs PVD : calendrier", abonnements=abonnements, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class IcsView(View):
    """Flux iCalendar d'un département : session de l'utilisateur, ou jeton d'abonnement personnel."""

    def get(self, request, code):
        user = request.user
        jeton = request.GET.get("jeton")
        if jeton:
            user = utilisateur_du_jeton(jeton, code)
            if user is None:
                return HttpResponseForbidden(
                    "Lien d’abonnement invalide ou révoqué : copiez de nouveau le lien depuis PVD Suivi.",
                    content_type="text/plain; charset=utf-8",
                )
        elif not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        departement = get_object_or_404(Departement.objects.for_user(user), code=code)
        reunions = ReunionClub.objects.for_user(user).filter(departement=departement).order_by("date", "pk")
        contenu = calendrier_ics(
            departement, reunions, url=lambda r: request.build_absolute_uri(r.get_absolute_url())
        )
        reponse = HttpResponse(contenu, content_type="text/calendar; charset=utf-8")
        reponse["Content-Disposition"] = f'inline; filename="club-pvd-{departement.code}.ics"'
        reponse["Cache-Control"] = "private, max-age=0"
        reponse["X-Robots-Tag"] = "noindex"
        return reponse
