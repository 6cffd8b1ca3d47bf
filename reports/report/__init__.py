"""`assay report`: a research report on a paper and a question, answered from verified, cited evidence.

Stages (each saves one JSON artifact under ``<home>/reports/stages/<stage>/<key>.json``, the key a hash of
everything the stage reads, so a rerun resumes and a changed setting recomputes only what depends on it):

    resolve   PAPER (arXiv id or local PDF) -> the stored paper              resolve.py
    related   question + paper -> candidate papers ranked by relevance      related.py
    claims    paper + used related papers -> claims bearing on the question claims_stage.py
    verify    claims -> verdicts (synthesis.verify, calibrated as given)    claims_stage.py
    answer    question facets -> verbatim evidence, status, answer text     facets.py, answer.py
    reruns    --runs DIR: numeric claims bound to run results (replication.bind; skipped without --runs)
                                                                     reruns_stage.py, ../rerun_plot.py
    render    canonical report JSON (``assay.report/1``) -> txt/md/html/pdf  render.py, templates/report.*.j2

The canonical report is the typed model in model.py (JSON Schema in docs/schemas/report.schema.json); every output
format is rendered from it alone, so `assay render REPORT.json` re-renders without recomputing anything.
"""
