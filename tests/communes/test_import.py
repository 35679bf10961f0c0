"""Import des situations (job du worker) : simulation avec erreurs par ligne, atomicité, formats (CSV UTF-8,
Windows-1252, XLSX), droits du département, doublons, zéro initial, conflit avec une saisie concurrente,
rapport téléchargeable, pages du job."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from communes import imports
from communes.constants import EtatImport, TypeConvention
from communes.forms import ChefDeProjetForm
from communes.imports import COLONNES, import_demander, import_executer
from communes.models import ChefDeProjet, Convention, Import, Territoire
from communes.services import suivi_enregistrer
from comptes.models import EvenementSecurite, TypeEvenement, User
from territoires.models import Commune

pytestmark = pytest.mark.django_db

ENTETE = "code_insee;date_adhesion;statut_chef_projet;date_prise_poste;date_convention_cadre;cadre_vaut_ort;code_crte;date_inscription_crte\n"
VALIDE = ENTETE + (
    "35012;;en_poste;2021-10-04;2023-02-01;oui;crte-53-35-12;2023-04-01\n35019;;vacant;;15/03/2023;non;;\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def importer(user, contenu, *, nom="situations.csv", appliquer=False, encodage="utf-8"):
    """Dépose le fichier (service de la requête) puis exécute le job comme le worker ; renvoie le job."""
    octets = contenu if isinstance(contenu, bytes) else contenu.encode(encodage)
    job = import_demander(fichier=SimpleUploadedFile(nom, octets), user=user, appliquer=appliquer)
    assert job.etat == EtatImport.QUEUED
    return import_executer(import_id=job.pk)


def envoyer(client, contenu, *, nom="situations.csv", appliquer=False):
    """Le parcours de la page : dépôt (redirection vers la page du job), exécution du job, page du job."""
    donnees = {"fichier": SimpleUploadedFile(nom, contenu.encode("utf-8"), content_type="text/csv")}
    if appliquer:
        donnees["appliquer"] = "on"
    reponse = client.post(reverse("communes:import"), donnees)
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    job = Import.objects.get(pk=reponse.url.rstrip("/").rsplit("/", 1)[1])
    import_executer(import_id=job.pk)
    page = client.get(reponse.url)
    assert page.status_code == 200
    job.refresh_from_db()
    return job, page.content.decode()


def cadre(code):
    return Convention.objects.filter(territoire__communes__code_insee=code, type=TypeConvention.CADRE).first()


def code_sans_zero():
    """Une commune PVD dont le code commence par 0 (départements 01 à 09) : son code sans le zéro."""
    return (
        Commune.objects.pvd().filter(code_insee__startswith="0").order_by("code_insee").first().code_insee[1:]
    )


# Droits ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["user_national", "user_regional"])
def test_reserve_aux_departements_et_administrateurs(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("communes:import")).status_code == 403
    fichier = SimpleUploadedFile("situations.csv", VALIDE.encode(), content_type="text/csv")
    assert client.post(reverse("communes:import"), {"fichier": fichier, "appliquer": "on"}).status_code == 403
    assert client.get(reverse("communes:import_modele", args=["xlsx"])).status_code == 403
    assert not Import.objects.exists() and cadre("35012") is None


def test_le_departement_importe_ses_communes_et_le_lien_est_sur_la_liste(client, user_departemental):
    client.force_login(user_departemental)
    assert reverse("communes:import") in client.get(reverse("communes:liste")).content.decode()
    job, page = envoyer(client, VALIDE, appliquer=True)
    assert job.applique and job.erreurs == []
    assert cadre("35012").date_signature == datetime.date(2023, 2, 1)
    assert "Import enregistré : 2 communes mises à jour." in page


def test_liste_sans_lien_pour_le_national(client, user_national):
    client.force_login(user_national)
    assert reverse("communes:import") not in client.get(reverse("communes:liste")).content.decode()


def test_departemental_refuse_ligne_par_ligne_hors_de_son_departement(user_departemental):
    autres = list(
        Commune.objects.pvd()
        .exclude(departement_id="35")
        .order_by("code_insee")
        .values_list("code_insee", flat=True)[:2]
    )
    contenu = ENTETE + "35012;;vacant;;;;;\n" + "".join(f"{code};;vacant;;;;;\n" for code in autres)
    job = importer(user_departemental, contenu, appliquer=True)
    assert job.etat == EtatImport.DONE and not job.applique
    assert [(ligne, colonne) for ligne, colonne, _ in job.erreurs] == [(3, "code_insee"), (4, "code_insee")]
    assert "vous ne pouvez importer que les communes de votre département" in job.erreurs[0][2]
    assert not ChefDeProjet.objects.filter(territoire__communes__code_insee__in=["35012", *autres]).exists()


def test_page_du_job_d_un_autre_est_introuvable(client, user_departemental, user_admin):
    job = importer(user_admin, VALIDE)
    client.force_login(user_departemental)
    for nom in ("communes:import_detail", "communes:import_etat", "communes:import_rapport"):
        assert client.get(reverse(nom, args=[job.pk])).status_code == 404, nom
    assert client.post(reverse("communes:import_confirmer", args=[job.pk])).status_code == 404
    assert Import.objects.count() == 1


# Simulation, enregistrement, atomicité ---------------------------------------------------------------------
def test_simulation_valide_n_enregistre_rien(client, user_admin):
    client.force_login(user_admin)
    job, page = envoyer(client, VALIDE)
    assert job.etat == EtatImport.DONE and job.erreurs == [] and job.rapport["lignes"] == 2
    assert not job.applique
    assert "Simulation réussie" in page and "Importer ce fichier" in page
    assert cadre("35012") is None and cadre("35019") is None


def test_importer_ce_fichier_depuis_la_simulation(client, user_admin):
    client.force_login(user_admin)
    simulation, _ = envoyer(client, VALIDE)
    reponse = client.post(reverse("communes:import_confirmer", args=[simulation.pk]))
    job = Import.objects.exclude(pk=simulation.pk).get()
    assert reponse.url == reverse("communes:import_detail", args=[job.pk])
    assert (job.fichier.name, job.mode, job.simulation_id) == (
        simulation.fichier.name,
        "enregistrement",
        simulation.pk,
    )
    import_executer(import_id=job.pk)
    job.refresh_from_db()
    assert job.applique and cadre("35012").vaut_ort is True
    # Une simulation en erreur ne s'importe pas.
    echec, page = envoyer(client, ENTETE + "99999;;;;;;;\n")
    assert "Importer ce fichier" not in page
    client.post(reverse("communes:import_confirmer", args=[echec.pk]))
    assert Import.objects.count() == 3


def test_import_applique_avec_historique_et_journal(user_admin):
    job = importer(user_admin, VALIDE, appliquer=True)
    assert job.applique and job.erreurs == [] and job.rapport["communes"] == ["35012", "35019"]
    c = cadre("35012")
    assert (c.date_signature, c.vaut_ort) == (datetime.date(2023, 2, 1), True)
    assert cadre("35019").date_signature == datetime.date(2023, 3, 15)
    t = Territoire.objects.get(communes__code_insee="35012")
    assert (t.crte_id, t.date_inscription_crte) == ("crte-53-35-12", datetime.date(2023, 4, 1))
    assert ChefDeProjet.objects.get(territoire=t).statut == "en_poste"
    historique = c.history.first()
    assert historique.history_user.username == "demo-admin"
    assert historique.history_change_reason == "Import du fichier situations.csv"
    assert t.history.first().history_change_reason == "Import du fichier situations.csv"
    evenement = EvenementSecurite.objects.get(type=TypeEvenement.IMPORT)
    assert evenement.user == user_admin and "situations.csv" in evenement.detail
    # Relancer le même job ne refait rien (idempotent).
    versions = c.version
    assert import_executer(import_id=job.pk).applique
    assert cadre("35012").version == versions and c.history.count() == 1


def test_un_meme_fichier_reimporte_ne_change_rien(user_admin):
    importer(user_admin, VALIDE, appliquer=True)
    c = cadre("35012")
    job = importer(user_admin, VALIDE, appliquer=True)
    assert job.applique and job.rapport["objets_enregistres"] == 0
    assert cadre("35012").version == c.version and c.history.count() == 1


def test_une_erreur_et_rien_n_est_enregistre(client, user_admin):
    client.force_login(user_admin)
    contenu = VALIDE + (
        "99999;;;;;;;\n35023;;en_poste;;;;;\n35037;;;;2019-01-01;oui;;\n35049;;;;2023-01-01;peut-être;;\n"
    )
    job, page = envoyer(client, contenu, appliquer=True)
    assert job.etat == EtatImport.DONE and not job.applique
    erreurs = {(ligne, colonne) for ligne, colonne, _ in job.erreurs}
    assert erreurs == {
        (4, "code_insee"),
        (5, "date_prise_poste"),
        (6, "date_convention_cadre"),
        (7, "cadre_vaut_ort"),
    }
    messages = " ".join(m for _, _, m in job.erreurs)
    assert "n’est pas une commune PVD" in messages
    assert "ne peut pas être signée avant la convention d’adhésion" in messages
    assert "4 erreurs sur 6 lignes : rien n’a été enregistré." in page
    # Les lignes valides n'ont pas été enregistrées non plus.
    assert cadre("35012") is None and cadre("35019") is None
    assert not ChefDeProjet.objects.filter(territoire__communes__code_insee="35012").exists()
    assert not EvenementSecurite.objects.filter(type=TypeEvenement.IMPORT).exists()


def test_une_ligne_voit_les_lignes_precedentes_du_meme_fichier(user_admin):
    """L'adhésion et la convention-cadre sur la même ligne : la règle « pas avant l'adhésion » lit l'adhésion
    du fichier (pas encore en base)."""
    contenu = (
        ENTETE.replace("\n", "") + "\n35012;2021-05-03;;;2021-01-01;;;\n35019;2021-05-03;;;2023-01-01;oui;;\n"
    )
    job = importer(user_admin, contenu, appliquer=True)
    assert [(e[0], e[1]) for e in job.erreurs] == [(2, "date_convention_cadre")]
    assert "(signée le 03/05/2021)" in job.erreurs[0][2]
    assert cadre("35019") is None


def test_doublons_signales_avec_les_deux_lignes(user_admin):
    contenu = ENTETE + "35012;;a_recruter;;;;;\n35019;;vacant;;;;;\n35012;;vacant;;;;;\n"
    job = importer(user_admin, contenu, appliquer=True)
    assert not job.applique
    assert [(e[0], e[1]) for e in job.erreurs] == [(4, "code_insee")]
    assert "lignes 2 et 4" in job.erreurs[0][2]
    assert not ChefDeProjet.objects.filter(territoire__communes__code_insee__in=["35012", "35019"]).exists()


def test_zero_initial_retabli_quand_c_est_une_commune_pvd(user_admin):
    court = code_sans_zero()
    contenu = f"code_insee;statut_chef_projet\n{court};vacant\n"
    job = importer(user_admin, contenu, appliquer=True)
    assert job.applique and job.erreurs == [] and job.rapport["communes"] == ["0" + court]
    assert job.notes == [
        [2, "code_insee", f"« {court} » lu « 0{court} » (zéro initial perdu par le tableur)."]
    ]
    assert ChefDeProjet.objects.get(territoire__communes__code_insee="0" + court).statut == "vacant"
    # Quatre chiffres qui ne donnent pas une commune PVD : erreur ; les codes corses ne sont pas touchés.
    codes_pvd = set(Commune.objects.pvd().values_list("code_insee", flat=True))
    absent = next(f"{n:04d}" for n in range(1000, 10000) if f"0{n:04d}" not in codes_pvd)
    assert imports._code(absent, codes_pvd) == (absent, None)
    assert imports._code("2A04", codes_pvd) == ("2A04", None)
    corse = Commune.objects.pvd().filter(departement_id="2A").values_list("code_insee", flat=True).first()
    if corse:
        assert imports._code(corse.lower(), codes_pvd) == (corse, None)


def test_conflit_avec_une_saisie_entre_controle_et_enregistrement(user_admin, user_departemental):
    """Quelqu'un enregistre une fiche pendant le contrôle : l'import échoue, rien n'est écrasé."""
    importer(user_admin, "code_insee;statut_chef_projet\n35012;a_recruter\n", appliquer=True)
    chef = ChefDeProjet.objects.get(territoire__communes__code_insee="35012")
    job = import_demander(
        fichier=SimpleUploadedFile("s.csv", VALIDE.encode()), user=user_admin, appliquer=True
    )
    controler = imports._controler

    def controle_puis_saisie(job_, contenu, rapport):
        contexte = controler(job_, contenu, rapport)
        form = ChefDeProjetForm(
            data={"statut": "vacant", "version": chef.version},
            instance=ChefDeProjet.objects.get(pk=chef.pk),
            territoire=chef.territoire,
        )
        assert form.is_valid(), form.errors
        suivi_enregistrer(form=form, user=user_departemental, version=chef.version)
        return contexte

    imports._controler = controle_puis_saisie
    try:
        job = import_executer(import_id=job.pk)
    finally:
        imports._controler = controler
    assert job.etat == EtatImport.FAILED and not job.applique
    assert "modifié par quelqu’un d’autre pendant l’import" in job.erreur
    assert ChefDeProjet.objects.get(pk=chef.pk).statut == "vacant"  # la saisie est gardée
    assert cadre("35012") is None and cadre("35019") is None


