"""Type d'un fichier déposé, lu dans son contenu (octets de tête, structure de l'archive pour ODT et DOCX),
jamais dans son nom ; analyse antivirus par clamd (protocole INSTREAM) quand elle est configurée."""

import io
import socket
import struct
import zipfile

from django.conf import settings

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", ODT: "odt", DOCX: "docx"}


def type_du_contenu(contenu):
    """Type MIME reconnu d'après le contenu (bytes), ou None si ce n'est ni PDF, ni ODT/DOCX, ni image."""
    if contenu.startswith(b"%PDF-"):
        return PDF
    if contenu.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if contenu.startswith(b"\xff\xd8\xff"):
        return JPEG
    if contenu.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(contenu)) as archive:
                noms = set(archive.namelist())
                if "mimetype" in noms and archive.read("mimetype").strip() == ODT.encode():
                    return ODT
                if "[Content_Types].xml" in noms and "word/document.xml" in noms:
                    return DOCX
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            return None
    return None


class AntivirusIndisponible(Exception):
    pass


def antivirus_configure():
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOTE)


def _connexion():
    if settings.CLAMD_SOCKET:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        adresse = settings.CLAMD_SOCKET
    else:
        hote, _, port = settings.CLAMD_HOTE.rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        adresse = (hote, int(port))
    s.settimeout(30)
    s.connect(adresse)
    return s


def analyser(contenu):
    """None si le fichier est sain (ou si aucun antivirus n'est configuré : les dépôts ne sont pas analysés),
    sinon le nom de la signature trouvée. AntivirusIndisponible si clamd est configuré mais ne répond pas."""
    if not antivirus_configure():
        return None
    try:
        with _connexion() as s:
            s.sendall(b"zINSTREAM\0")
            for debut in range(0, len(contenu), 65536):
                morceau = contenu[debut : debut + 65536]
                s.sendall(struct.pack("!L", len(morceau)) + morceau)
            s.sendall(struct.pack("!L", 0))
            reponse = b""
            while not reponse.endswith(b"\0"):
                recu = s.recv(4096)
                if not recu:
                    break
                reponse += recu
    except OSError as exc:
        raise AntivirusIndisponible(str(exc)) from exc
    reponse = reponse.rstrip(b"\0").decode(errors="replace")
    # « stream: OK » ou « stream: Eicar-Test-Signature FOUND »
    if reponse.endswith("OK"):
        return None
    if reponse.endswith("FOUND"):
        return reponse.split(":", 1)[-1].removesuffix("FOUND").strip()
    raise AntivirusIndisponible(reponse)
