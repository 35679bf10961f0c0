from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, ListView

from echanges import services
from echanges.forms import FiltreNotificationsForm, PreferencesNotificationForm
from echanges.models import Notification

# --- Notifications ----------------------------------------------------------------------------------


class NotificationListView(ListView):
    """Mes notifications, les plus récentes d'abord ; filtre lues / non lues."""

    plan_du_site = "Mes notifications"
    template_name = "echanges/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        self.filtre = FiltreNotificationsForm(self.request.GET or None)
        queryset = Notification.objects.for_user(self.request.user).select_related("commentaire")
        etat = self.filtre.cleaned_data.get("etat") if self.filtre.is_valid() else ""
        if etat == "non_lues":
            queryset = queryset.filter(lue_le__isnull=True)
        elif etat == "lues":
            queryset = queryset.filter(lue_le__isnull=False)
        return queryset.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Mes notifications", filtre=self.filtre, **kwargs)


class NotificationOuvrirView(View):
    """Ouvrir une notification : elle est marquée lue, puis on va à ce dont elle parle."""

    def get(self, request, pk):
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        services.notification_marquer_lue(notification=notification, user=request.user)
        url = notification.url
        if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            url = reverse("echanges:notifications")
        return HttpResponseRedirect(url)


class NotificationLueView(View):
    """Marquer une notification lue (POST, depuis la liste)."""

    def post(self, request, pk):
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        services.notification_marquer_lue(notification=notification, user=request.user)
        return redirect(_retour(request))


class NotificationsToutLireView(View):
    def post(self, request):
        nombre = services.notifications_tout_lire(user=request.user)
        messages.success(
            request,
            f"{nombre} notification{'s' if nombre > 1 else ''} marquée{'s' if nombre > 1 else ''} comme lue{'s' if nombre > 1 else ''}."
            if nombre
            else "Aucune notification non lue.",
        )
        return redirect(_retour(request))


def _retour(request):
    suite = request.POST.get("suite") or ""
    if suite and url_has_allowed_host_and_scheme(suite, allowed_hosts={request.get_host()}):
        return suite
    return reverse("echanges:notifications")


class PreferencesNotificationView(FormView):
    """Préférences d'envoi par type de notification (formulaire affiché sur « Mon compte »)."""

    form_class = PreferencesNotificationForm
    template_name = "echanges/preferences.html"
    extra_context = {"title": "Mes notifications par e-mail"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "initial_frequences": services.preferences_de(self.request.user)}

    def form_valid(self, form):
        services.preferences_notification_enregistrer(user=self.request.user, frequences=form.cleaned_data)
        messages.success(self.request, "Préférences de notification enregistrées.")
        return HttpResponseRedirect(reverse("compte") + "#notifications")
