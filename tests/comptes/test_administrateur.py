"""Premier compte d'une installation : manage.py creer_administrateur (createsuperuser ne sait pas
donner le rôle que la contrainte de territoire exige)."""

import pytest
from django.core.management import CommandError, call_command

from comptes.constants import Role
from comptes.models import User

pytestmark = pytest.mark.django_db


def test_creer_administrateur_avec_mot_de_passe(monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Exploitation-PVD-2026!")
    call_command("creer_administrateur", "exploitant", "exploitant@example.gouv.fr")
    user = User.objects.get(username="exploitant")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMINISTRATEUR, True, True)
    # Connexion par la vraie page (django-axes exige la requête, que client.login ne fournit pas).
    reponse = client.post("/connexion/", {"username": "exploitant", "password": "Exploitation-PVD-2026!"})
    assert reponse.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_creer_administrateur_sans_mot_de_passe_pour_proconnect():
    call_command("creer_administrateur", "agent-admin", "agent.admin@example.gouv.fr", "--sans-mot-de-passe")
    assert not User.objects.get(username="agent-admin").has_usable_password()


def test_refus_explicites(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "123")
    with pytest.raises(CommandError, match="trop court"):
        call_command("creer_administrateur", "exploitant", "exploitant@example.gouv.fr")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Exploitation-PVD-2026!")
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("creer_administrateur", "demo-admin", "autre@example.gouv.fr")
    assert not User.objects.filter(username="exploitant").exists()