# Formats ---------------------------------------------------------------------------------------------------
def _fichier_libelles(avec_erreur):
    """Le même contenu, avec les libellés du modèle en en-tête (accents et apostrophe typographique) : une
    note (zéro initial), trois lignes valides, et (avec_erreur) une ligne en erreur."""
    court = code_sans_zero()
    entetes = [
        COLONNES[c].libelle
        for c in (
            "code_insee",
            "statut_chef_projet",
            "date_adhesion",
            "date_convention_cadre",
            "cadre_vaut_ort",
        )
    ]
    lignes = [
        ["35012", "a_recruter", "2021-05-03", "2023-02-01", "oui"],
        [court, "vacant", "", "", ""],
        *([["35019", "à recruter", "", "", ""]] if avec_erreur else []),
        ["35023", "vacant", "2021-06-01", "", ""],
    ]
    return entetes, lignes


def _csv(separateur, avec_erreur):
    entetes, lignes = _fichier_libelles(avec_erreur)
    tampon = io.StringIO()
    csv.writer(tampon, delimiter=separateur, lineterminator="\r\n").writerows([entetes, *lignes])
    return tampon.getvalue()


def _xlsx(avec_erreur):
    entetes, lignes = _fichier_libelles(avec_erreur)
    classeur = Workbook()
    feuille = classeur.active
    feuille.append(entetes)
    for ligne in lignes:
        cellules = list(ligne)
        cellules[0] = int(cellules[0])  # un tableur écrit le code comme un nombre (sans zéro initial)
        for i in (2, 3):
            if cellules[i]:
                cellules[i] = datetime.datetime.fromisoformat(cellules[i])  # de vraies dates
        feuille.append(cellules)
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


