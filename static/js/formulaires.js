// Formulaires du suivi : amélioration progressive, le serveur fait toujours les mêmes contrôles.
// 1. Le résumé des erreurs reçoit le focus à l'affichage (il porte aussi autofocus).
// 2. La liste des mesures du fonds vert suit l'axe choisi (data-pvd-mesures, écrit par FinancementForm).
(function () {
  "use strict";
  var resume = document.querySelector("[data-pvd-resume-erreurs]");
  if (resume && document.activeElement !== resume) {
    resume.focus();
  }

  document.querySelectorAll("select[data-pvd-mesures]").forEach(function (mesure) {
    var axe = document.getElementById(mesure.dataset.pvdAxe);
    if (!axe) {
      return;
    }
    var parAxe = JSON.parse(mesure.dataset.pvdMesures);
    var toutes = [];
    Object.keys(parAxe).forEach(function (code) {
      toutes.push({ axe: code, mesures: parAxe[code] });
    });
    var libellesAxes = {};
    Array.prototype.forEach.call(axe.options, function (option) {
      libellesAxes[option.value] = option.text;
    });

    function option(valeur, texte) {
      var o = document.createElement("option");
      o.value = valeur;
      o.textContent = texte;
      return o;
    }

    function remplir() {
      var choisie = mesure.value;
      var mesures = parAxe[axe.value];
      mesure.replaceChildren(option("", mesures ? mesure.dataset.pvdVideAxe : mesure.dataset.pvdVide));
      if (mesures) {
        mesures.forEach(function (m) {
          mesure.appendChild(option(m[0], m[1]));
        });
      } else {
        toutes.forEach(function (groupe) {
          var optgroup = document.createElement("optgroup");
          optgroup.label = libellesAxes[groupe.axe] || groupe.axe;
          groupe.mesures.forEach(function (m) {
            optgroup.appendChild(option(m[0], m[1]));
          });
          mesure.appendChild(optgroup);
        });
      }
      // La mesure déjà choisie reste choisie si elle relève du nouvel axe, sinon la liste revient au choix vide.
      mesure.value = choisie;
      if (mesure.value !== choisie) {
        mesure.value = "";
      }
    }

    axe.addEventListener("change", remplir);
  });
})();
