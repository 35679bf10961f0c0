"""API en lecture seule des indicateurs publics PVD, pour les systèmes partenaires (jeton) et les agents
connectés (session, limités à leur territoire). Toutes les requêtes partent de for_user(request.user) :
un jeton partenaire voit toute la France, un agent son territoire ; hors territoire → 404."""

from django.db.models import Case, IntegerField, Value, When
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, generics
from rest_framework.negotiation import BaseContentNegotiation

from api.authentication import MESSAGE_NON_AUTHENTIFIE
from api.exports import COLONNES_OPEN_DATA, open_data_exporter
from api.filters import (
    CODE_DEPARTEMENT,
    CODE_INSEE,
    CODE_REGION,
    SIREN,
    CommuneApiFilter,
    DepartementApiFilter,
    RegionApiFilter,
)
from api.serializers import CommuneSerializer, DepartementSerializer, RegionSerializer
from api.throttling import DebitApi
from communes.models import CommunePvd
from tableau.indicateurs import Chiffres, chiffres_departements
from territoires.models import Departement, Region

ERREUR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "Message d’erreur en français."}},
    "required": ["detail"],
}
ERREURS_DE_SAISIE = {
    "type": "object",
    "description": "Paramètre → liste de messages d’erreur en français.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
REPONSES_ERREUR = {
    401: OpenApiResponse(ERREUR, description="Jeton absent, invalide ou révoqué (et pas de session)."),
    429: OpenApiResponse(ERREUR, description="Trop de requêtes : réessayer après le délai de Retry-After."),
}
REPONSES_LISTE = {
    **REPONSES_ERREUR,
    400: OpenApiResponse(ERREURS_DE_SAISIE, description="Filtre, tri ou pagination invalide."),
    404: OpenApiResponse(ERREUR, description="Page au-delà de la dernière."),
}
REPONSES_DETAIL = {
    **REPONSES_ERREUR,
    404: OpenApiResponse(ERREUR, description="Inconnu ou hors de votre territoire."),
}


def _code(nom, motif, description, lieu=OpenApiParameter.PATH):
    return OpenApiParameter(nom, str, lieu, description=description, pattern=motif)


FILTRE_REGION = _code("region", CODE_REGION, "Code INSEE de la région (ex. 53).", OpenApiParameter.QUERY)
FILTRES_COMMUNES = [
    _code(
        "departement",
        CODE_DEPARTEMENT,
        "Code INSEE du département (ex. 35, 2A, 971).",
        OpenApiParameter.QUERY,
    ),
    FILTRE_REGION,
    _code("epci", SIREN, "SIREN de l’EPCI (9 chiffres).", OpenApiParameter.QUERY),
]


class JsonSeulement(BaseContentNegotiation):
    """Réponses toujours en JSON (erreurs comprises), quel que soit l'en-tête Accept."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiMixin:
    throttle_classes = [DebitApi]
    content_negotiation_class = JsonSeulement

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated(MESSAGE_NON_AUTHENTIFIE)
        super().permission_denied(request, message=message, code=code)

    def throttled(self, request, wait):
        attente = f" : réessayez dans {int(wait) + 1} s" if wait is not None else ""
        raise exceptions.Throttled(wait, detail=f"Trop de requêtes{attente}.")


def _communes(request):
    return (
        CommunePvd.objects.for_user(request.user)
        .pvd()
        .with_territoire()
        .with_suivi_public()
        .order_by("code_insee")
    )


@extend_schema_view(
    get=extend_schema(
        tags=["communes"],
        summary="Indicateurs publics des communes PVD",
        description="Une ligne par commune PVD, paginée ; filtres par département, région, EPCI et phase ; "
        "tri par le paramètre `tri`.",
        parameters=FILTRES_COMMUNES,
        responses={200: CommuneSerializer(many=True), **REPONSES_LISTE},
    )
)
class CommuneListView(ApiMixin, generics.ListAPIView):
    serializer_class = CommuneSerializer
    filterset_class = CommuneApiFilter

    def get_queryset(self):
        return _communes(self.request)


@extend_schema_view(
    get=extend_schema(
        tags=["communes"],
        summary="Indicateurs publics d’une commune PVD",
        parameters=[_code("code_insee", CODE_INSEE, "Code INSEE de la commune (ex. 35012).")],
        responses={200: CommuneSerializer, **REPONSES_DETAIL},
    )
)
class CommuneDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = CommuneSerializer
    lookup_field = "code_insee"

    def get_queryset(self):
        return _communes(self.request)


@extend_schema_view(
    get=extend_schema(
        tags=["open data"],
        summary="Export open data (CSV) des communes PVD",
        operation_id="communes_csv",
        parameters=FILTRES_COMMUNES,
        description="CSV UTF-8, séparateur virgule, sans pagination ; mêmes filtres et tri que la liste des "
        "communes. Colonnes : "
        + ", ".join(f"`{nom}`" for nom, _ in COLONNES_OPEN_DATA)
        + ". Les dix premières sont celles du jeu de données officiel de l’ANCT « Programme Petites villes "
        "de demain » ; dates AAAA-MM-JJ, booléens true/false, montants en euros avec un point décimal.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Fichier CSV."),
            400: OpenApiResponse(ERREURS_DE_SAISIE, description="Filtre ou tri invalide."),
            **REPONSES_ERREUR,
        },
    )
)
class OpenDataCsvView(ApiMixin, generics.GenericAPIView):
    filterset_class = CommuneApiFilter
    pagination_class = None

    def get_queryset(self):
        return _communes(self.request)

    def get(self, request, *args, **kwargs):
        return open_data_exporter(queryset=self.filter_queryset(self.get_queryset()))


def _par_compte(**valeurs):
    """Annotations de tri (communes PVD, communes en phase opérationnelle) lues dans les Chiffres déjà
    calculés : {nom: {clé primaire: nombre}} → CASE WHEN pk = … THEN … ; la base trie et pagine."""
    return {
        nom: Case(
            *[When(pk=cle, then=Value(n)) for cle, n in par_cle.items()],
            default=Value(0),
            output_field=IntegerField(),
        )
        for nom, par_cle in valeurs.items()
    }


class AgregatsMixin(ApiMixin):
    """Départements et régions avec les Chiffres du moteur d'indicateurs (tableau.indicateurs), ceux du site."""

    def chiffres(self):
        raise NotImplementedError

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "chiffres": self.chiffres()}

    def avec_tri(self, queryset):
        chiffres = self.chiffres()
        return queryset.annotate(
            **_par_compte(
                communes_pvd_count={cle: c.communes for cle, c in chiffres.items()},
                operationnelles_count={cle: c.operationnelle for cle, c in chiffres.items()},
            )
        )


