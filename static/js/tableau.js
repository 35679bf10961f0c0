// Tableau de bord : le choix de l'indicateur ou du découpage redessine la carte sans cliquer sur
// « Afficher » (le formulaire GET marche aussi sans JavaScript) ; bouton d'impression.
(function () {
  "use strict";
  var formulaire = document.getElementById("carte-choix");
  if (formulaire) {
    formulaire.addEventListener("change", function () {
      formulaire.requestSubmit ? formulaire.requestSubmit() : formulaire.submit();
    });
  }
  var imprimer = document.getElementById("imprimer");
  if (imprimer) {
    imprimer.hidden = false;
    imprimer.addEventListener("click", function () { window.print(); });
  }
})();
