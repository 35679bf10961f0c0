"""Contrôles de la pièce jointe d'une réunion : PDF (extension et signature du contenu), taille bornée."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat

SIGNATURE_PDF = b"%PDF-"

valider_extension_pdf = FileExtensionValidator(
    allowed_extensions=["pdf"], message="La pièce jointe doit être un fichier PDF (extension .pdf)."
)


def _deja_enregistre(fichier):
    # Un fichier déjà stocké a été contrôlé à son dépôt : inutile de le relire à chaque modification.
    return getattr(fichier, "_committed", False)


def taille_max_octets():
    return settings.CLUB_PIECE_JOINTE_MAX_MO * 1024 * 1024


def valider_taille_piece_jointe(fichier):
    if _deja_enregistre(fichier):
        return
    if fichier.size > taille_max_octets():
        raise ValidationError(
            "La pièce jointe dépasse la taille maximale de %(max)s Mo (elle fait %(taille)s).",
            code="taille",
            params={"max": settings.CLUB_PIECE_JOINTE_MAX_MO, "taille": filesizeformat(fichier.size)},
        )


def valider_signature_pdf(fichier):
    """Le contenu doit commencer par « %PDF- », quelle que soit l'extension annoncée."""
    if _deja_enregistre(fichier):
        return
    contenu = getattr(fichier, "file", fichier)
    contenu.seek(0)
    debut = contenu.read(len(SIGNATURE_PDF))
    contenu.seek(0)
    if debut != SIGNATURE_PDF:
        raise ValidationError(
            "Le contenu de la pièce jointe n’est pas celui d’un PDF. Déposez un document PDF.",
            code="signature",
        )
