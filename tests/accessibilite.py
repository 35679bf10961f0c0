"""Contrôle d'accessibilité dans la page, avec axe-core (paquet npm, version figée dans
tests/navigateur/package-lock.json, installé par `make navigateur`).

axe-core est injecté par le protocole DevTools (page.evaluate) et non par une balise <script> : la
Content-Security-Policy de l'application refuse tout script en ligne (add_script_tag ajoute le contenu du
fichier dans la page, ce qui serait bloqué et signalé comme violation par la fixture `page`), alors que le
code évalué par DevTools n'est pas soumis à la CSP. axe-core n'utilise ni eval ni new Function."""

from pathlib import Path

import pytest

AXE = Path(__file__).parent / "navigateur" / "node_modules" / "axe-core" / "axe.min.js"

# Critères WCAG 2.0, 2.1 et 2.2, niveaux A et AA (ceux du RGAA).
NORMES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
IMPACTS_BLOQUANTS = ("serious", "critical")
IMPACTS = {"minor": "mineur", "moderate": "modéré", "serious": "grave", "critical": "critique"}

# Exceptions, une règle pour un sélecteur, chacune justifiée ; jamais une règle entière.
# (règle axe, sélecteur CSS de l'élément, raison)
EXCEPTIONS: list[tuple[str, str, str]] = []

_EXECUTER = """async ({normes, exceptions}) => {
  const resultats = await axe.run(document, {
    runOnly: {type: "tag", values: normes},
    resultTypes: ["violations"],
  });
  const excepte = (regle, cible) => {
    const selecteur = cible[cible.length - 1];
    const element = typeof selecteur === "string" ? document.querySelector(selecteur) : null;
    return exceptions.some(([r, s]) => r === regle && element && element.matches(s));
  };
  return resultats.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    noeuds: v.nodes.filter((n) => !excepte(v.id, n.target)).map((n) => ({
      cible: n.target.join(" "), html: n.html.slice(0, 300), resume: n.failureSummary || "",
    })),
  })).filter((v) => v.noeuds.length);
}"""


# Ce qu'axe ne voit pas : un bouton DSFR dont le libellé est rogné à la taille de son icône. Dans un
# .fr-btns-group sans modificateur --icon-left/--icon-right, le DSFR affiche les boutons à icône en icône
# seule ; le nom accessible reste entier (axe est satisfait) mais l'utilisateur voyant ne lit plus le
# libellé (WCAG 2.4.6 et 2.5.3 : on ne peut pas dicter un libellé qu'on ne voit pas). Un bouton voulu en
# icône seule porte un title (règle DSFR).
_LIBELLES_ROGNES = """() => Array.from(document.querySelectorAll(".fr-btn")).filter((el) => {
  const boite = el.getBoundingClientRect();
  if (!boite.width || !boite.height || getComputedStyle(el).visibility === "hidden") return false;
  if (el.hasAttribute("title") || !el.textContent.trim()) return false;
  return el.scrollWidth > el.clientWidth + 1;
}).map((el) => ({texte: el.textContent.trim().replace(/\\s+/g, " "), html: el.outerHTML.slice(0, 300)}))"""


def libelles_rognes(page):
    return page.evaluate(_LIBELLES_ROGNES)


def _charger_axe(page):
    if not AXE.exists():
        pytest.fail(f"axe-core absent ({AXE}) : lancer `make navigateur` (npm ci dans tests/navigateur)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Expression (et non fonction) : le fichier est évalué tel quel et définit window.axe.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")


def violations_accessibilite(page):
    """Toutes les violations WCAG A/AA de la page affichée (exceptions retirées)."""
    _charger_axe(page)
    return page.evaluate(_EXECUTER, {"normes": NORMES, "exceptions": [list(e[:2]) for e in EXCEPTIONS]})


def rapport(violations, contexte):
    lignes = [f"Accessibilité — {contexte} : {len(violations)} règle(s) non respectée(s)"]
    for v in violations:
        impact = IMPACTS.get(v["impact"], v["impact"] or "?")
        lignes.append(f"\n• [{impact}] {v['id']} : {v['help']}\n  {v['helpUrl']}")
        for n in v["noeuds"][:10]:
            lignes.append(f"  – élément : {n['cible']}\n    {n['html']}")
            resume = n["resume"].replace("\n", "\n      ")
            if resume:
                lignes.append(f"    {resume}")
        if len(v["noeuds"]) > 10:
            lignes.append(f"  … et {len(v['noeuds']) - 10} autre(s) élément(s)")
    return "\n".join(lignes)


def verifier_accessibilite(page, contexte):
    """Échoue si la page a une violation d'impact grave ou critique ; renvoie les autres (mineures ou
    modérées) pour qu'un test puisse les afficher."""
    page.wait_for_load_state()
    violations = violations_accessibilite(page)
    bloquantes = [v for v in violations if v["impact"] in IMPACTS_BLOQUANTS]
    rognes = libelles_rognes(page)
    if rognes:
        bloquantes.append(
            {
                "id": "libelle-rogne",
                "impact": "serious",
                "help": "Le libellé visible d’un bouton est rogné à la taille de son icône (WCAG 2.4.6, 2.5.3)",
                "helpUrl": "https://www.systeme-de-design.gouv.fr/elements-d-interface/composants/groupe-de-boutons",
                "noeuds": [{"cible": f"« {b['texte']} »", "html": b["html"], "resume": ""} for b in rognes],
            }
        )
    if bloquantes:
        pytest.fail(rapport(bloquantes, f"{contexte} ({page.url})"), pytrace=False)
    return violations
