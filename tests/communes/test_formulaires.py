"""Formulaires qui aident (issue 19, point 5) : résumé des erreurs, titre « Erreur – », message dans la section,
mesures du fonds vert selon l'axe, CRTE couvrant la commune, montants à la française, « Oui »/« Non »,
choix vides en français, « ce qui manque pour la phase opérationnelle », fiche imprimable."""

import datetime
import html
import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from communes.constants import (
    MESURES_PAR_AXE,
    Dispositif,
    MesureFondsVert,
    Phase,
    StatutAction,
    TypeConvention,
)
from communes.models import Action, CommunePvd, Convention, Crte, Financement, Territoire
from communes.querysets import manques_operationnelle
from pvd.formats import MontantIllisible, montant_lire
from territoires.models import Commune

pytestmark = pytest.mark.django_db

CODE = "35012"  # Bain-de-Bretagne, Ille-et-Vilaine : département du compte de démo
NBSP, FINE = "\u00a0", "\u202f"


def url(nom, *args, code=CODE):
    return reverse(f"communes:{nom}", args=[code, *args])


def territoire(code=CODE):
    return Territoire.objects.get(communes__code_insee=code)


def commune(code=CODE):
    return CommunePvd.objects.with_suivi().select_related("territoire").get(code_insee=code)


@pytest.fixture
def client_dep(client, user_departemental):
    client.force_login(user_departemental)
    return client


def titre_page(contenu):
    return html.unescape(re.search(r"<title>(.*?)</title>", contenu, re.S).group(1)).strip()


def section(contenu, ident):
    return re.search(rf'<section id="{ident}".*?</section>', contenu, re.S).group(0)


def action_creer(t=None, **kwargs):
    valeurs = {"titre": "Halles", "theme": "commerce", "maitre_ouvrage": "Commune", **kwargs}
    return Action.objects.create(territoire=t or territoire(), **valeurs)


# Montants à la française -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "texte,attendu",
    [
        ("480 000,50", Decimal("480000.50")),
        ("480 000,50 €", Decimal("480000.50")),
        (f"480{NBSP}000,50{NBSP}€", Decimal("480000.50")),
        (f"480{FINE}000,50", Decimal("480000.50")),
        ("1 234 567", Decimal("1234567")),
        ("480000", Decimal("480000")),
        ("90000.50", Decimal("90000.50")),  # point décimal sans ambiguïté (copié d'un tableur)
        ("12,5 EUR", Decimal("12.5")),
        ("", None),
    ],
)
def test_montants_ecrits_a_la_francaise_sont_lus(texte, attendu):
    assert montant_lire(texte) == attendu


@pytest.mark.parametrize(
    "texte,message",
    [
        ("480.000", "ambigu"),  # 480 mille ou 480 ?
        ("1.234,50", "virgule avant les centimes"),
        ("480 000,505", "au plus deux décimales"),
        ("48 00050", "groupes de trois chiffres"),
        ("quatre cents", "en chiffres"),
        ("1,2,3", "en chiffres"),
    ],
)
def test_montants_ambigus_refuses_avec_un_message_francais(texte, message):
    with pytest.raises(MontantIllisible, match=message):
        montant_lire(texte)


def test_le_cout_480_000_50_est_enregistre_et_relu_tel_quel(client_dep):
    reponse = client_dep.post(
        url("action_nouvelle"),
        {
            "titre": "Halles",
            "theme": "commerce",
            "maitre_ouvrage": "Commune",
            "cout": f"480{NBSP}000,50{NBSP}€",
            "statut": "en_maturation",
        },
    )
    assert reponse.status_code == 302, reponse.context["form"].errors
    action = Action.objects.get(territoire=territoire(), titre="Halles")
    assert action.cout == Decimal("480000.50")
    # Le formulaire de modification le montre comme il s'écrit, la fiche aussi.
    champ = re.search(
        r'<input[^>]*name="cout"[^>]*>', client_dep.get(url("action", action.pk)).content.decode()
    )
    assert f'value="480{FINE}000,50"' in champ.group(0)
    assert 'inputmode="decimal"' in champ.group(0)
    assert f"coût : 480{FINE}000,50{NBSP}€" in client_dep.get(url("detail")).content.decode()


def test_un_montant_ambigu_est_refuse_et_rien_n_est_enregistre(client_dep):
    action = action_creer()
    reponse = client_dep.post(
        url("financement_nouveau", action.pk),
        {"dispositif": "detr", "annee": "2023", "montant_demande": "480.000"},
    )
    assert reponse.status_code == 200
    assert any("ambigu" in e for e in reponse.context["form"].errors["montant_demande"])
    assert not Financement.objects.filter(action=action).exists()