FORMATS = {
    "csv-utf8": lambda e: ("s.csv", _csv(";", e).encode("utf-8")),
    "csv-utf8-bom-virgule": lambda e: ("s.csv", b"\xef\xbb\xbf" + _csv(",", e).encode("utf-8")),
    "csv-windows-1252": lambda e: ("s.csv", _csv(";", e).encode("cp1252")),
    "xlsx": lambda e: ("s.xlsx", _xlsx(e)),
}


def test_les_formats_donnent_le_meme_rapport(user_admin):
    rapports = {}
    for nom, fabrique in FORMATS.items():
        fichier, contenu = fabrique(True)
        job = importer(user_admin, contenu, nom=fichier)
        rapports[nom] = (job.rapport["communes"], job.erreurs, job.notes)
        if nom == "csv-windows-1252":
            assert "Windows-1252" in job.rapport["format"]
    attendu = rapports["csv-utf8"]
    assert attendu[0] == ["35012", "0" + code_sans_zero(), "35023"]
    assert [(e[0], e[1]) for e in attendu[1]] == [(4, "statut_chef_projet")]
    assert len(attendu[2]) == 1
    assert all(r == attendu for r in rapports.values()), rapports


@pytest.mark.parametrize("format_", list(FORMATS))
def test_les_formats_enregistrent_la_meme_chose(user_admin, format_):
    fichier, contenu = FORMATS[format_](False)
    job = importer(user_admin, contenu, nom=fichier, appliquer=True)
    assert job.applique and job.erreurs == [], job.erreurs
    c = cadre("35012")
    assert (c.date_signature, c.vaut_ort) == (datetime.date(2023, 2, 1), True)
    adhesion = Convention.objects.get(territoire__communes__code_insee="35023", type=TypeConvention.ADHESION)
    assert adhesion.date_signature == datetime.date(2021, 6, 1)
    assert (
        ChefDeProjet.objects.get(territoire__communes__code_insee="0" + code_sans_zero()).statut == "vacant"
    )
    assert ChefDeProjet.objects.get(territoire__communes__code_insee="35012").statut == "a_recruter"


