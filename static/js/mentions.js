// Mentions dans un commentaire : un clic sur une personne insère « @identifiant » à l'endroit du curseur ;
// en tapant « @ » suivi du début d'un identifiant, la liste ne garde que les personnes qui correspondent.
(function () {
  "use strict";
  document.querySelectorAll(".pvd-mentions").forEach(function (bloc) {
    var liste = bloc.querySelector("[data-cible]");
    var zone = document.getElementById(liste.dataset.cible);
    if (!zone) { return; }
    var boutons = Array.prototype.slice.call(bloc.querySelectorAll(".pvd-mention"));
    boutons.forEach(function (bouton) {
      bouton.addEventListener("click", function () {
        var debut = zone.selectionStart, fin = zone.selectionEnd, texte = zone.value;
        var avant = texte.slice(0, debut).replace(/@[\w.+-]*$/, "");
        var insere = bouton.dataset.mention + " ";
        zone.value = avant + insere + texte.slice(fin);
        zone.focus();
        zone.selectionStart = zone.selectionEnd = avant.length + insere.length;
        boutons.forEach(function (b) { b.parentElement.hidden = false; });
      });
    });
    zone.addEventListener("input", function () {
      var m = zone.value.slice(0, zone.selectionStart).match(/@([\w.+-]*)$/);
      if (m) { bloc.open = true; }
      boutons.forEach(function (b) {
        b.parentElement.hidden = Boolean(m) && b.dataset.mention.toLowerCase().indexOf("@" + m[1].toLowerCase()) !== 0;
      });
    });
  });
})();
