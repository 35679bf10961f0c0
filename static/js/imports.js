/* Suivi d'un import de situations : interroge l'état en JSON et met à jour la progression ; recharge la
   page quand le job est terminé (résumé, erreurs, rapport). Sans JavaScript, la page se recharge seule
   (balise noscript) et garde un lien « Actualiser l'état ». */
(function () {
  "use strict";
  var DELAI = 1000;
  var element = document.querySelector("[data-import-url]");
  if (!element) { return; }
  var etat = element.getAttribute("data-import-etat");
  if (etat !== "queued" && etat !== "running") { return; }
  var url = element.getAttribute("data-import-url");

  function champ(nom) { return element.querySelector('[data-import-champ="' + nom + '"]'); }

  function interroger() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (reponse) {
        if (!reponse.ok) { throw new Error(reponse.status); }
        return reponse.json();
      })
      .then(function (e) {
        if (e.termine) { window.location.reload(); return; }
        var progression = element.querySelector("progress");
        if (progression) { progression.value = e.progression; progression.textContent = e.progression + " %"; }
        var libelle = champ("etat_label");
        if (libelle && libelle.textContent !== e.etat_label) { libelle.textContent = e.etat_label; }
        var etape = champ("etape");
        var texte = e.etape ? " — " + e.etape + (e.lignes_total ? " (" + e.lignes_traitees + " sur " + e.lignes_total + ")" : "") : "";
        if (etape && etape.textContent !== texte) { etape.textContent = texte; }
        window.setTimeout(interroger, DELAI);
      })
      .catch(function () { window.setTimeout(interroger, DELAI * 3); });
  }
  window.setTimeout(interroger, DELAI);
})();