def test_fichier_mal_forme(client, user_admin):
    client.force_login(user_admin)
    # En-tête refusé dès le dépôt, dans la requête : message sur le formulaire, aucun job.
    for nom, contenu, message in (
        ("s.csv", b"commune;date\n35012;2023-01-01\n", "La colonne code_insee est obligatoire."),
        ("s.csv", b"code_insee;couleur\n35012;bleu\n", "Colonnes inconnues : couleur."),
        ("s.csv", b"code_insee\n35012\n\x81\x8d", "Encodage non reconnu"),
        ("s.xlsx", b"PK\x03\x04pas un classeur", "pas un classeur XLSX lisible"),
        ("s.xls", b"x", "extension .csv ou .xlsx"),
        ("s.csv", b'code_insee;statut\n"35012', None),
    ):
        avant = Import.objects.count()
        reponse = client.post(reverse("communes:import"), {"fichier": SimpleUploadedFile(nom, contenu)})
        if message is None:
            continue
        assert reponse.status_code == 200 and message in reponse.content.decode(), (nom, contenu)
        assert Import.objects.count() == avant


def test_fichier_trop_volumineux(client, user_admin):
    client.force_login(user_admin)
    contenu = (ENTETE + ";;;;;;;\n" * (imports.TAILLE_MAX // 8)).encode()
    reponse = client.post(reverse("communes:import"), {"fichier": SimpleUploadedFile("s.csv", contenu)})
    assert "Fichier trop volumineux (5 Mo au plus)." in reponse.content.decode()
    assert not Import.objects.exists()


# Rapport et modèle -----------------------------------------------------------------------------------------
def test_rapport_des_erreurs_a_telecharger(client, user_admin):
    client.force_login(user_admin)
    job, page = envoyer(
        client, ENTETE + "99999;;;;;;;\n35012;;en_poste;;;;;\n" + f"{code_sans_zero()};;vacant;;;;;\n"
    )
    assert reverse("communes:import_rapport", args=[job.pk]) in page
    reponse = client.get(reverse("communes:import_rapport", args=[job.pk]))
    assert reponse["Content-Type"].startswith("text/csv")
    lignes = list(csv.reader(io.StringIO(reponse.content.decode("utf-8-sig")), delimiter=";"))
    assert lignes[0] == ["ligne", "colonne", "type", "message"]
    assert lignes[1] == ["2", "code_insee", "erreur", "« 99999 » n’est pas une commune PVD."]
    assert [ligne[:3] for ligne in lignes[2:]] == [
        ["3", "date_prise_poste", "erreur"],
        ["4", "code_insee", "note"],
    ]


@pytest.mark.parametrize("format_", ["csv", "xlsx"])
def test_modele_a_telecharger_est_importable(client, user_departemental, format_):
    client.force_login(user_departemental)
    reponse = client.get(reverse("communes:import_modele", args=[format_]))
    assert reponse.status_code == 200
    if format_ == "xlsx":
        classeur = load_workbook(io.BytesIO(reponse.content))
        assert [c.value for c in classeur.worksheets[0][1]] == [c.libelle for c in COLONNES.values()]
        assert [r[1] for r in classeur.worksheets[1].iter_rows(min_row=2, values_only=True)] == list(COLONNES)
    else:
        lignes = list(csv.reader(io.StringIO(reponse.content.decode("utf-8-sig")), delimiter=";"))
        assert lignes[0] == list(COLONNES)
    # Le modèle tel quel (sa ligne d'exemple, commune 35012) est un fichier valide.
    job = importer(user_departemental, reponse.content, nom=f"modele.{format_}")
    assert job.etat == EtatImport.DONE and job.erreurs == [] and job.rapport["communes"] == ["35012"]


def test_liste_des_imports_et_page_du_job(client, user_admin, django_assert_num_queries):
    client.force_login(user_admin)
    for _ in range(3):
        importer(user_admin, VALIDE)
    page = client.get(reverse("communes:import")).content.decode()
    assert page.count(reverse("communes:import_detail", args=[Import.objects.first().pk])) == 1
    assert "Vos derniers imports" in page
    # session, utilisateur, bandeau de démonstration, cloche, imports : autant pour 3 imports que pour 12.
    with django_assert_num_queries(5):
        client.get(reverse("communes:import"))
    for _ in range(9):
        importer(user_admin, VALIDE)
    with django_assert_num_queries(5):
        assert client.get(reverse("communes:import")).content.decode().count("<tr>") == 1 + 10
    job = Import.objects.create(
        user=user_admin,
        nom_fichier="en-cours.csv",
        fichier="x.csv",
        lignes_total=200,
        lignes_traitees=50,
        etat=EtatImport.RUNNING,
        etape="Contrôle des lignes",
    )
    page = client.get(reverse("communes:import_detail", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and 'value="25"' in page and "js/imports.js" in page
    etat = client.get(reverse("communes:import_etat", args=[job.pk])).json()
    assert (etat["progression"], etat["termine"], etat["lignes_traitees"]) == (25, False, 50)


def test_job_abandonne_passe_en_echec(user_admin, settings):
    job = Import.objects.create(
        user=user_admin,
        nom_fichier="perdu.csv",
        fichier="x.csv",
        etat=EtatImport.RUNNING,
        started_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )
    assert imports.imports_abandonnes_clore() == 1
    job.refresh_from_db()
    assert job.etat == EtatImport.FAILED and "n’a pas abouti" in job.erreur


def test_utilisateur_sans_droit_au_moment_du_job(user_admin):
    job = import_demander(
        fichier=SimpleUploadedFile("s.csv", VALIDE.encode()), user=user_admin, appliquer=True
    )
    User.objects.filter(pk=user_admin.pk).update(role="national")
    job = import_executer(import_id=job.pk)
    assert job.etat == EtatImport.FAILED and cadre("35012") is None
