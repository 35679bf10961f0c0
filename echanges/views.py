from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from echanges import services
from echanges.a_faire import taches
from echanges.fichiers import EXTENSIONS
from echanges.forms import (
    CommentaireForm,
    CommentaireModifierForm,
    FiltreNotificationsForm,
    NouvelleVersionForm,
    PieceJointeForm,
    PreferencesNotificationForm,
)
from echanges.models import Commentaire, Notification, PieceJointe, VersionPiece
from echanges.quoi_de_neuf import CATEGORIES, changements_depuis, depuis_derniere_visite
from echanges.services import lecteurs_commentaire
from syntheses.models import SectionDepartementale
from territoires.models import Commune

# --- Notifications ----------------------------------------------------------------------------------


class NotificationListView(ListView):
    """Mes notifications, les plus récentes d'abord ; filtre lues / non lues."""

    plan_du_site = "Mes notifications"
    template_name = "echanges/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        self.filtre = FiltreNotificationsForm(self.request.GET or None)
        queryset = Notification.objects.for_user(self.request.user).select_related("commentaire")
        etat = self.filtre.cleaned_data.get("etat") if self.filtre.is_valid() else ""
        if etat == "non_lues":
            queryset = queryset.filter(lue_le__isnull=True)
        elif etat == "lues":
            queryset = queryset.filter(lue_le__isnull=False)
        return queryset.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        contexte = super().get_context_data(title="Mes notifications", filtre=self.filtre, **kwargs)
        # Un compte qui a changé de territoire ou de rôle ne lit plus l'extrait d'un commentaire qui ne lui
        # est plus visible (une requête pour la page).
        ids = [n.commentaire_id for n in contexte["notifications"] if n.commentaire_id]
        lisibles = set(
            Commentaire.objects.for_user(self.request.user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        for n in contexte["notifications"]:
            n.texte_visible = n.commentaire_id is None or n.commentaire_id in lisibles
        return contexte


class NotificationOuvrirView(View):
    """Ouvrir une notification : elle est marquée lue, puis on va à ce dont elle parle."""

    def get(self, request, pk):
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        services.notification_marquer_lue(notification=notification, user=request.user)
        url = notification.url
        if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            url = reverse("echanges:notifications")
        return HttpResponseRedirect(url)


class NotificationLueView(View):
    """Marquer une notification lue (POST, depuis la liste)."""

    def post(self, request, pk):
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        services.notification_marquer_lue(notification=notification, user=request.user)
        return redirect(_retour(request))


class NotificationsToutLireView(View):
    def post(self, request):
        nombre = services.notifications_tout_lire(user=request.user)
        messages.success(
            request,
            f"{nombre} notification{'s' if nombre > 1 else ''} marquée{'s' if nombre > 1 else ''} comme lue{'s' if nombre > 1 else ''}."
            if nombre
            else "Aucune notification non lue.",
        )
        return redirect(_retour(request))


def _retour(request):
    suite = request.POST.get("suite") or ""
    if suite and url_has_allowed_host_and_scheme(suite, allowed_hosts={request.get_host()}):
        return suite
    return reverse("echanges:notifications")


class PreferencesNotificationView(FormView):
    """Préférences d'envoi par type de notification (formulaire affiché sur « Mon compte »)."""

    form_class = PreferencesNotificationForm
    template_name = "echanges/preferences.html"
    extra_context = {"title": "Mes notifications par e-mail"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "initial_frequences": services.preferences_de(self.request.user)}

    def form_valid(self, form):
        services.preferences_notification_enregistrer(user=self.request.user, frequences=form.cleaned_data)
        messages.success(self.request, "Préférences de notification enregistrées.")
        return HttpResponseRedirect(reverse("compte") + "#notifications")


# --- Commentaires -----------------------------------------------------------------------------------


def section_visible(user, pk):
    return get_object_or_404(
        SectionDepartementale.objects.for_user(user).select_related("synthese__campagne", "departement"),
        pk=pk,
    )


def commune_visible(user, code_insee):
    return get_object_or_404(
        Commune.objects.for_user(user).pvd_et_sorties().select_related("departement"), code_insee=code_insee
    )


def fil_contexte(user, *, section=None, commune=None, form=None):
    """Ce que le fil d'un objet montre à `user` : les commentaires qu'il peut lire (avec leurs versions
    antérieures), le formulaire, les personnes qu'il peut mentionner."""
    commentaires = list(
        Commentaire.objects.for_user(user).du_fil(section=section, commune=commune).select_related("auteur")
    )
    # Versions antérieures (historique simple_history), en une requête pour tout le fil.
    anterieures = defaultdict(list)
    historiques = Commentaire.history.filter(id__in=[c.pk for c in commentaires]).order_by("history_date")
    for h in historiques:
        anterieures[h.id].append(h)
    for c in commentaires:
        c.versions_anterieures = [h for h in anterieures[c.pk] if h.texte != c.texte]
        c.is_modifiable = c.can_edit(user)
    objet = section or commune
    departement = objet.departement
    if form is None:
        form = CommentaireForm(user=user, lecteurs=lambda v: None)

    mentionnables = (
        lecteurs_commentaire(departement=departement, visibilite="tous")
        .exclude(pk=user.pk)
        .order_by("last_name", "first_name", "username")
    )
    return {
        "commentaires": commentaires,
        "form_commentaire": form,
        "fil_url": reverse("echanges:fil_section", args=[section.pk])
        if section
        else reverse("echanges:fil_commune", args=[commune.code_insee]),
        "mentionnables": mentionnables,
    }


class FilMixin:
    """Fil de commentaires d'une section (pk) ou d'une fiche commune (code_insee) : l'objet vient de
    for_user (hors territoire : 404). GET : le fil seul ; POST : publier."""

    template_name = "echanges/fil.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        self.section = section_visible(user, kwargs["pk"]) if "pk" in kwargs else None
        self.commune = commune_visible(user, kwargs["code_insee"]) if "code_insee" in kwargs else None
        return super().dispatch(request, *args, **kwargs)

    @property
    def objet_url(self):
        if self.section:
            return reverse("syntheses:section", args=[self.section.pk])
        return reverse("communes:detail", args=[self.commune.code_insee])

    def get_form_kwargs(self):

        departement = (self.section or self.commune).departement
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "lecteurs": lambda v: lecteurs_commentaire(departement=departement, visibilite=v),
        }

    def get_context_data(self, **kwargs):
        objet = self.section or self.commune
        titre = (
            f"Discussion — section {objet.departement.nom}" if self.section else f"Discussion — {objet.nom}"
        )
        contexte = fil_contexte(
            self.request.user, section=self.section, commune=self.commune, form=kwargs.pop("form", None)
        )
        return super().get_context_data(title=titre, objet_url=self.objet_url, **contexte, **kwargs)

    def form_valid(self, form):
        try:
            commentaire = services.commentaire_publier(
                auteur=self.request.user,
                texte=form.cleaned_data["texte"],
                visibilite=form.cleaned_data["visibilite"],
                mentionnes=form.cleaned_data["mentionnes"],
                section=self.section,
                commune=self.commune,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, "Commentaire publié.")
        return HttpResponseRedirect(f"{self.objet_url}#commentaire-{commentaire.pk}")


class FilView(FilMixin, FormView):
    form_class = CommentaireForm


class CommentaireModifierView(FormView):
    """Modifier son commentaire pendant 15 minutes (403 après, ou pour un autre ; 404 s'il est invisible)."""

    form_class = CommentaireModifierForm
    template_name = "echanges/commentaire_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.commentaire = get_object_or_404(
            Commentaire.objects.for_user(request.user).select_related("section", "commune", "departement"),
            pk=kwargs["pk"],
        )
        if not self.commentaire.can_edit(request.user):
            raise PermissionDenied("Un commentaire se modifie par son auteur, dans les 15 minutes.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):

        c = self.commentaire
        return {
            **super().get_form_kwargs(),
            "instance": c,
            "user": self.request.user,
            "lecteurs": lambda v: lecteurs_commentaire(departement=c.departement, visibilite=v),
        }

    def objet_url(self):
        c = self.commentaire
        if c.section_id:
            return reverse("syntheses:section", args=[c.section_id]) + f"#commentaire-{c.pk}"
        return reverse("communes:detail", args=[c.commune_id]) + f"#commentaire-{c.pk}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Modifier mon commentaire", annuler_url=self.objet_url(), **kwargs
        )

    def form_valid(self, form):
        try:
            services.commentaire_modifier(
                commentaire=self.commentaire,
                user=self.request.user,
                texte=form.cleaned_data["texte"],
                mentionnes=form.cleaned_data["mentionnes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
            return self.form_invalid(form)
        messages.success(self.request, "Commentaire modifié.")
        return HttpResponseRedirect(self.objet_url())


# --- Pièces jointes ---------------------------------------------------------------------------------


def pieces_contexte(user, commune, *, form=None):
    pieces = list(
        PieceJointe.objects.for_user(user).filter(commune=commune).prefetch_related("versions__created_by")
    )
    territoire = commune.territoire
    return {
        "commune": commune,
        "pieces": pieces,
        "can_deposer": territoire is not None and territoire.can_edit(user),
        "form_piece": form or PieceJointeForm(),
        "form_version": NouvelleVersionForm(),
    }


class PiecesJointesView(FormView):
    """Pièces jointes d'une fiche commune : GET la liste ; POST un nouveau document (agents du département ;
    les autres qui voient la commune → 403 ; hors territoire → 404)."""

    form_class = PieceJointeForm
    template_name = "echanges/pieces.html"

    def dispatch(self, request, *args, **kwargs):
        self.commune = get_object_or_404(
            Commune.objects.for_user(request.user)
            .pvd_et_sorties()
            .select_related("departement", "territoire"),
            code_insee=kwargs["code_insee"],
        )
        if request.method == "POST" and not (
            self.commune.territoire is not None and self.commune.territoire.can_edit(request.user)
        ):
            raise PermissionDenied("Seuls les agents du département déposent les pièces de la commune.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None)
        return super().get_context_data(
            title=f"Pièces jointes — {self.commune.nom}",
            objet_url=reverse("communes:detail", args=[self.commune.code_insee]),
            **pieces_contexte(self.request.user, self.commune, form=form),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.piece_jointe_ajouter(
                commune=self.commune,
                user=self.request.user,
                type=form.cleaned_data["type"],
                titre=form.cleaned_data["titre"],
                fichier=form.cleaned_data["fichier"],
            )
        except ValidationError as exc:
            form.add_error("fichier", exc.messages[0])
            return self.form_invalid(form)
        messages.success(self.request, "Pièce jointe déposée.")
        return HttpResponseRedirect(
            reverse("communes:detail", args=[self.commune.code_insee]) + "#pieces-jointes"
        )


class PieceVersionView(FormView):
    """Nouvelle version d'une pièce (POST ; mêmes droits que le dépôt)."""

    form_class = NouvelleVersionForm
    template_name = "echanges/pieces.html"
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.piece = get_object_or_404(
            PieceJointe.objects.for_user(request.user).select_related(
                "commune__territoire", "commune__departement"
            ),
            pk=kwargs["pk"],
        )
        territoire = self.piece.commune.territoire
        if not (territoire is not None and territoire.can_edit(request.user)):
            raise PermissionDenied("Seuls les agents du département déposent les pièces de la commune.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        url = reverse("communes:detail", args=[self.piece.commune_id]) + "#pieces-jointes"
        try:
            version = services.piece_version_ajouter(
                piece=self.piece, user=self.request.user, fichier=form.cleaned_data["fichier"]
            )
        except ValidationError as exc:
            messages.error(self.request, exc.messages[0])
        else:
            messages.success(self.request, f"Version {version.numero} de « {self.piece.titre} » déposée.")
        return HttpResponseRedirect(url)

    def form_invalid(self, form):
        messages.error(self.request, "Choisissez un fichier.")
        return HttpResponseRedirect(
            reverse("communes:detail", args=[self.piece.commune_id]) + "#pieces-jointes"
        )


class VersionTelechargerView(View):
    """Télécharger une version, après le contrôle d'accès (hors territoire : 404)."""

    def get(self, request, pk):
        version = get_object_or_404(
            VersionPiece.objects.filter(piece__in=PieceJointe.objects.for_user(request.user)).select_related(
                "piece"
            ),
            pk=pk,
        )
        try:
            fichier = version.fichier.open("rb")
        except FileNotFoundError:
            raise Http404("Fichier introuvable.") from None

        nom = f"{version.piece.titre[:80]} (v{version.numero}).{EXTENSIONS.get(version.content_type, 'bin')}"
        reponse = FileResponse(fichier, as_attachment=True, filename=nom, content_type=version.content_type)
        reponse["X-Content-Type-Options"] = "nosniff"
        reponse["Cache-Control"] = "private, no-store"
        return reponse


# --- Ce qui a changé --------------------------------------------------------------------------------


class QuoiDeNeufView(TemplateView):
    """Ce qui a changé dans le territoire de l'utilisateur depuis sa visite précédente, par département."""

    plan_du_site = "Ce qui a changé depuis votre dernière visite"
    template_name = "echanges/quoi_de_neuf.html"

    def get_context_data(self, **kwargs):

        depuis = depuis_derniere_visite(self.request.user)
        return super().get_context_data(
            title="Ce qui a changé depuis votre dernière visite",
            depuis=depuis,
            departements=changements_depuis(self.request.user, depuis),
            categories=CATEGORIES,
            **kwargs,
        )


class AFaireView(TemplateView):
    """« À faire » : sections à rédiger ou à relire, notes à valider, communes en alerte, valeurs à
    confirmer, commentaires qui attendent une réponse."""

    plan_du_site = "À faire"
    template_name = "echanges/a_faire.html"

    def get_context_data(self, **kwargs):

        return super().get_context_data(title="À faire", taches=taches(self.request.user), **kwargs)
