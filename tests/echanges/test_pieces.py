"""Pièces jointes de la fiche commune (app echanges/) : type lu dans le contenu, taille maximale, analyse
par un vrai clamd (base de signatures locale qui contient celle du fichier de test EICAR), téléchargement
après le contrôle d'accès (404 hors territoire), versions, historique.

Territoires réels : commune 35012 (Ille-et-Vilaine, Bretagne) ; 01034 (Ain)."""

import io
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from echanges.fichiers import DOCX, JPEG, ODT, PDF, PNG, type_du_contenu
from echanges.models import PieceJointe, VersionPiece

pytestmark = pytest.mark.django_db

PDF_SAIN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def archive(membres):
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as z:
        for nom, contenu in membres.items():
            z.writestr(nom, contenu)
    return tampon.getvalue()


DOCX_OK = archive({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
ODT_OK = archive({"mimetype": ODT, "content.xml": "<office:document-content/>"})


@pytest.mark.parametrize(
    "contenu, attendu",
    [
        (PDF_SAIN, PDF),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, PNG),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, JPEG),
        (DOCX_OK, DOCX),
        (ODT_OK, ODT),
        (b"MZ\x90\x00 programme Windows", None),
        (b"<html><script>alert(1)</script></html>", None),
        (archive({"autre.txt": "x"}), None),  # un ZIP quelconque n'est pas un document
        (b"PK\x03\x04 tronque", None),
        (EICAR, None),
    ],
)
def test_type_lu_dans_le_contenu(contenu, attendu):
    assert type_du_contenu(contenu) == attendu


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOTE = ""
    return tmp_path


def deposer(client, fichier, nom="convention.pdf", code="35012", **valeurs):
    donnees = {"type": "convention_adhesion", "titre": "Convention d’adhésion signée", **valeurs}
    donnees["fichier"] = SimpleUploadedFile(nom, fichier, content_type="application/pdf")
    return client.post(reverse("echanges:pieces", args=[code]), donnees)


def test_depot_versions_telechargement_et_historique(client, media, user_departemental, user_regional):
    client.force_login(user_departemental)
    reponse = deposer(client, PDF_SAIN)
    assert reponse.status_code == 302, reponse.content.decode()[:500]
    piece = PieceJointe.objects.get()
    assert piece.commune_id == "35012" and piece.versions.get().content_type == PDF
    # Nouvelle version : DOCX, la première reste.
    reponse = client.post(
        reverse("echanges:piece_version", args=[piece.pk]),
        {"fichier": SimpleUploadedFile("v2.docx", DOCX_OK)},
    )
    assert reponse.status_code == 302
    assert list(piece.versions.order_by("numero").values_list("numero", "content_type")) == [
        (1, PDF),
        (2, DOCX),
    ]
    fiche = client.get(reverse("communes:detail", args=["35012"])).content.decode()
    assert "Convention d’adhésion signée" in fiche and "Version 2" in fiche and "Version 1" in fiche
    # Dans l'historique de la fiche : les deux dépôts, avec leur auteur.
    from communes.historique import historique_territoire
    from territoires.models import Commune

    depots = [
        e
        for e in historique_territoire(Commune.objects.get(code_insee="35012").territoire)
        if e.type == "Pièce jointe déposée"
    ]
    assert [e.objet for e in depots] == [
        "Convention d’adhésion « Convention d’adhésion signée », version 2",
        "Convention d’adhésion « Convention d’adhésion signée », version 1",
    ]
    assert {e.auteur for e in depots} == {"Claire Morvan"}
    # La région lit et télécharge, sans déposer.
    client.force_login(user_regional)
    v1 = piece.versions.get(numero=1)
    reponse = client.get(reverse("echanges:version_piece", args=[v1.pk]))
    assert reponse.status_code == 200 and reponse["Content-Type"] == PDF
    assert b"".join(reponse.streaming_content) == PDF_SAIN
    assert "attachment" in reponse["Content-Disposition"]
    assert deposer(client, PDF_SAIN).status_code == 403
    assert PieceJointe.objects.count() == 1
    # Historique (simple_history) : la pièce et ses deux versions, avec leur auteur.
    assert VersionPiece.history.filter(piece_id=piece.pk, history_type="+").count() == 2


