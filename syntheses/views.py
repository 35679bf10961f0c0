import io
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views import View
from django.views.generic import DetailView, FormView
from django_tables2 import SingleTableMixin, SingleTableView

from communes.constants import DecisionRisque
from communes.models import CommunePvd
from comptes.constants import Role
from comptes.models import agent_du_departement
from echanges.models import Commentaire
from pvd.formats import compte, pluriel
from pvd.verrous import ConflitEdition
from syntheses import forms, services
from syntheses.chiffres import (
    cles_region,
    comparer,
    evolution,
    evolution_campagne,
    noms_departements,
    parties_note,
    raisons_suggestion,
    synthese_chiffres,
)
from syntheses.constants import (
    ETATS_GENERATION_ACTIFS,
    MESSAGE_BROKER_INDISPONIBLE,
    EtatGeneration,
    EtatSection,
    LectureSection,
)
from syntheses.generation import generation_demander, generation_relancer, lot_demander
from syntheses.models import (
    Campagne,
    Generation,
    Lot,
    SectionDepartementale,
    Synthese,
    Transition,
    VersionPdf,
)
from syntheses.tables import CampagneTable, SyntheseTable
from territoires.models import alphabetique


def _fil(user, campagne=None, synthese=None):
    liens = [("Notes de synthèse", reverse("syntheses:campagnes"))]
    if campagne is not None:
        liens.append((campagne.nom, reverse("syntheses:campagne", args=[campagne.pk])))
    if synthese is not None:
        liens.append((synthese.region.nom, reverse("syntheses:synthese", args=[synthese.pk])))
    return liens


