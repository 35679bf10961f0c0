from django.contrib.auth import views as auth_views

from comptes.forms import ConnexionForm


class ConnexionView(auth_views.LoginView):
    form_class = ConnexionForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}


class DeconnexionView(auth_views.LogoutView):
    pass
