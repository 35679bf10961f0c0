/* Suivi d'une génération de PDF (ou d'un lot) : interroge l'état en JSON et met la page à jour ;
   recharge la page quand le travail est terminé (lien de téléchargement ou motif de l'échec).
   Sans JavaScript, la page se recharge seule (balise noscript) et garde un lien « Actualiser ». */
(function () {
  "use strict";
  var DELAI = 1000;

  function suivre(element, url, estTermine, miseAJour) {
    function interroger() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (reponse) {
          if (!reponse.ok) { throw new Error(reponse.status); }
          return reponse.json();
        })
        .then(function (etat) {
          miseAJour(element, etat);
          if (estTermine(etat)) {
            window.location.reload();
          } else {
            window.setTimeout(interroger, DELAI);
          }
        })
        .catch(function () { window.setTimeout(interroger, DELAI * 3); });
    }
    window.setTimeout(interroger, DELAI);
  }

  function champ(element, nom) {
    return element.querySelector('[data-generation-champ="' + nom + '"], [data-lot-champ="' + nom + '"]');
  }

  document.querySelectorAll("[data-generation-url]").forEach(function (element) {
    var etat = element.getAttribute("data-generation-etat");
    if (etat !== "unsent" && etat !== "queued" && etat !== "running") { return; }
    suivre(element, element.getAttribute("data-generation-url"), function (e) { return e.termine; },
      function (el, e) {
        var progression = el.querySelector("progress");
        if (progression) { progression.value = e.progression; progression.textContent = e.progression + " %"; }
        var libelle = champ(el, "etat_label");
        if (libelle) { libelle.textContent = e.etat_label; }
        var etape = champ(el, "etape");
        if (etape) { etape.textContent = e.etape ? " — " + e.etape + " (" + e.progression + " %)" : ""; }
      });
  });

  document.querySelectorAll("[data-lot-url]").forEach(function (element) {
    if (element.getAttribute("data-lot-termine") === "1") { return; }
    suivre(element, element.getAttribute("data-lot-url"), function (e) { return e.termine; },
      function (el, e) {
        var progression = el.querySelector("progress");
        if (progression) { progression.value = e.progression; progression.textContent = e.progression + " %"; }
        var termines = champ(el, "termines");
        if (termines) { termines.textContent = e.termines; }
      });
  });
})();
