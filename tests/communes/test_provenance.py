"""Valeurs reprises des fichiers officiels : source et millésime, « à confirmer » jusqu'à ce que le département
les confirme ou les corrige ; ORT signées sans date gardées ; convention-cadre valant ORT proposée, jamais
comptée comme un fait saisi avant confirmation. Attendus lus dans les fichiers bruts."""

import csv

import pytest
from django.test import Client
from django.urls import reverse

from communes.constants import TypeConvention
from communes.historique import historique_territoire
from communes.models import CommunePvd, Convention, Ort, Territoire
from communes.services import referentiel_charger
from tests.donnees import communes_pvd, fichier

pytestmark = pytest.mark.django_db

CODE = "35012"  # Ille-et-Vilaine : département du compte de démo
ORT = "sources/ort_communes_dgaln_anct_2024-09.csv"


def lignes_ort():
    with fichier(ORT).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def source_ort():
    """« liste ORT DGALN/ANCT AAAA-MM » : le mois de la dernière actualisation d'une ligne du fichier."""
    mois = max(
        f"{r['Dernière actualisation'][6:10]}-{r['Dernière actualisation'][3:5]}"
        for r in lignes_ort()
        if r["Dernière actualisation"]
    )
    return f"liste ORT DGALN/ANCT {mois}"


def url(nom, *args, code=CODE):
    return reverse(f"communes:{nom}", args=[code, *args])


@pytest.fixture
def client_dep(client, user_departemental):
    client.force_login(user_departemental)
    return client


def test_une_ort_signee_sans_date_est_gardee_et_affichee(client, user_national):
    pvd = {r["insee_com"] for r in communes_pvd()}
    sans_date = sorted(
        r["Code commune"]
        for r in lignes_ort()
        if r["Signée ?"] == "Signée" and not r["Si signée, date de signature"] and r["Code commune"] in pvd
    )
    assert sans_date
    orts = Ort.objects.filter(territoire__communes__code_insee__in=sans_date)
    assert orts.count() == len(sans_date)
    assert all(o.date_signature is None and o.a_confirmer and o.source == source_ort() for o in orts)
    client.force_login(user_national)
    page = client.get(url("detail", code=sans_date[0])).content.decode()
    assert "Signée, date inconnue" in page and source_ort() in page


def test_confirmer_une_ort_reprise(client_dep, user_regional, user_departemental):
    ort = Ort.objects.get(territoire__communes__code_insee=CODE)
    assert ort.a_confirmer and ort.source == source_ort()

    client = Client()
    client.force_login(user_regional)
    page = client.get(url("detail")).content.decode()
    assert "À confirmer" in page and f"Valeur reprise de la <strong>{source_ort()}</strong>" in page
    assert url("confirmer", "ort") not in page  # seule la préfecture confirme
    assert client.post(url("confirmer", "ort"), {"version": ort.version}).status_code == 403

    page = client_dep.get(url("detail")).content.decode()
    assert url("confirmer", "ort") in page
    assert client_dep.post(url("confirmer", "ort"), {"version": ort.version}).status_code == 302
    ort.refresh_from_db()
    assert not ort.a_confirmer and ort.source == source_ort() and ort.confirme_par == user_departemental
    evenement = next(e for e in historique_territoire(ort.territoire) if e.objet == "ORT")
    assert evenement.raison == "Valeur confirmée par la préfecture"
    assert evenement.auteur == user_departemental.get_full_name()
    page = client_dep.get(url("detail")).content.decode()
    assert "Confirmée" in page and url("confirmer", "ort") not in page
    # Déjà confirmée : plus rien à confirmer.
    assert client_dep.get(url("confirmer", "ort")).status_code == 404

    # Recharger le référentiel ne remet pas la valeur « à confirmer ».
    referentiel_charger()
    ort.refresh_from_db()
    assert not ort.a_confirmer