def test_hors_territoire_404(client, media, user_departemental, user_regional):
    client.force_login(user_departemental)
    deposer(client, PDF_SAIN)
    version = VersionPiece.objects.get()
    from comptes.models import User

    autre = User.objects.create(username="agent-01-pieces", role="departemental", departement_id="01")
    client.force_login(autre)
    assert client.get(reverse("echanges:version_piece", args=[version.pk])).status_code == 404
    assert client.get(reverse("echanges:pieces", args=["35012"])).status_code == 404
    assert deposer(client, PDF_SAIN).status_code == 404
    assert (
        client.post(
            reverse("echanges:piece_version", args=[version.piece_id]),
            {"fichier": SimpleUploadedFile("x.pdf", PDF_SAIN)},
        ).status_code
        == 404
    )
    assert VersionPiece.objects.count() == 1


@pytest.mark.parametrize(
    "contenu, nom",
    [
        (b"MZ\x90\x00 programme", "convention.pdf"),  # exécutable renommé en .pdf
        (b"Ceci est du texte.", "convention.pdf"),
        (archive({"a.txt": "x"}), "convention.docx"),
    ],
)
def test_type_refuse_par_le_contenu(client, media, user_departemental, contenu, nom):
    client.force_login(user_departemental)
    reponse = deposer(client, contenu, nom=nom)
    assert reponse.status_code == 200
    assert "son contenu a été vérifié" in reponse.content.decode()
    assert not PieceJointe.objects.exists()


def test_taille_maximale_du_reglage(client, media, settings, user_departemental):
    settings.PIECES_JOINTES_MAX_MO = 1
    client.force_login(user_departemental)
    reponse = deposer(client, PDF_SAIN + b"0" * (1024 * 1024))
    assert reponse.status_code == 200 and "dépasse 1 Mo" in reponse.content.decode()
    assert deposer(client, PDF_SAIN).status_code == 302


# --- Un vrai clamd ------------------------------------------------------------------------------------

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


@pytest.fixture
def clamd(tmp_path_factory):
    """clamd avec une base locale de deux signatures : l'empreinte MD5 du fichier EICAR (format .hdb) et son
    contenu, où qu'il soit dans le fichier (format .ndb)."""
    if not Path(CLAMD).exists():
        pytest.skip("clamd n'est pas installé (apt-get install clamav-daemon)")
    import hashlib

    dossier = tmp_path_factory.mktemp("clamd")
    base = dossier / "base"
    base.mkdir()
    (base / "eicar.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Signature\n")
    (base / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n")
    socket_ = dossier / "clamd.sock"
    conf = dossier / "clamd.conf"
    conf.write_text(
        f"LocalSocket {socket_}\nDatabaseDirectory {base}\nForeground yes\nLogFile {dossier / 'clamd.log'}\n"
        "LogVerbose no\nStreamMaxLength 20M\n"
    )
    processus = subprocess.Popen(
        [CLAMD, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(300):
            if socket_.exists():
                break
            if processus.poll() is not None:
                pytest.fail("clamd s'est arrêté :\n" + (dossier / "clamd.log").read_text())
            time.sleep(0.1)
        else:
            pytest.fail("clamd ne répond pas")
        yield str(socket_)
    finally:
        processus.terminate()
        processus.wait(10)


def test_clamav_refuse_eicar_accepte_un_pdf_sain(client, media, settings, clamd, user_departemental):
    settings.CLAMD_SOCKET = clamd
    client.force_login(user_departemental)
    # EICAR dans un PDF (le type est accepté, l'antivirus refuse).
    reponse = deposer(client, PDF_SAIN + EICAR + b"\n%%EOF\n")
    assert reponse.status_code == 200
    assert "Eicar-Test-Signature" in reponse.content.decode() and "malveillant" in reponse.content.decode()
    assert not PieceJointe.objects.exists()
    assert deposer(client, PDF_SAIN).status_code == 302
    assert PieceJointe.objects.count() == 1


def test_clamav_configure_mais_injoignable_refuse(client, media, settings, tmp_path, user_departemental):
    settings.CLAMD_SOCKET = str(tmp_path / "absent.sock")
    client.force_login(user_departemental)
    reponse = deposer(client, PDF_SAIN)
    assert reponse.status_code == 200 and "antivirus est indisponible" in reponse.content.decode()
    assert not PieceJointe.objects.exists()