# Résumé des erreurs et titre -------------------------------------------------------------------------------
def test_resume_des_erreurs_avec_liens_vers_les_champs_et_titre_erreur(client_dep):
    reponse = client_dep.post(url("action_nouvelle"), {"titre": "", "statut": "engagee", "cout": "480.000"})
    contenu = reponse.content.decode()
    erreurs = reponse.context["form"].errors
    assert set(erreurs) >= {"titre", "theme", "maitre_ouvrage", "cout"}
    assert titre_page(contenu).startswith("Erreur – Action — ")
    resume = re.search(
        r'<div class="fr-alert fr-alert--error[^"]*pvd-resume-erreurs".*?</ul>', contenu, re.S
    ).group(0)
    assert 'tabindex="-1"' in resume and "autofocus" in resume
    n = sum(len(e) for e in erreurs.values())
    assert f"Le formulaire contient {n} erreurs" in resume
    liens = re.findall(r'<a class="fr-link" href="#([^"]+)">', resume)
    assert len(liens) == n
    for nom in erreurs:
        assert f"id_{nom}" in liens
    # Chaque lien mène à un champ de la page.
    for cible in liens:
        assert f'id="{cible}"' in contenu
    # Le résumé est avant le formulaire : c'est la première chose lue après le titre.
    assert contenu.index("pvd-resume-erreurs") < contenu.index('<form method="post" novalidate>')


def test_pas_de_resume_ni_de_titre_erreur_sans_erreur(client_dep):
    contenu = client_dep.get(url("action_nouvelle")).content.decode()
    assert "pvd-resume-erreurs" not in contenu
    assert not titre_page(contenu).startswith("Erreur")


def test_erreur_d_un_champ_a_boutons_radio_mene_au_premier_bouton(client_dep):
    from django import forms as django_forms

    from communes.forms import RisqueForm
    from pvd.templatetags.formulaires import ancre, resume_erreurs

    form = RisqueForm(data={"risque_decision": "inconnue"}, instance=territoire(), territoire=territoire())
    assert not form.is_valid()
    assert isinstance(form.fields["risque_decision"].widget, django_forms.RadioSelect)
    assert ancre(form["risque_decision"]) == "id_risque_decision_0"
    assert ("Décision sur le risque", "id_risque_decision_0") in [
        (e[0], e[1]) for e in resume_erreurs(form)["erreurs"]
    ]
    contenu = client_dep.get(url("risque")).content.decode()
    assert 'id="id_risque_decision_0"' in contenu


# Message après l'enregistrement ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "nom,donnees,ancre,message",
    [
        ("adhesion", {"date_signature": "2021-03-01"}, "conventions", "Convention d’adhésion : modification"),
        ("chef_de_projet", {"statut": "a_recruter"}, "chef-de-projet", "Chef de projet : modification"),
        ("territoire", {"nom": "Bain-de-Bretagne"}, "territoire", "Territoire PVD : modification"),
    ],
)
def test_le_message_d_enregistrement_est_dans_la_section_ou_revient_la_page(
    client_dep, nom, donnees, ancre, message
):
    t = territoire()
    objet = {"adhesion": lambda: t.conventions.filter(type="adhesion").first(), "territoire": lambda: t}.get(
        nom, lambda: None
    )()
    version = objet.version if objet is not None else ""
    reponse = client_dep.post(url(nom), {**donnees, "version": version})
    assert reponse.status_code == 302
    assert reponse.url.endswith(f"#{ancre}")
    contenu = client_dep.get(reponse.url.split("#")[0]).content.decode()
    assert message in section(contenu, ancre)
    assert contenu.count(message) == 1  # et pas aussi en haut de la page, hors de l'écran
    assert contenu.index(message) > contenu.index(f'<section id="{ancre}"')


def test_la_suppression_d_une_action_revient_aux_actions_avec_son_message(client_dep):
    action = action_creer(titre="Kiosque")
    reponse = client_dep.post(url("supprimer", "action", action.pk))
    assert reponse.url.endswith("#actions")
    contenu = client_dep.get(reponse.url.split("#")[0]).content.decode()
    assert "« Kiosque » supprimé." in section(contenu, "actions")


# Mesures du fonds vert selon l'axe ------------------------------------------------------------------------
def options(contenu, nom):
    select = re.search(rf'<select[^>]*name="{nom}".*?</select>', contenu, re.S).group(0)
    return [v for v in re.findall(r'<option value="([^"]*)"', select) if v]


