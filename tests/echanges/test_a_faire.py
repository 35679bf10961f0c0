"""« À faire » : la file de travail de chaque compte (sections à rédiger ou à relire, notes à valider ou à
transmettre, communes en alerte, valeurs à confirmer, commentaires qui attendent une réponse), avec des
comptes, limitée au territoire et à ce que le compte peut lire."""

import pytest
from django.urls import reverse

from communes.models import CommunePvd
from echanges.a_faire import taches
from echanges.constants import Visibilite
from echanges.services import commentaire_publier
from syntheses.constants import EtatSection
from syntheses.models import SectionDepartementale
from territoires.models import Commune
from tests.syntheses_outils import campagne

pytestmark = pytest.mark.django_db


def par_libelle(user):
    return {t.libelle: t for t in taches(user)}


def test_sections_a_rediger_et_a_relire(user_departemental, user_regional, user_national):
    c = campagne(user=user_national)
    bretagne = SectionDepartementale.objects.filter(
        synthese__campagne=c, synthese__region="53", dispensee=False
    )
    SectionDepartementale.objects.filter(
        pk__in=bretagne.filter(departement__in=["22", "29"]).values("pk")
    ).update(etat=EtatSection.SOUMISE)
    dept = par_libelle(user_departemental)["Sections de la note à rédiger"]
    assert dept.nombre == 1 and dept.liens[0][1] == reverse(
        "syntheses:section", args=[bretagne.get(departement="35").pk]
    )
    region = par_libelle(user_regional)["Sections soumises à relire"]
    assert region.nombre == 2
    assert par_libelle(user_regional)["Notes prêtes à valider"].nombre == 0


def test_communes_en_alerte_et_valeurs_a_confirmer_comptees_a_part(user_departemental):
    t = par_libelle(user_departemental)
    alerte = t["Communes en alerte (échéance des 18 mois dépassée sans convention-cadre)"]
    attendu = (
        CommunePvd.objects.for_user(user_departemental)
        .pvd()
        .with_suivi()
        .filter(is_retard_cadre=True)
        .count()
    )
    assert alerte.nombre == attendu
    assert all(url.startswith("/communes/35") for _, url in alerte.liens)


def test_commentaires_qui_attendent_une_reponse(user_departemental, user_regional):
    commune = Commune.objects.get(code_insee="35012")
    commentaire_publier(
        auteur=user_regional,
        texte="@demo-departement la convention ?",
        visibilite=Visibilite.REGION,
        commune=commune,
        mentionnes=[user_departemental],
    )
    attente = par_libelle(user_departemental)["Commentaires qui attendent votre réponse"]
    assert attente.nombre == 1 and attente.liens[0][0] == "Yann Le Gall sur Bain-de-Bretagne"
    commentaire_publier(
        auteur=user_departemental, texte="Signée.", visibilite=Visibilite.REGION, commune=commune
    )
    assert par_libelle(user_departemental)["Commentaires qui attendent votre réponse"].nombre == 0


def test_page_a_faire_et_lien_sur_la_page_d_arrivee(client, user_departemental, user_regional):
    client.force_login(user_departemental)
    assert "Sections de la note à rédiger" in client.get(reverse("echanges:a_faire")).content.decode()
    assert reverse("echanges:a_faire") in client.get(reverse("communes:liste")).content.decode()
    client.force_login(user_regional)
    html = client.get(reverse("tableau:region", args=["53"])).content.decode()
    assert reverse("echanges:quoi_de_neuf") in html and reverse("echanges:a_faire") in html