def test_corriger_une_valeur_reprise_la_confirme_comme_saisie(client_dep):
    ort = Ort.objects.get(territoire__communes__code_insee=CODE)
    assert ort.a_confirmer
    ancienne = ort.date_signature
    nouvelle = ancienne.replace(day=1 if ancienne.day != 1 else 2)
    reponse = client_dep.post(
        url("ort"),
        {"date_signature": nouvelle.isoformat(), "duree_annees": "", "secteurs": "", "version": ort.version},
    )
    assert reponse.status_code == 302
    ort.refresh_from_db()
    assert (ort.date_signature, ort.source, ort.a_confirmer) == (nouvelle, "", False)
    evenement = next(e for e in historique_territoire(ort.territoire) if e.objet == "ORT")
    assert evenement.raison == f"Saisie par la préfecture (remplace la valeur de la {source_ort()})"
    assert "Saisie par la préfecture." in client_dep.get(url("detail")).content.decode()


def test_la_convention_cadre_valant_ort_proposee_ne_compte_qu_une_fois_confirmee(
    client_dep, user_departemental
):
    territoire = Territoire.objects.get(communes__code_insee=CODE)
    ort = territoire.ort
    adhesion = territoire.conventions.get(type=TypeConvention.ADHESION)
    assert ort.date_signature and adhesion.date_signature <= ort.date_signature  # précondition, lue en base
    assert not territoire.conventions.filter(type=TypeConvention.CADRE).exists()
    assert Territoire.objects.cadre_ort_propose().filter(pk=territoire.pk).exists()
    commune = CommunePvd.objects.with_suivi().get(code_insee=CODE)
    assert not commune.has_cadre_signee and not commune.has_cadre_ort

    page = client_dep.get(url("detail")).content.decode()
    assert f"Proposée d’après la <strong>{ort.source}</strong>" in page
    assert client_dep.post(url("confirmer", "cadre-ort"), {"version": ort.version}).status_code == 302

    cadre = territoire.conventions.get(type=TypeConvention.CADRE)
    assert (cadre.date_signature, cadre.vaut_ort, cadre.source, cadre.a_confirmer) == (
        ort.date_signature,
        True,
        ort.source,
        False,
    )
    assert cadre.confirme_par == user_departemental
    commune = CommunePvd.objects.with_suivi().get(code_insee=CODE)
    assert commune.has_cadre_signee and commune.has_cadre_ort
    assert not Territoire.objects.cadre_ort_propose().filter(pk=territoire.pk).exists()
    evenement = next(e for e in historique_territoire(territoire) if e.objet == "Convention-cadre")
    assert (
        evenement.raison
        == f"Convention-cadre valant ORT confirmée par la préfecture (d’après la {ort.source})"
    )
    assert client_dep.post(url("confirmer", "cadre-ort"), {"version": ort.version}).status_code == 404


def test_une_ort_anterieure_a_l_adhesion_ne_propose_pas_de_convention_cadre():
    proposes = set(Territoire.objects.cadre_ort_propose().values_list("pk", flat=True))
    for ort in Ort.objects.exclude(source="").select_related("territoire")[:400]:
        adhesion = Convention.objects.filter(
            territoire=ort.territoire_id, type=TypeConvention.ADHESION, date_signature__isnull=False
        ).first()
        attendu = adhesion is not None and (
            ort.date_signature is None or adhesion.date_signature <= ort.date_signature
        )
        assert (ort.territoire_id in proposes) == attendu, ort.territoire


def test_confirmer_l_adhesion_reprise(client_dep):
    adhesion = Convention.objects.get(territoire__communes__code_insee=CODE, type=TypeConvention.ADHESION)
    ligne = next(r for r in communes_pvd() if r["insee_com"] == CODE)
    assert adhesion.a_confirmer and adhesion.date_signature.isoformat() == ligne["date_signature"]
    assert adhesion.source.startswith("liste PVD ANCT ")
    assert client_dep.post(url("confirmer", "adhesion"), {"version": adhesion.version}).status_code == 302
    adhesion.refresh_from_db()
    assert not adhesion.a_confirmer
    # Une version périmée est refusée sans rien changer.
    autre = Convention.objects.filter(
        type=TypeConvention.ADHESION, a_confirmer=True, territoire__departement="35"
    ).first()
    reponse = client_dep.post(
        url("confirmer", "adhesion", code=autre.territoire.communes.first().code_insee),
        {"version": autre.version + 7},
    )
    assert reponse.status_code == 302
    autre.refresh_from_db()
    assert autre.a_confirmer