def test_les_mesures_proposees_sont_celles_de_l_axe_choisi(client_dep):
    action = action_creer()
    financement = Financement.objects.create(
        action=action, dispositif=Dispositif.FONDS_VERT, axe_fonds_vert="3", mesure_fonds_vert="friches",
        montant_demande=1000, annee=2023,
    )  # fmt: skip
    contenu = client_dep.get(url("financement", action.pk, financement.pk)).content.decode()
    assert options(contenu, "mesure_fonds_vert") == list(MESURES_PAR_AXE["3"])
    # Après une erreur sur l'axe 1, la liste est celle de l'axe 1.
    reponse = client_dep.post(
        url("financement", action.pk, financement.pk),
        {"dispositif": "fonds_vert", "axe_fonds_vert": "1", "mesure_fonds_vert": "friches", "annee": "2023",
         "montant_demande": "1000", "version": financement.version},
    )  # fmt: skip
    assert options(reponse.content.decode(), "mesure_fonds_vert") == list(MESURES_PAR_AXE["1"])
    # Sans JavaScript, une mesure d'un autre axe est refusée, avec un message en français.
    assert any("n’appartient pas à l’Axe 1" in e for e in reponse.context["form"].errors["mesure_fonds_vert"])
    financement.refresh_from_db()
    assert financement.mesure_fonds_vert == "friches" and financement.axe_fonds_vert == "3"


def test_sans_axe_toutes_les_mesures_groupees_par_axe_et_la_table_pour_le_script(client_dep):
    action = action_creer()
    contenu = client_dep.get(url("financement_nouveau", action.pk)).content.decode()
    select = re.search(r'<select[^>]*name="mesure_fonds_vert".*?</select>', contenu, re.S).group(0)
    assert select.count("<optgroup") == len(MESURES_PAR_AXE)
    table = json.loads(html.unescape(re.search(r'data-pvd-mesures="([^"]+)"', select).group(1)))
    attendu = {
        axe: [m for m in mesures if m != MesureFondsVert.RISQUES_CYCLONIQUES]
        for axe, mesures in MESURES_PAR_AXE.items()
    }
    assert {axe: [m for m, _ in liste] for axe, liste in table.items()} == attendu
    assert 'data-pvd-axe="id_axe_fonds_vert"' in select
    assert "formulaires.js" in contenu


def test_une_commune_bretonne_ne_se_voit_pas_proposer_les_risques_cycloniques(client_dep):
    action = action_creer()
    contenu = client_dep.get(url("financement_nouveau", action.pk)).content.decode()
    assert MesureFondsVert.RISQUES_CYCLONIQUES.label not in contenu
    reponse = client_dep.post(
        url("financement_nouveau", action.pk),
        {"dispositif": "fonds_vert", "axe_fonds_vert": "2", "mesure_fonds_vert": "risques_cycloniques",
         "annee": "2023", "montant_demande": "1000"},
    )  # fmt: skip
    assert any(
        "réservée aux communes d’outre-mer" in e for e in reponse.context["form"].errors["mesure_fonds_vert"]
    )
    assert not Financement.objects.filter(action=action).exists()


def test_une_commune_d_outre_mer_peut_demander_les_risques_cycloniques(client, django_user_model):
    ultramarine = (
        Commune.objects.pvd().filter(departement__code__startswith="97", territoire__isnull=False).first()
    )
    assert ultramarine is not None, "la liste PVD compte des communes d’outre-mer"
    agent = django_user_model.objects.create_user(
        "agent-om", role="departemental", departement_id=ultramarine.departement_id, password="x" * 12
    )
    client.force_login(agent)
    action = action_creer(t=ultramarine.territoire)
    reponse = client.get(url("financement_nouveau", action.pk, code=ultramarine.code_insee))
    assert MesureFondsVert.RISQUES_CYCLONIQUES.label in reponse.content.decode()
    reponse = client.post(
        url("financement_nouveau", action.pk, code=ultramarine.code_insee),
        {"dispositif": "fonds_vert", "axe_fonds_vert": "2", "mesure_fonds_vert": "risques_cycloniques",
         "annee": "2023", "montant_demande": "1 000"},
    )  # fmt: skip
    assert reponse.status_code == 302, reponse.context["form"].errors
    assert Financement.objects.get(action=action).mesure_fonds_vert == "risques_cycloniques"


# CRTE couvrant la commune ---------------------------------------------------------------------------------
def crtes_couvrant(c):
    """Requête indépendante : CRTE dont l'EPCI de la commune est signataire (table des signataires)."""
    codes = Crte.epcis.through.objects.filter(epci_id=c.epci_id).values_list("crte_id", flat=True)
    return sorted(codes)


