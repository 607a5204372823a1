"""Partners' reports and the care centre's cases (issue 16): ``partners`` (who may
report, through which links), ``reports`` (a partner's report, validated and filed),
``service`` (cases at the desk), ``feedback`` (what the reporter is told)."""
