"""« À faire » : la file de travail personnelle de chaque compte, avec des comptes ; quelques requêtes,
quel que soit le nombre d'objets (les listes sont bornées)."""

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse

from communes.models import CommunePvd, Convention, Ort
from comptes.constants import Role
from echanges.models import Commentaire
from syntheses.constants import ETATS_SECTION_MODIFIABLES, EtatSection, EtatSynthese
from syntheses.models import SectionDepartementale, Synthese

LIMITE = 20


@dataclass
class Tache:
    libelle: str
    nombre: int
    liens: list = field(default_factory=list)  # [(texte, url)]


def _liens(objets, texte, url):
    return [(texte(o), url(o)) for o in objets[:LIMITE]]


def commentaires_en_attente(user):
    """Commentaires lisibles qui mentionnent `user` et auxquels il n'a pas répondu depuis dans le même fil."""
    reponse = Commentaire.objects.filter(auteur=user, created_at__gt=OuterRef("created_at")).filter(
        Q(section_id=OuterRef("section_id")) | Q(commune_id=OuterRef("commune_id"))
    )
    return (
        Commentaire.objects.for_user(user)
        .filter(mentions=user)
        .exclude(Exists(reponse))
        .select_related("auteur", "section__departement", "commune")
        .order_by("-created_at")
    )


def taches(user):
    """[Tache] de `user` (celles qui ont au moins un objet)."""
    resultat = []
    sections = SectionDepartementale.objects.for_user(user).filter(
        synthese__etat=EtatSynthese.EN_REDACTION, dispensee=False
    )
    texte_section = lambda s: f"{s.departement.nom} — {s.synthese.campagne.nom}"  # noqa: E731
    url_section = lambda s: reverse("syntheses:section", args=[s.pk])  # noqa: E731
    if user.role == Role.DEPARTEMENTAL:
        a_rediger = list(
            sections.filter(etat__in=ETATS_SECTION_MODIFIABLES).select_related(
                "departement", "synthese__campagne"
            )
        )
        resultat.append(
            Tache(
                "Sections de la note à rédiger", len(a_rediger), _liens(a_rediger, texte_section, url_section)
            )
        )
        communes = CommunePvd.objects.for_user(user).pvd().with_suivi()
        alertes = list(communes.filter(is_retard_cadre=True).order_by("nom").values_list("code_insee", "nom"))
        resultat.append(
            Tache(
                "Communes en alerte (échéance des 18 mois dépassée sans convention-cadre)",
                len(alertes),
                [(nom, reverse("communes:detail", args=[code])) for code, nom in alertes[:LIMITE]],
            )
        )
        territoires_q = Q(territoire__departement_id=user.departement_id)
        a_confirmer = list(
            Convention.objects.filter(territoires_q, a_confirmer=True)
            .annotate(code=F("territoire__communes__code_insee"), nom=F("territoire__communes__nom"))
            .values_list("code", "nom")
            .distinct()
        ) + list(
            Ort.objects.filter(territoires_q, a_confirmer=True)
            .annotate(code=F("territoire__communes__code_insee"), nom=F("territoire__communes__nom"))
            .values_list("code", "nom")
            .distinct()
        )
        a_confirmer = sorted(set(a_confirmer), key=lambda x: x[1])
        resultat.append(
            Tache(
                "Communes avec une valeur des données officielles à confirmer",
                len(a_confirmer),
                [(nom, reverse("communes:detail", args=[code])) for code, nom in a_confirmer[:LIMITE]],
            )
        )
    if user.role == Role.REGIONAL:
        a_relire = list(
            sections.filter(etat=EtatSection.SOUMISE).select_related("departement", "synthese__campagne")
        )
        resultat.append(
            Tache("Sections soumises à relire", len(a_relire), _liens(a_relire, texte_section, url_section))
        )
        notes = list(
            Synthese.objects.for_user(user)
            .filter(etat__in=[EtatSynthese.EN_REDACTION, EtatSynthese.VALIDEE])
            .with_avancement()
            .select_related("campagne", "region")
        )
        a_valider = [
            n
            for n in notes
            if n.etat == EtatSynthese.EN_REDACTION and n.sections_pretes_count == n.sections_count
        ]
        a_transmettre = [n for n in notes if n.etat == EtatSynthese.VALIDEE]
        texte_note = lambda n: f"{n.region.nom} — {n.campagne.nom}"  # noqa: E731
        url_note = lambda n: reverse("syntheses:synthese", args=[n.pk])  # noqa: E731
        resultat.append(
            Tache("Notes prêtes à valider", len(a_valider), _liens(a_valider, texte_note, url_note))
        )
        resultat.append(
            Tache(
                "Notes validées à transmettre",
                len(a_transmettre),
                _liens(a_transmettre, texte_note, url_note),
            )
        )
    attente = list(commentaires_en_attente(user)[: LIMITE + 1])
    nombre = commentaires_en_attente(user).count() if len(attente) > LIMITE else len(attente)

    def texte_commentaire(c):
        sur = f"section {c.section.departement.nom}" if c.section_id else c.commune.nom
        return f"{c.auteur.get_full_name() or c.auteur.username} sur {sur}"

    def url_commentaire(c):
        base = (
            reverse("syntheses:section", args=[c.section_id])
            if c.section_id
            else reverse("communes:detail", args=[c.commune_id])
        )
        return f"{base}#commentaire-{c.pk}"

    resultat.append(
        Tache(
            "Commentaires qui attendent votre réponse",
            nombre,
            _liens(attente, texte_commentaire, url_commentaire),
        )
    )
    return resultat