def test_seuls_les_crte_couvrant_la_commune_sont_proposes(client_dep):
    c = Commune.objects.get(code_insee=CODE)
    attendus = crtes_couvrant(c)
    assert attendus, "Bain-de-Bretagne est couverte par un CRTE"
    contenu = client_dep.get(url("crte")).content.decode()
    assert sorted(options(contenu, "crte")) == attendus
    # Un CRTE du même département qui ne couvre pas la commune est refusé.
    autre = Crte.objects.filter(departement="35").exclude(code__in=attendus).first()
    assert autre is not None
    reponse = client_dep.post(url("crte"), {"crte": autre.code, "version": territoire().version})
    assert reponse.status_code == 200
    (erreur,) = reponse.context["form"].errors["crte"]
    assert f"Ce CRTE ne couvre pas {c.nom}" in erreur and c.epci.nom in erreur
    assert territoire().crte_id is None
    reponse = client_dep.post(url("crte"), {"crte": attendus[0], "version": territoire().version})
    assert reponse.status_code == 302
    assert territoire().crte_id == attendus[0]


# Oui / Non, choix vides ---------------------------------------------------------------------------------------
def test_conflit_montre_oui_et_non_et_les_montants_a_la_francaise(client_dep, django_user_model):
    t = territoire()
    Convention.objects.get_or_create(
        territoire=t, type=TypeConvention.ADHESION, defaults={"date_signature": datetime.date(2021, 1, 4)}
    )
    cadre = Convention.objects.create(
        territoire=t, type=TypeConvention.CADRE, date_signature=datetime.date(2022, 3, 1)
    )
    version = cadre.version
    collegue = django_user_model.objects.create_user(
        "collegue-35", role="departemental", departement_id="35", password="x" * 12
    )
    lui = Client()
    lui.force_login(collegue)
    assert (
        lui.post(
            url("convention_cadre"), {"date_signature": "2022-03-01", "vaut_ort": "on", "version": version}
        ).status_code
        == 302
    )
    reponse = client_dep.post(url("convention_cadre"), {"date_signature": "2022-03-02", "version": version})
    contenu = html.unescape(
        re.search(r'<div class="fr-alert fr-alert--warning.*?</div>', reponse.content.decode(), re.S).group(0)
    )
    assert "Vaut ORT : <strong>Oui</strong>" in contenu
    assert "True" not in contenu and "False" not in contenu
    assert "Date de signature : <strong>1er mars 2022</strong>" in contenu

    action = action_creer(cout=Decimal("480000.50"))
    v = action.version
    assert (
        lui.post(
            url("action", action.pk),
            {
                "titre": "Halles",
                "theme": "commerce",
                "maitre_ouvrage": "Commune",
                "cout": "480 000,50",
                "statut": "en_maturation",
                "version": v,
            },
        ).status_code
        == 302
    )
    reponse = client_dep.post(
        url("action", action.pk),
        {
            "titre": "Halles",
            "theme": "commerce",
            "maitre_ouvrage": "Commune",
            "cout": "1",
            "statut": "en_maturation",
            "version": v,
        },
    )
    assert f"Coût total (€) : <strong>480{FINE}000,50{NBSP}€</strong>" in reponse.content.decode()


def test_aucun_formulaire_du_suivi_ne_montre_le_choix_vide_de_django(client_dep):
    action = action_creer()
    pages = [
        "territoire",
        "adhesion",
        "convention_cadre",
        "ort",
        "chef_de_projet",
        "crte",
        "risque",
        "action_nouvelle",
    ]
    for nom in pages:
        contenu = client_dep.get(url(nom)).content.decode()
        assert "---------" not in contenu, nom
    contenu = client_dep.get(url("financement_nouveau", action.pk)).content.decode()
    assert "---------" not in contenu
    assert "Sélectionner une option" in contenu  # dispositif, obligatoire
    assert "Aucun (hors fonds vert)" in contenu  # axe, facultatif
    assert "Sélectionner une option" in client_dep.get(url("chef_de_projet")).content.decode()


