from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from comptes.forms import ConnexionForm


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}


class DeconnexionView(auth_views.LogoutView):
    pass


def connexion_verrouillee(request, *args, **kwargs):
    """Réponse de django-axes après trop d'échecs de connexion."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request, "registration/verrouille.html", {"title": "Connexion bloquée", "minutes": minutes}, status=429
    )
