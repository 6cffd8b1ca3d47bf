"""`assay batch`: many reports or audits from one manifest, in parallel worker processes, resumably."""