class DepartementsMixin(AgregatsMixin):
    def chiffres(self):
        if not hasattr(self, "_chiffres"):
            codes = Departement.objects.for_user(self.request.user).values_list("code", flat=True)
            self._chiffres = chiffres_departements(list(codes))
        return self._chiffres

    def get_queryset(self):
        qs = Departement.objects.for_user(self.request.user).select_related("region").order_by("code")
        return self.avec_tri(qs)


class RegionsMixin(AgregatsMixin):
    # Les régions visibles (for_user) ; leurs comptes portent, comme sur le site, sur toute la région.
    def chiffres(self):
        if not hasattr(self, "_chiffres"):
            regions = Region.objects.for_user(self.request.user).values("pk")
            departements = list(
                Departement.objects.filter(region__in=regions).values_list("code", "region_id")
            )
            par_departement = chiffres_departements([code for code, _ in departements])
            self._chiffres = {}
            for code, region in departements:
                self._chiffres.setdefault(region, Chiffres()).ajouter(par_departement[code])
            for region in Region.objects.filter(pk__in=regions).values_list("pk", flat=True):
                self._chiffres.setdefault(region, Chiffres())
        return self._chiffres

    def get_queryset(self):
        visibles = Region.objects.for_user(self.request.user).values("pk")
        return self.avec_tri(Region.objects.filter(pk__in=visibles).order_by("code"))


@extend_schema_view(
    get=extend_schema(
        tags=["départements"],
        summary="Indicateurs agrégés par département",
        description="Comptes de communes PVD du département (adhésion signée, convention-cadre signée, "
        "valant ORT, inscrite au CRTE, phase opérationnelle) et leur part en %.",
        parameters=[FILTRE_REGION],
        responses={200: DepartementSerializer(many=True), **REPONSES_LISTE},
    )
)
class DepartementListView(DepartementsMixin, generics.ListAPIView):
    serializer_class = DepartementSerializer
    filterset_class = DepartementApiFilter


@extend_schema_view(
    get=extend_schema(
        tags=["départements"],
        summary="Indicateurs agrégés d’un département",
        parameters=[_code("code", CODE_DEPARTEMENT, "Code INSEE du département (ex. 35, 2A, 971).")],
        responses={200: DepartementSerializer, **REPONSES_DETAIL},
    )
)
class DepartementDetailView(DepartementsMixin, generics.RetrieveAPIView):
    serializer_class = DepartementSerializer
    lookup_field = "code"


@extend_schema_view(
    get=extend_schema(
        tags=["régions"],
        summary="Indicateurs agrégés par région",
        responses={200: RegionSerializer(many=True), **REPONSES_LISTE},
    )
)
class RegionListView(RegionsMixin, generics.ListAPIView):
    serializer_class = RegionSerializer
    filterset_class = RegionApiFilter


@extend_schema_view(
    get=extend_schema(
        tags=["régions"],
        summary="Indicateurs agrégés d’une région",
        parameters=[_code("code", CODE_REGION, "Code INSEE de la région (ex. 53).")],
        responses={200: RegionSerializer, **REPONSES_DETAIL},
    )
)
class RegionDetailView(RegionsMixin, generics.RetrieveAPIView):
    serializer_class = RegionSerializer
    lookup_field = "code"


class DocumentationView(SpectacularSwaggerSplitView):
    """Swagger UI servi par l'application (ressources drf-spectacular-sidecar) ; script d'initialisation
    et feuille de style en fichiers : compatible avec la Content-Security-Policy stricte."""

    plan_du_site = "Documentation de l’API"
    plan_du_site_roles = "public"

    template_name = "api/documentation.html"
    title = "API PVD Suivi — documentation"
    url_name = "api:schema"


def introuvable(request, *args, **kwargs):
    """Toute adresse inconnue sous /api/ : 404 en JSON (et non la page HTML du site)."""
    return JsonResponse({"detail": "Adresse inconnue dans l’API. Voir /api/v1/schema/."}, status=404)