def _suivant(request, defaut):
    """Page où revenir après une action : le champ « suivant » du formulaire s'il désigne une page du produit
    (la vue de lecture renvoie ses formulaires vers elle-même), sinon la page par défaut."""
    suivant = request.POST.get("suivant") or request.GET.get("suivant") or ""
    if suivant and url_has_allowed_host_and_scheme(
        suivant, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return suivant
    return defaut


def _erreur(request, exc):
    """Message d'une transition refusée (ValidationError en français)."""
    for message in exc.messages:
        messages.error(request, message)


# --- Campagnes -------------------------------------------------------------------------------------


class CampagneListView(SingleTableView):
    plan_du_site = "Notes de synthèse régionales"
    table_class = CampagneTable
    template_name = "syntheses/campagne_list.html"
    table_pagination = False

    def get_queryset(self):
        return Campagne.objects.for_user(self.request.user).with_avancement()

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Notes de synthèse régionales", **kwargs)


class CampagneCreateView(FormView):
    plan_du_site = "Ouvrir une campagne"
    plan_du_site_roles = (Role.NATIONAL, Role.ADMINISTRATEUR)
    form_class = forms.CampagneForm
    template_name = "syntheses/formulaire.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.sees_everything:
            raise PermissionDenied("Seul le niveau national ouvre une campagne.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        campagne = services.campagne_creer(user=self.request.user, **form.cleaned_data)
        messages.success(self.request, f"Campagne « {campagne.nom} » ouverte : une note par région.")
        return redirect("syntheses:campagne", pk=campagne.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Ouvrir une campagne",
            breadcrumb=_fil(self.request.user),
            intro="Chaque région reçoit une note, avec une section par département.",
            bouton="Ouvrir la campagne",
            annuler_url=reverse("syntheses:campagnes"),
            **kwargs,
        )


class CampagneDetailView(SingleTableMixin, DetailView):
    table_class = SyntheseTable
    template_name = "syntheses/campagne_detail.html"
    context_object_name = "campagne"
    table_pagination = False

    def get_queryset(self):
        return Campagne.objects.for_user(self.request.user)

    def get_table_data(self):
        return (
            Synthese.objects.for_user(self.request.user)
            .filter(campagne=self.object)
            .select_related("region", "campagne")
            .with_avancement()
            .with_derniere_version()
            .order_by("-is_en_retard", "region__nom")
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        contexte = {}
        if user.sees_everything:
            lot = Lot.objects.filter(campagne=self.object).first()
            contexte["lot"] = lot
            contexte["evolution"] = evolution_campagne(self.object)
        else:
            # Département et région : leur note, directement.
            contexte["ma_synthese"] = (
                Synthese.objects.for_user(user).filter(campagne=self.object).select_related("region").first()
            )
        return super().get_context_data(title=self.object.nom, breadcrumb=_fil(user), **contexte, **kwargs)


# --- Note régionale --------------------------------------------------------------------------------


def _synthese(user, pk):
    return get_object_or_404(
        Synthese.objects.for_user(user).select_related("campagne", "region").with_avancement(), pk=pk
    )


class SyntheseDetailView(DetailView):
    template_name = "syntheses/synthese_detail.html"
    context_object_name = "synthese"

    def get_object(self, queryset=None):
        return _synthese(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user, synthese = self.request.user, self.object
        sections = (
            SectionDepartementale.objects.for_user(user)
            .filter(synthese=synthese)
            .select_related("departement", "soumise_par")
            .annotate(communes_risque_count=Count("communes_risque"))
            .order_by("departement__code")
        )
        transitions = Transition.objects.filter(synthese=synthese).select_related(
            "user", "section__departement"
        )
        if not (user.sees_everything or synthese.can_consolidate(user)):
            transitions = transitions.filter(section__departement_id=user.departement_id)
        contexte = {}
        if synthese.can_generate(user):
            contexte.update(_generation_contexte(synthese))
            contexte["rafraichir"] = bool(contexte["generation"] and contexte["generation"].is_active)
            contexte.update(_comparaisons(synthese))
        return super().get_context_data(
            title=f"Note de synthèse — {synthese.region.nom}",
            breadcrumb=_fil(user, synthese.campagne),
            sections=sections,
            transitions=transitions[:50],
            can_consolidate=synthese.can_consolidate(user),
            can_generate=synthese.can_generate(user),
            **(_confirmations_note(synthese) if synthese.can_consolidate(user) else {}),
            **contexte,
            **kwargs,
        )


def _comparaisons(synthese):
    """Note transmise : ses chiffres figés et ce qui a changé depuis dans le suivi. Toute note : l'évolution
    depuis la note de la campagne précédente."""
    contexte = {
        "evolution": evolution(
            synthese, synthese.instantane or (lambda: services.instantane_calculer(synthese))
        )
    }
    if synthese.instantane:
        contexte["figes"] = comparer(
            synthese.instantane,
            services.instantane_calculer(synthese),
            noms=noms_departements(synthese),
            titre_avant=f"Figés le {synthese.transmise_le:%d/%m/%Y}" if synthese.transmise_le else "Figés",
            titre_apres="Suivi aujourd’hui",
        )
    return contexte


def _generation_contexte(synthese):
    generation = (
        Generation.objects.filter(synthese=synthese).select_related("version", "requested_by").first()
    )
    versions = VersionPdf.objects.filter(synthese=synthese).select_related("created_by")[:20]
    return {
        "generation": generation,
        "versions": versions,
        "message_broker_indisponible": MESSAGE_BROKER_INDISPONIBLE,
    }


class SyntheseVueEnsembleView(FormView):
    form_class = forms.VueEnsembleForm
    template_name = "syntheses/vue_ensemble.html"

    def dispatch(self, request, *args, **kwargs):
        self.synthese = _synthese(request.user, kwargs["pk"])
        if not self.synthese.can_consolidate(request.user):
            raise PermissionDenied("Seuls les agents de la région rédigent la vue d’ensemble.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.synthese}

    def form_valid(self, form):
        try:
            services.synthese_vue_ensemble_enregistrer(
                synthese=self.synthese,
                user=self.request.user,
                vue_ensemble=form.cleaned_data["vue_ensemble"],
                version=form.cleaned_data["version"],
                lieu=form.cleaned_data["lieu"],
                signataire_titre=form.cleaned_data["signataire_titre"],
                signataire_nom=form.cleaned_data["signataire_nom"],
            )
        except ConflitEdition:
            form.add_error(
                None,
                "Quelqu’un a enregistré la vue d’ensemble pendant votre saisie : votre texte n’a pas été "
                "enregistré. Rouvrez la page pour voir le texte actuel, puis reportez vos modifications.",
            )
            return self.form_invalid(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Vue d’ensemble régionale enregistrée.")
        return redirect(_suivant(self.request, reverse("syntheses:synthese", args=[self.synthese.pk])))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Vue d’ensemble régionale",
            breadcrumb=_fil(self.request.user, self.synthese.campagne, self.synthese),
            intro=f"{self.synthese.region.nom} — {self.synthese.campagne.nom}",
            synthese=self.synthese,
            cles_region=cles_region(self.synthese),
            suivant=_suivant(self.request, ""),
            annuler_url=_suivant(self.request, reverse("syntheses:synthese", args=[self.synthese.pk])),
            **kwargs,
        )


class SyntheseTransitionView(FormView):
    """Valider, rouvrir, transmettre : GET montre la page de confirmation (ce que l'action change), POST
    l'exécute. Sans JavaScript comme avec, rien ne part sur un seul clic."""

    template_name = "syntheses/formulaire.html"
    actions = {
        "valider": (
            forms.ConfirmationForm,
            services.synthese_valider,
            "Note validée.",
            "Valider la note",
            "Une fois la note validée, ni les sections ni la vue d’ensemble ne se modifient plus, sauf à rouvrir la "
            "note.",
        ),
        "rouvrir": (
            forms.ReouvertureForm,
            services.synthese_rouvrir,
            "Note rouverte.",
            "Rouvrir la note",
            "La note repasse en rédaction : la région et les départements pourront de nouveau la modifier.",
        ),
        "transmettre": (
            forms.ConfirmationForm,
            services.synthese_transmettre,
            "Note transmise au ministère.",
            "Transmettre la note au ministère",
            "La transmission est définitive : la note et ses chiffres sont figés à cet instant, et le PDF "
            "définitif (sans la mention « document de travail ») est produit automatiquement.",
        ),
    }

    def dispatch(self, request, *args, **kwargs):
        self.synthese = _synthese(request.user, kwargs["pk"])
        if not self.synthese.can_consolidate(request.user):
            raise PermissionDenied("Seuls les agents de la région valident et transmettent la note.")
        self.form_class, self.service, self.succes, self.titre, self.consequence = self.actions[
            kwargs["action"]
        ]
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            self.service(synthese=self.synthese, user=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            _erreur(self.request, exc)
        else:
            messages.success(self.request, self.succes)
        return redirect(_suivant(self.request, reverse("syntheses:synthese", args=[self.synthese.pk])))

    def get_context_data(self, **kwargs):
        synthese = self.synthese
        if self.kwargs["action"] == "valider":
            # Valider reste possible : la marque « acceptée » aide la région, elle ne bloque pas la note.
            kwargs["avertissement"] = _non_acceptees(synthese)
        return super().get_context_data(
            title=f"{self.titre} — {synthese.region.nom}",
            breadcrumb=_fil(self.request.user, synthese.campagne, synthese),
            intro=f"Note de synthèse {synthese.region.nom} — {synthese.campagne.nom}, état : "
            f"{synthese.get_etat_display().lower()}.",
            consequence=self.consequence,
            bouton=self.titre,
            annuler_url=_suivant(self.request, reverse("syntheses:synthese", args=[synthese.pk])),
            suivant=_suivant(self.request, ""),
            **kwargs,
        )


def _confirmations_note(synthese):
    """Titre et conséquence de chaque action sur la note (fenêtres de confirmation des pages de la note)."""
    return {
        "confirmations": {
            action: (titre, consequence)
            for action, (_, _, _, titre, consequence) in SyntheseTransitionView.actions.items()
        },
        "avertissement_validation": _non_acceptees(synthese) if synthese.is_modifiable else "",
    }


def _non_acceptees(synthese):
    """Les sections soumises que la région n'a pas marquées « acceptée » dans la vue de lecture."""
    noms = list(
        synthese.sections.filter(etat=EtatSection.SOUMISE, dispensee=False)
        .exclude(lecture=LectureSection.ACCEPTEE)
        .order_by("departement__code")
        .values_list("departement__nom", flat=True)
    )
    if not noms:
        return ""
    n = len(noms)
    return (
        f"{compte(n, 'section')} {pluriel(n, 'soumise')} pas encore {pluriel(n, 'marquée')} « acceptée » dans "
        f"la lecture de la note : {', '.join(noms)}."
    )


class SyntheseLectureView(DetailView):
    """Toute la note sur une page, pour la région : la vue d'ensemble à côté des chiffres de la région, puis
    chaque section avec son état, ses communes en difficulté, ses chiffres, la marque « lue / acceptée » et un
    commentaire. Le national la lit sans les formulaires."""

    template_name = "syntheses/synthese_lecture.html"
    context_object_name = "synthese"

    def get_object(self, queryset=None):
        synthese = _synthese(self.request.user, self.kwargs["pk"])
        if not synthese.can_generate(self.request.user):
            raise PermissionDenied("La lecture de toute la note est réservée à la région et au national.")
        return synthese

    def get_context_data(self, **kwargs):
        user, synthese = self.request.user, self.object
        chiffres = synthese_chiffres(synthese)
        commentaires = dict(
            Commentaire.objects.for_user(user)
            .filter(section__synthese=synthese)
            .values_list("section_id")
            .annotate(n=Count("pk"))
        )
        modifiable = synthese.can_consolidate(user) and synthese.is_modifiable
        parties = parties_note(chiffres)
        for partie in parties:
            section = partie["section"]
            partie["commentaires_count"] = commentaires.get(section.pk, 0)
            partie["peut_marquer"] = (
                modifiable and section.etat == EtatSection.SOUMISE and not section.dispensee
            )
        acceptees = sum(1 for p in parties if p["section"].lecture == LectureSection.ACCEPTEE)
        lecture_url = reverse("syntheses:lecture", args=[synthese.pk])
        return super().get_context_data(
            title=f"Lecture de la note — {synthese.region.nom}",
            breadcrumb=_fil(user, synthese.campagne, synthese),
            chiffres=chiffres,
            parties=parties,
            acceptees_count=acceptees,
            can_consolidate=synthese.can_consolidate(user),
            modifiable=modifiable,
            vue_ensemble_form=forms.VueEnsembleForm(instance=synthese) if modifiable else None,
            lecture_form=forms.LectureForm(),
            lecture_url=lecture_url,
            consequence_renvoi=CONSEQUENCES_SECTION["renvoyer"],
            **(_confirmations_note(synthese) if synthese.can_consolidate(user) else {}),
            **kwargs,
        )


class SectionLectureView(FormView):
    """La marque « lue / acceptée » d'une section, posée depuis la vue de lecture (POST) ; on revient à la
    section dans la vue de lecture."""

    form_class = forms.LectureForm
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.section = _section(request.user, kwargs["pk"])
        if not self.section.synthese.can_consolidate(request.user):
            raise PermissionDenied("Seuls les agents de la région marquent la lecture d’une section.")
        return super().dispatch(request, *args, **kwargs)

    def _retour(self):
        lecture = reverse("syntheses:lecture", args=[self.section.synthese_id])
        return redirect(f"{lecture}#section-{self.section.departement_id}")

    def form_valid(self, form):
        try:
            services.section_lecture_marquer(
                section=self.section, user=self.request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _erreur(self.request, exc)
        else:
            libelle = (
                "acceptée pour la note" if form.cleaned_data["lecture"] == LectureSection.ACCEPTEE else "lue"
            )
            messages.success(self.request, f"Section {self.section.departement.nom} marquée comme {libelle}.")
        return self._retour()

    def form_invalid(self, form):
        for erreurs in form.errors.values():
            for erreur in erreurs:
                messages.error(self.request, f"{self.section.departement.nom} : {erreur}")
        return self._retour()


# --- Sections départementales ----------------------------------------------------------------------


def _section(user, pk):
    return get_object_or_404(
        SectionDepartementale.objects.for_user(user).select_related(
            "synthese__campagne", "synthese__region", "departement", "soumise_par", "risques_confirmes_par"
        ),
        pk=pk,
    )


def _justification_saisie(commune):
    """La justification qu'une personne a écrite sur la fiche de la commune (décision « en difficulté »), ou
    rien : le texte d'une suggestion du suivi n'est jamais proposé comme justification."""
    territoire = commune.territoire
    if (
        territoire
        and territoire.risque_decision == DecisionRisque.A_RISQUE
        and territoire.risque_justification.strip()
    ):
        return territoire.risque_justification
    return ""


class SectionDetailView(DetailView):
    template_name = "syntheses/section_detail.html"
    context_object_name = "section"

    def get_object(self, queryset=None):
        return _section(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user, section = self.request.user, self.object
        synthese = section.synthese
        retenues = section.communes_risque.select_related("commune").order_by(alphabetique("commune__nom"))
        signalees = (
            CommunePvd.objects.pvd()
            .filter(departement=section.departement)
            .with_suivi()
            .filter(is_risque=True)
            .order_by(alphabetique())
        )
        return super().get_context_data(
            title=f"{section.departement.nom} — {synthese.campagne.nom}",
            breadcrumb=_fil(user, synthese.campagne, synthese),
            synthese=synthese,
            campagne=synthese.campagne,
            retenues=retenues,
            signalees=signalees,
            can_edit=section.can_edit(user),
            can_consolidate=synthese.can_consolidate(user) and synthese.is_modifiable,
            echeance_depassee=synthese.campagne.date_echeance < timezone.localdate(),
            transitions=section.transitions.select_related("user", "section__departement")[:30],
            consequences=CONSEQUENCES_SECTION,
            **kwargs,
        )


class SectionModifiableMixin:
    """La section de l'URL, modifiable par ce compte dans son état actuel (sinon 403 ; hors territoire 404)."""

    def dispatch(self, request, *args, **kwargs):
        self.section = _section(request.user, kwargs["pk"])
        if not self.section.can_edit(request.user):
            raise PermissionDenied(
                "Cette section ne peut pas être modifiée par votre compte dans son état actuel."
            )
        return super().dispatch(request, *args, **kwargs)


class SectionEditView(SectionModifiableMixin, FormView):
    form_class = forms.SectionForm
    template_name = "syntheses/section_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.section}

    def form_valid(self, form):
        try:
            services.section_enregistrer(section=self.section, user=self.request.user, **form.cleaned_data)
        except ConflitEdition as conflit:
            form.add_error(
                None,
                "Quelqu’un a enregistré cette section pendant votre saisie : vos textes n’ont pas été "
                "enregistrés. Ils sont toujours ci-dessous ; le texte enregistré entre-temps est affiché pour "
                "comparaison. Enregistrez à nouveau pour le remplacer.",
            )
            data = form.data.copy()
            data["version"] = conflit.actuel.version
            form.data = data
            return self.render_to_response(self.get_context_data(form=form, actuelle=conflit.actuel))
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Section enregistrée.")
        return redirect("syntheses:section", pk=self.section.pk)

    def get_context_data(self, **kwargs):
        synthese = self.section.synthese
        return super().get_context_data(
            title=f"Rédiger la section — {self.section.departement.nom}",
            breadcrumb=_fil(self.request.user, synthese.campagne, synthese)
            + [(self.section.departement.nom, reverse("syntheses:section", args=[self.section.pk]))],
            section=self.section,
            questions=synthese.campagne.questions_list,
            annuler_url=reverse("syntheses:section", args=[self.section.pk]),
            **kwargs,
        )


class SectionRisquesView(SectionModifiableMixin, FormView):
    form_class = forms.RisquesForm
    template_name = "syntheses/section_risques.html"

    def get_form_kwargs(self):
        section = self.section
        retenues = (
            {r.commune_id: r.justification for r in section.communes_risque.all()}
            if section.risques_confirmes_le
            else None
        )
        communes = CommunePvd.objects.pvd().filter(departement=section.departement)
        candidates = list(
            communes.with_suivi()
            .filter(Q(is_risque=True) | Q(is_risque_suggere=True) | Q(code_insee__in=list(retenues or {})))
            .select_related("territoire")
            .order_by("-is_risque", alphabetique())
        )
        autres = communes.exclude(code_insee__in=[c.code_insee for c in candidates]).order_by(alphabetique())
        return {
            **super().get_form_kwargs(),
            "candidates": candidates,
            "autres": autres,
            "retenues": retenues,
            "suggestions": {c.code_insee: j for c in candidates if (j := _justification_saisie(c))},
        }

    def form_valid(self, form):
        try:
            services.section_risques_confirmer(
                section=self.section, user=self.request.user, communes=form.cleaned_data["communes"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Liste des communes en difficulté confirmée.")
        return redirect("syntheses:section", pk=self.section.pk)

    def get_context_data(self, **kwargs):
        synthese = self.section.synthese
        form = kwargs.get("form") or self.get_form()
        return super().get_context_data(
            title=f"Communes en difficulté — {self.section.departement.nom}",
            breadcrumb=_fil(self.request.user, synthese.campagne, synthese)
            + [(self.section.departement.nom, reverse("syntheses:section", args=[self.section.pk]))],
            section=self.section,
            campagne=synthese.campagne,
            raisons={c.code_insee: raisons_suggestion(c) for c in form.candidates},
            annuler_url=reverse("syntheses:section", args=[self.section.pk]),
            **kwargs,
        )


CONSEQUENCES_SECTION = {
    "soumettre": "Une fois soumise, la section ne se modifie plus, sauf si la région vous la renvoie.",
    "renvoyer": "Le département pourra de nouveau modifier sa section et devra la soumettre à nouveau.",
}


class SectionTransitionView(FormView):
    """Soumettre, renvoyer, dispenser, lever la dispense. Les actions avec saisie (renvoi, dispense)
    ont leur page ; les autres sont des boutons de la page de la section (POST seulement)."""

    template_name = "syntheses/formulaire.html"
    actions = {
        "soumettre": (
            forms.ConfirmationForm,
            services.section_soumettre,
            "Section soumise à la région.",
            "Soumettre la section à la région",
        ),
        "renvoyer": (
            forms.CommentaireForm,
            services.section_renvoyer,
            "Section renvoyée au département.",
            "Renvoyer la section au département",
        ),
        "dispenser": (
            forms.MotifForm,
            services.section_dispenser,
            "Section dispensée.",
            "Dispenser la section",
        ),
        "lever-dispense": (forms.ConfirmationForm, services.section_dispense_lever, "Dispense levée.", ""),
    }

    def dispatch(self, request, *args, **kwargs):
        self.section = _section(request.user, kwargs["pk"])
        self.form_class, self.service, self.succes, self.titre = self.actions[kwargs["action"]]
        user = request.user
        if kwargs["action"] == "soumettre":
            if not agent_du_departement(user, self.section.departement_id):
                raise PermissionDenied("Seuls les agents du département soumettent sa section.")
        elif not self.section.synthese.can_consolidate(user):
            raise PermissionDenied("Seuls les agents de la région renvoient ou dispensent une section.")
        if not self.titre and request.method != "POST":
            return redirect("syntheses:section", pk=self.section.pk)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            self.service(section=self.section, user=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            if self.titre:
                form.add_error(None, exc)
                return self.form_invalid(form)
            _erreur(self.request, exc)
        else:
            messages.success(self.request, self.succes)
        return redirect(_suivant(self.request, reverse("syntheses:section", args=[self.section.pk])))

    def get_context_data(self, **kwargs):
        synthese = self.section.synthese
        return super().get_context_data(
            title=f"{self.titre} — {self.section.departement.nom}",
            breadcrumb=_fil(self.request.user, synthese.campagne, synthese)
            + [(self.section.departement.nom, reverse("syntheses:section", args=[self.section.pk]))],
            intro=f"Section {self.section.departement.nom} ({self.section.departement.code}), état : "
            f"{self.section.etat_affiche.lower()}.",
            consequence=CONSEQUENCES_SECTION.get(self.kwargs["action"], ""),
            bouton=self.titre,
            annuler_url=_suivant(self.request, reverse("syntheses:section", args=[self.section.pk])),
            suivant=_suivant(self.request, ""),
            **kwargs,
        )


# --- Génération du PDF -----------------------------------------------------------------------------


class GenerationCreateView(FormView):
    form_class = forms.ConfirmationForm
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.synthese = _synthese(request.user, kwargs["pk"])
        if not self.synthese.can_generate(request.user):
            raise PermissionDenied("Seuls la région et le niveau national produisent le PDF de la note.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        generation = generation_demander(synthese=self.synthese, user=self.request.user)
        if generation.etat == EtatGeneration.UNSENT:
            messages.warning(self.request, MESSAGE_BROKER_INDISPONIBLE)
        else:
            messages.info(self.request, f"Génération du PDF : {generation.get_etat_display().lower()}.")
        return redirect(reverse("syntheses:synthese", args=[self.synthese.pk]) + "#pdf")


def _generation_json(generation):
    return {
        "id": generation.pk,
        "etat": generation.etat,
        "etat_label": generation.get_etat_display(),
        "progression": generation.progression,
        "etape": generation.etape,
        "erreur": generation.erreur,
        "tentatives": generation.tentatives,
        "termine": generation.etat in (EtatGeneration.DONE, EtatGeneration.FAILED),
        "version": generation.version.numero if generation.version_id else None,
        "telechargement": reverse("syntheses:version", args=[generation.version_id])
        if generation.version_id
        else None,
    }


class GenerationEtatView(View):
    """État d'un job, en JSON, lu par static/js/generation.js."""

    def get(self, request, pk):
        generation = get_object_or_404(
            Generation.objects.for_user(request.user).select_related("version"), pk=pk
        )
        return JsonResponse(_generation_json(generation))


class GenerationRelancerView(FormView):
    form_class = forms.ConfirmationForm
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.generation = get_object_or_404(
            Generation.objects.for_user(request.user).select_related("synthese"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            relance = generation_relancer(generation=self.generation, user=self.request.user)
        except ValidationError as exc:
            _erreur(self.request, exc)
        else:
            if relance.etat == EtatGeneration.UNSENT:
                messages.warning(self.request, MESSAGE_BROKER_INDISPONIBLE)
            else:
                messages.info(self.request, "Génération relancée.")
        suivante = reverse("syntheses:synthese", args=[self.generation.synthese_id]) + "#pdf"
        if self.generation.lot_id:
            suivante = reverse("syntheses:lot", args=[self.generation.lot_id])
        return redirect(suivante)


class VersionDownloadView(View):
    def get(self, request, pk):
        version = get_object_or_404(
            VersionPdf.objects.filter(synthese__in=Synthese.objects.for_user(request.user)).select_related(
                "synthese__campagne", "synthese__region"
            ),
            pk=pk,
        )
        if not version.synthese.can_generate(request.user):
            raise Http404
        return FileResponse(
            version.fichier.open("rb"),
            as_attachment=True,
            filename=version.nom_fichier,
            content_type="application/pdf",
        )


# --- Toutes les régions (national) -----------------------------------------------------------------


class LotCreateView(FormView):
    form_class = forms.ConfirmationForm
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.campagne = get_object_or_404(Campagne.objects.for_user(request.user), pk=kwargs["pk"])
        if not request.user.sees_everything:
            raise PermissionDenied("Seul le niveau national produit les notes de toutes les régions.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        lot = lot_demander(campagne=self.campagne, user=self.request.user)
        if lot.generations.filter(etat=EtatGeneration.UNSENT).exists():
            messages.warning(self.request, MESSAGE_BROKER_INDISPONIBLE)
        return redirect("syntheses:lot", pk=lot.pk)


def _lot(user, pk):
    if not user.sees_everything:
        raise Http404
    return get_object_or_404(Lot.objects.select_related("campagne"), pk=pk)


def _lot_generations(lot):
    return list(
        Generation.objects.filter(lot=lot)
        .select_related("synthese__region", "version")
        .order_by("synthese__region__nom")
    )


def _lot_resume(generations):
    total = len(generations)
    termines = sum(1 for g in generations if g.etat == EtatGeneration.DONE)
    echecs = sum(1 for g in generations if g.etat == EtatGeneration.FAILED)
    actifs = sum(1 for g in generations if g.etat in ETATS_GENERATION_ACTIFS)
    progression = round(sum(g.progression for g in generations) / total) if total else 0
    return {
        "total": total,
        "termines": termines,
        "echecs": echecs,
        "actifs": actifs,
        "progression": progression,
        "termine": actifs == 0,
        "complet": total > 0 and termines == total,
    }


class LotDetailView(DetailView):
    template_name = "syntheses/lot_detail.html"
    context_object_name = "lot"

    def get_object(self, queryset=None):
        return _lot(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        generations = _lot_generations(self.object)
        return super().get_context_data(
            title=f"Notes de toutes les régions — {self.object.campagne.nom}",
            breadcrumb=_fil(self.request.user, self.object.campagne),
            generations=generations,
            resume=(resume := _lot_resume(generations)),
            rafraichir=not resume["termine"],
            **kwargs,
        )


class LotEtatView(View):
    def get(self, request, pk):
        lot = _lot(request.user, pk)
        generations = _lot_generations(lot)
        return JsonResponse(
            {
                **_lot_resume(generations),
                "generations": [
                    {**_generation_json(g), "region": g.synthese.region.nom} for g in generations
                ],
            }
        )


class LotZipView(View):
    """Les PDF des notes du lot dans un seul ZIP (quand toutes les générations sont terminées)."""

    def get(self, request, pk):
        lot = _lot(request.user, pk)
        generations = _lot_generations(lot)
        if not _lot_resume(generations)["complet"]:
            messages.error(request, "Le ZIP est disponible quand toutes les notes ont été produites.")
            return redirect("syntheses:lot", pk=lot.pk)
        tampon = io.BytesIO()
        with zipfile.ZipFile(tampon, "w", compression=zipfile.ZIP_STORED) as archive:
            for generation in generations:
                version = generation.version
                with version.fichier.open("rb") as fichier:
                    archive.writestr(
                        f"{generation.synthese.region_id}-{generation.synthese.region.nom}.pdf",
                        fichier.read(),
                    )
        reponse = HttpResponse(tampon.getvalue(), content_type="application/zip")
        nom = f"notes-de-synthese-{slugify(lot.campagne.nom)}"
        reponse["Content-Disposition"] = f'attachment; filename="{nom}.zip"'
        return reponse
