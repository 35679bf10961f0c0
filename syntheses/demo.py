"""Campagne 2023 de démonstration (make run) : ouverte si absente, deux sections bretonnes rédigées et soumises."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from communes.models import CommunePvd
from communes.querysets import raisons_suggestion
from comptes.models import User
from syntheses.constants import ActionTransition, EtatSection
from syntheses.models import Campagne, CommuneRisque, SectionDepartementale
from syntheses.services import campagne_creer, transition_tracer
from territoires.models import alphabetique

CAMPAGNE_DEMO = {
    "nom": "Campagne 2023",
    "date_echeance": date(2023, 6, 25),
    "date_limite_phase_operationnelle": date(2024, 1, 1),
    "destinataire": "Madame la ministre déléguée chargée des collectivités territoriales et de la ruralité",
    "reference_instruction": "Instruction du 6 juin 2023 relative au passage en phase opérationnelle des communes du "
    "programme Petites villes de demain",
    "questions": "\n".join(
        [
            "Quelle dynamique observez-vous dans le département pour le passage des communes PVD en phase "
            "opérationnelle ?",
            "Quels leviers produisent des effets (ingénierie, financements, animation du réseau, articulation "
            "avec le CRTE et le fonds vert) ?",
            "Quelles difficultés rencontrez-vous ?",
            "Quelles communes risquent de ne pas atteindre la phase opérationnelle avant le 1er janvier 2024, "
            "et pourquoi ?",
        ]
    ),
}

TEXTES_DEMO = {
    "dynamique": "Données de démonstration. Les conventions-cadres se signent à un rythme régulier depuis "
    "l’automne ; la plupart valent ORT. Les communes littorales avancent plus vite que celles du centre "
    "du département.",
    "leviers": "Données de démonstration. Le club départemental réunit élus et chefs de projet chaque "
    "trimestre ; l’appui en ingénierie de la Banque des Territoires et du Cerema accélère les études "
    "préalables ; le fonds vert finance la rénovation des bâtiments publics.",
    "difficultes": "Données de démonstration. Deux postes de chef de projet sont vacants ; l’inscription "
    "des conventions-cadres au CRTE prend du retard faute d’avenant au contrat.",
}


@transaction.atomic
def campagne_demo_creer(*, sections=True):
    """Campagne 2023 de démonstration (idempotent) : ouverte si absente ; en Bretagne (sauf sections=False,
    données officielles seulement), les sections des Côtes-d'Armor et du Finistère sont rédigées et soumises,
    pour montrer le travail de la région. Ne modifie jamais une section déjà travaillée."""

    national = User.objects.filter(username="demo-national").first()
    campagne = Campagne.objects.filter(nom=CAMPAGNE_DEMO["nom"]).first()
    creee = campagne is None
    if creee:
        campagne = campagne_creer(user=national, **CAMPAGNE_DEMO)
    if not sections:
        return campagne, creee
    sections = SectionDepartementale.objects.filter(
        synthese__campagne=campagne, departement_id__in=["22", "29"], etat=EtatSection.A_REDIGER, dynamique=""
    ).select_related("synthese")
    for section in sections:
        candidates = (
            CommunePvd.objects.pvd()
            .filter(departement_id=section.departement_id)
            .with_suivi()
            .filter(is_risque=True)
            .order_by(alphabetique())[:3]
        )
        CommuneRisque.objects.bulk_create(
            [
                CommuneRisque(
                    section=section,
                    commune=commune,
                    justification="Données de démonstration : "
                    + (" ; ".join(raisons_suggestion(commune)) or "commune jugée en difficulté sur sa fiche")
                    + ".",
                    is_suggere=commune.is_risque_suggere,
                )
                for commune in candidates
            ]
        )
        maintenant = timezone.now()
        for champ, texte in TEXTES_DEMO.items():
            setattr(section, champ, texte)
        section.etat = EtatSection.SOUMISE
        section.risques_confirmes_le = section.soumise_le = maintenant
        section.save()
        transition_tracer(
            synthese=section.synthese,
            section=section,
            user=None,
            action=ActionTransition.SOUMISSION,
            avant=EtatSection.A_REDIGER,
            apres=EtatSection.SOUMISE,
            commentaire="Données de démonstration.",
        )
    return campagne, creee
