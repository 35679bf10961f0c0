"""Suivi d'une commune : phase calculée, validations, droits, historique, mises à jour concurrentes."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.constants import DecisionRisque, Phase, StatutAction, StatutChefDeProjet, TypeConvention
from communes.historique import historique_territoire
from communes.models import Action, ChefDeProjet, CommunePvd, Convention, Crte, Financement, Territoire
from communes.querysets import mois_apres

pytestmark = pytest.mark.django_db

CODE = "35012"  # Bain-de-Bretagne, Ille-et-Vilaine : département du compte de démo
HORS_DEPARTEMENT = "01034"  # Belley, Ain


def commune(code=CODE):
    return CommunePvd.objects.with_suivi().select_related("territoire").get(code_insee=code)


def territoire(code=CODE):
    return Territoire.objects.get(communes__code_insee=code)


def url(nom, code=CODE, *args):
    return reverse(f"communes:{nom}", args=[code, *args])


def jours(n):
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def client_dep(client, user_departemental):
    client.force_login(user_departemental)
    return client


def test_phase_calculee_a_chaque_etape(client_dep):
    t = territoire()
    t.conventions.all().delete()
    assert commune().phase == Phase.LAUREATE

    Convention.objects.create(territoire=t, type=TypeConvention.ADHESION, date_signature=jours(900))
    assert commune().phase == Phase.ADHESION_SIGNEE

    cadre = Convention.objects.create(territoire=t, type=TypeConvention.CADRE)
    assert commune().phase == Phase.CADRE_EN_ELABORATION

    cadre.date_signature = jours(300)
    cadre.save()
    assert commune().phase == Phase.CADRE_SIGNEE

    # Valant ORT + CRTE sans action engagée : pas encore opérationnelle.
    cadre.vaut_ort = True
    cadre.save()
    t.crte = Crte.objects.filter(departement="35").first()
    t.date_inscription_crte = jours(200)
    t.save()
    action = Action.objects.create(
        territoire=t,
        titre="Étude",
        theme="habitat",
        maitre_ouvrage="Commune",
        statut=StatutAction.ETUDE_PREALABLE,
    )
    assert commune().phase == Phase.CADRE_SIGNEE

    action.statut, action.date_engagement = StatutAction.ENGAGEE, jours(10)
    action.save()
    c = commune()
    assert c.phase == Phase.OPERATIONNELLE
    assert not c.is_risque and not c.is_retard_cadre

    # Sans inscription au CRTE, la phase opérationnelle n'est pas atteinte.
    t.crte, t.date_inscription_crte = None, None
    t.save()
    assert commune().phase == Phase.CADRE_SIGNEE
    # Une convention-cadre qui ne vaut pas ORT non plus.
    t.crte, t.date_inscription_crte = Crte.objects.filter(departement="35").first(), jours(200)
    t.save()
    cadre.vaut_ort = False
    cadre.save()
    assert commune().phase == Phase.CADRE_SIGNEE

    t.date_retrait = jours(1)
    t.save()
    assert commune().phase == Phase.RETIREE


def test_echeance_des_18_mois(client_dep):
    t = territoire()
    adhesion = t.conventions.get(type=TypeConvention.ADHESION)
    adhesion.date_signature = mois_apres(timezone.localdate(), -18) + datetime.timedelta(days=1)
    adhesion.save()
    assert not commune().is_retard_cadre
    adhesion.date_signature = mois_apres(timezone.localdate(), -18) - datetime.timedelta(days=1)
    adhesion.save()
    # Rien de saisi sur la convention-cadre : l'alerte ne se déclenche pas, la commune compte « non renseignée ».
    assert not commune().is_retard_cadre and commune().is_retard_inconnu
    cadre = Convention.objects.create(territoire=t, type=TypeConvention.CADRE)  # en élaboration : connue
    assert commune().is_retard_cadre and not commune().is_retard_inconnu
    cadre.date_signature = timezone.localdate()
    cadre.save()
    assert not commune().is_retard_cadre and not commune().is_retard_inconnu


def test_risque_suggere_et_decision_justifiee(client_dep):
    c = commune()
    # Rien de connu (ni convention-cadre, ni action, ni chef de projet) : « à renseigner », pas « en difficulté ».
    assert c.is_a_renseigner and not c.is_risque_suggere and not c.is_risque
    ChefDeProjet.objects.create(territoire=c.territoire, statut=StatutChefDeProjet.VACANT)
    c = commune()
    assert c.is_risque_suggere and c.is_risque and not c.is_a_renseigner
    reponse = client_dep.post(
        url("risque"),
        {
            "risque_decision": DecisionRisque.PAS_DE_RISQUE,
            "risque_justification": "",
            "version": c.territoire.version,
        },
    )
    assert "Justifiez la décision" in reponse.content.decode()
    assert territoire().risque_decision == ""
    client_dep.post(
        url("risque"),
        {
            "risque_decision": DecisionRisque.PAS_DE_RISQUE,
            "risque_justification": "Convention-cadre à la signature le mois prochain.",
            "version": c.territoire.version,
        },
    )
    t = territoire()
    assert t.risque_decided_by.username == "demo-departement"
    c = commune()
    assert c.is_risque_suggere and not c.is_risque


@pytest.mark.parametrize(
    "nom,donnees,champ,message",
    [
        (
            "convention_cadre",
            {"date_signature": "2020-01-01"},
            "date_signature",
            "ne peut pas être signée avant la convention d’adhésion",
        ),
        (
            "convention_cadre",
            {"date_signature": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
            "date_signature",
            "La date ne peut pas être dans le futur.",
        ),
        ("convention_cadre", {"vaut_ort": "on"}, "vaut_ort", "ne vaut pas encore ORT"),
        (
            "crte",
            {"crte": "crte-53-35-12", "date_inscription_crte": "2023-01-01"},
            "date_inscription_crte",
            "Seule une convention-cadre signée peut être inscrite au CRTE.",
        ),
        (
            "chef_de_projet",
            {"statut": StatutChefDeProjet.EN_POSTE},
            "date_prise_poste",
            "Indiquez la date de prise de poste",
        ),
        (
            "chef_de_projet",
            {
                "statut": StatutChefDeProjet.VACANT,
                "date_prise_poste": "2023-05-01",
                "date_depart": "2023-01-01",
            },
            "date_depart",
            "Le départ ne peut pas précéder",
        ),
        (
            "action_nouvelle",
            {
                "titre": "Halles",
                "theme": "commerce",
                "maitre_ouvrage": "Commune",
                "cout": "-5",
                "statut": "en_maturation",
            },
            "cout",
            "Le montant ne peut pas être négatif.",
        ),
        (
            "action_nouvelle",
            {"titre": "Halles", "theme": "commerce", "maitre_ouvrage": "Commune", "statut": "engagee"},
            "date_engagement",
            "Indiquez la date d’engagement",
        ),
    ],
)
def test_validations_en_francais(client_dep, nom, donnees, champ, message):
    reponse = client_dep.post(url(nom), donnees)
    assert reponse.status_code == 200
    erreurs = reponse.context["form"].errors
    assert champ in erreurs, erreurs
    assert any(message in e for e in erreurs[champ]), erreurs[champ]


@pytest.mark.parametrize(
    "donnees,champ,message",
    [
        (
            {"dispositif": "fonds_vert", "axe_fonds_vert": "1", "mesure_fonds_vert": "friches"},
            "mesure_fonds_vert",
            "n’appartient pas à l’Axe 1",
        ),
        (
            {"dispositif": "fonds_vert", "axe_fonds_vert": "", "mesure_fonds_vert": ""},
            "axe_fonds_vert",
            "Choisissez l’axe du fonds vert.",
        ),
        (
            {"dispositif": "detr", "axe_fonds_vert": "3", "mesure_fonds_vert": "friches"},
            "axe_fonds_vert",
            "ne concernent que le fonds vert",
        ),
        ({"dispositif": "dsil", "montant_demande": "-100"}, "montant_demande", "ne peut pas être négatif"),
        (
            {"dispositif": "dsil", "montant_demande": "100", "montant_accorde": "200"},
            "montant_accorde",
            "dépasse le montant demandé",
        ),
        ({"dispositif": "dsil", "montant_demande": "100", "annee": "2019"}, "annee", "a commencé en 2020"),
    ],
)
def test_validations_des_financements(client_dep, donnees, champ, message):
    action = Action.objects.create(
        territoire=territoire(), titre="Place", theme="cadre_de_vie", maitre_ouvrage="Commune"
    )
    base = {"annee": "2023", "montant_demande": "1000"}
    reponse = client_dep.post(url("financement_nouveau", CODE, action.pk), {**base, **donnees})
    erreurs = reponse.context["form"].errors
    assert any(message in e for e in erreurs.get(champ, [])), erreurs
    assert not Financement.objects.filter(action=action).exists()


def test_un_financement_fonds_vert_valide_est_compte(client_dep):
    action = Action.objects.create(
        territoire=territoire(), titre="Friche", theme="cadre_de_vie", maitre_ouvrage="EPCI"
    )
    reponse = client_dep.post(
        url("financement_nouveau", CODE, action.pk),
        {
            "dispositif": "fonds_vert",
            "axe_fonds_vert": "3",
            "mesure_fonds_vert": "friches",
            "montant_demande": "120000",
            "montant_accorde": "90000.50",
            "annee": "2023",
        },
    )
    assert reponse.status_code == 302
    assert commune().financement_accorde == pytest.approx(90000.50)


@pytest.mark.parametrize(
    "username,code,statut",
    [
        ("demo-departement", CODE, 200),
        ("demo-departement", HORS_DEPARTEMENT, 404),
        ("demo-region", CODE, 403),
        ("demo-national", CODE, 403),
        ("demo-admin", CODE, 403),
    ],
)
@pytest.mark.parametrize(
    "nom",
    [
        "adhesion",
        "convention_cadre",
        "ort",
        "chef_de_projet",
        "crte",
        "risque",
        "territoire",
        "action_nouvelle",
    ],
)
def test_droits_de_modification(client, username, code, statut, nom):
    from comptes.models import User

    client.force_login(User.objects.get(username=username))
    assert client.get(url(nom, code)).status_code == statut
    donnees = {"statut": "a_recruter"}
    reponse = client.post(url(nom, code), donnees)
    assert reponse.status_code in ((200, 302) if statut == 200 else (statut,))
    if statut != 200:
        assert not ChefDeProjet.objects.filter(territoire__communes__code_insee=code).exists()


def test_la_fiche_n_affiche_les_boutons_qu_a_qui_peut_modifier(client, user_departemental, user_regional):
    client.force_login(user_departemental)
    assert "Nouvelle action" in client.get(url("detail")).content.decode()
    client.force_login(user_regional)
    reponse = client.get(url("detail"))
    assert reponse.status_code == 200
    assert "Nouvelle action" not in reponse.content.decode()


def test_historique_qui_quand_avant_apres(client_dep):
    client_dep.post(
        url("chef_de_projet"),
        {"statut": "en_poste", "nom": "Anne Le Bihan", "date_prise_poste": "2022-02-01"},
    )
    chef = ChefDeProjet.objects.get(territoire=territoire())
    client_dep.post(
        url("chef_de_projet"),
        {
            "statut": "vacant",
            "nom": "Anne Le Bihan",
            "date_prise_poste": "2022-02-01",
            "date_depart": "2024-06-30",
            "version": chef.version,
        },
    )
    evenements = [e for e in historique_territoire(territoire()) if e.objet == "Chef de projet"]
    assert [e.type for e in evenements] == ["Modification", "Création"]
    modification = evenements[0]
    assert modification.auteur == "Claire Morvan"
    assert ("Statut", "En poste", "Vacant") in modification.changements
    assert ("Départ", "—", "30/06/2024") in modification.changements
    page = client_dep.get(url("detail")).content.decode()
    assert "Claire Morvan · Modification : Chef de projet" in page
    # La création par le référentiel figure aussi.
    assert any(e.auteur == "Référentiel (automatique)" for e in historique_territoire(territoire()))


def test_une_mise_a_jour_concurrente_est_refusee(client, user_departemental, django_user_model):
    collegue = django_user_model.objects.create_user(
        username="collegue-35",
        first_name="Paul",
        last_name="Riou",
        role="departemental",
        departement_id="35",
        password="x" * 12,
    )
    from django.test import Client

    moi, lui = client, Client()
    moi.force_login(user_departemental)
    lui.force_login(collegue)
    version = moi.get(url("adhesion")).context["form"]["version"].value()
    lui_version = lui.get(url("adhesion")).context["form"]["version"].value()
    assert version == lui_version

    assert (
        lui.post(url("adhesion"), {"date_signature": "2021-06-01", "version": lui_version}).status_code == 302
    )
    reponse = moi.post(url("adhesion"), {"date_signature": "2021-07-15", "version": version})
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "Modification concurrente" in page
    assert "Paul Riou a enregistré cet élément" in page
    assert "1er juin 2021" in page  # la valeur de l’autre est montrée (date à la française)
    adhesion = Convention.objects.get(territoire=territoire(), type=TypeConvention.ADHESION)
    assert adhesion.date_signature == datetime.date(2021, 6, 1)  # rien n'a été écrasé
    # Après avoir vu la valeur de l'autre, un nouvel envoi la remplace sciemment.
    nouvelle_version = reponse.context["form"].data["version"]
    assert (
        moi.post(url("adhesion"), {"date_signature": "2021-07-15", "version": nouvelle_version}).status_code
        == 302
    )
    adhesion.refresh_from_db()
    assert adhesion.date_signature == datetime.date(2021, 7, 15)


def test_creation_simultanee_d_un_objet_unique(client, user_departemental, django_user_model):
    from django.test import Client

    collegue = django_user_model.objects.create_user(
        username="collegue-35b", role="departemental", departement_id="35", password="x" * 12
    )
    lui = Client()
    lui.force_login(collegue)
    client.force_login(user_departemental)
    client.get(url("chef_de_projet"))  # formulaire de création ouvert
    assert lui.post(url("chef_de_projet"), {"statut": "a_recruter"}).status_code == 302
    # Mon formulaire était un formulaire de création (sans version) : il ne remplace pas la fiche de l'autre.
    reponse = client.post(url("chef_de_projet"), {"statut": "vacant"})
    assert reponse.status_code == 200
    assert "Modification concurrente" in reponse.content.decode()
    assert ChefDeProjet.objects.get(territoire=territoire()).statut == "a_recruter"


def test_suppression_d_une_action_gardee_dans_l_historique(client_dep):
    action = Action.objects.create(
        territoire=territoire(), titre="Voie verte", theme="mobilite", maitre_ouvrage="EPCI"
    )
    assert client_dep.post(url("supprimer", CODE, "action", action.pk)).status_code == 302
    assert not Action.objects.filter(pk=action.pk).exists()
    assert any(
        e.type == "Suppression" and e.objet == "Action « Voie verte »"
        for e in historique_territoire(territoire())
    )