# Ce qui manque pour la phase opérationnelle ----------------------------------------------------------------
def manques(contenu):
    bloc = re.search(r'<div class="fr-callout[^"]*pvd-manques".*?</div>', contenu, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", bloc.group(0))) if bloc else None


def test_ce_qui_manque_en_haut_de_la_fiche_puis_plus_rien_en_phase_operationnelle(client_dep):
    t = territoire()
    t.conventions.filter(type=TypeConvention.CADRE).delete()
    contenu = client_dep.get(url("detail")).content.decode()
    texte = manques(contenu)
    assert "Ce qui manque pour la phase opérationnelle" in texte
    for libelle in (
        "Convention-cadre signée valant ORT",
        "Convention-cadre inscrite au CRTE",
        "Au moins une action engagée",
    ):
        assert libelle in texte
    assert "rien n’est encore saisi sur la convention-cadre" in texte and "à renseigner" in texte
    # En haut : avant le sommaire et la première section.
    assert (
        contenu.index("pvd-manques")
        < contenu.index('id="sommaire-titre"')
        < contenu.index('<section id="territoire"')
    )
    for ancre in ("#conventions", "#crte", "#actions"):
        assert f'href="{ancre}"' in re.search(r"pvd-manques.*?</div>", contenu, re.S).group(0)

    Convention.objects.update_or_create(
        territoire=t, type=TypeConvention.ADHESION, defaults={"date_signature": datetime.date(2021, 1, 4)}
    )
    Convention.objects.create(
        territoire=t, type=TypeConvention.CADRE, date_signature=datetime.date(2022, 3, 1), vaut_ort=True
    )
    action_creer(statut=StatutAction.ETUDE_PREALABLE)
    texte = manques(client_dep.get(url("detail")).content.decode())
    assert "Convention-cadre signée valant ORT" not in texte
    assert "1 action enregistrée, aucune engagée ni livrée" in texte

    t.crte = Crte.objects.get(code=crtes_couvrant(Commune.objects.get(code_insee=CODE))[0])
    t.date_inscription_crte = datetime.date(2022, 6, 1)
    t.save()
    Action.objects.filter(territoire=t).update(
        statut=StatutAction.ENGAGEE, date_engagement=datetime.date(2023, 1, 1)
    )
    assert commune().phase == Phase.OPERATIONNELLE
    texte = manques(client_dep.get(url("detail")).content.decode())
    assert "Phase opérationnelle atteinte" in texte and "Ce qui manque" not in texte


def test_ce_qui_manque_est_vide_exactement_pour_les_communes_operationnelles_ou_retirees():
    """La même règle que la phase (CONDITIONS_OPERATIONNELLE) : vérifiée sur tout un département généré."""
    from communes.demo import suivi_demo_generer

    suivi_demo_generer(departements=["35"])
    communes = list(CommunePvd.objects.filter(departement="35").pvd().with_territoire().with_suivi())
    assert {c.phase for c in communes} & {Phase.OPERATIONNELLE} and len({c.phase for c in communes}) > 2
    for c in communes:
        assert (manques_operationnelle(c) == []) == (c.phase in (Phase.OPERATIONNELLE, Phase.RETIREE)), c
        conditions = {
            "has_cadre_ort": c.has_cadre_ort,
            "is_inscrit_crte": c.is_inscrit_crte,
            "actions": c.actions_engagees_count > 0,
        }
        if c.phase not in (Phase.OPERATIONNELLE, Phase.RETIREE):
            assert len(manques_operationnelle(c)) == sum(not v for v in conditions.values())


# Fiche imprimable ------------------------------------------------------------------------------------------
def test_la_fiche_imprimee_resume_chaque_action_et_laisse_l_historique_en_ligne(client_dep):
    action = action_creer(titre="Halles couvertes", cout=Decimal("480000.50"))
    Financement.objects.create(
        action=action,
        dispositif="detr",
        montant_demande=Decimal("200000"),
        montant_accorde=Decimal("150000"),
        annee=2023,
    )
    Financement.objects.create(
        action=action, dispositif="dsil", montant_demande=Decimal("100000.50"), annee=2023
    )
    contenu = client_dep.get(url("detail")).content.decode()
    tableau = re.search(r'<div class="fr-table[^"]*pvd-impression-seule".*?</table>', contenu, re.S).group(0)
    ligne = re.search(r"<tr><td>Halles couvertes</td>.*?</tr>", tableau, re.S).group(0)
    assert f"480{FINE}000,50{NBSP}€" in ligne  # coût
    assert f"300{FINE}000,50{NBSP}€" in ligne  # demandé : somme des lignes
    assert f"150{FINE}000{NBSP}€" in ligne  # accordé
    # Pièces jointes, discussion et historique : sur la fiche en ligne, pas sur la feuille imprimée.
    masque = re.search(r'<div class="pvd-sans-impression">.*<section id="historique"', contenu, re.S)
    assert masque and 'id="pieces-jointes"' in masque.group(0) and 'id="discussion"' in masque.group(0)
